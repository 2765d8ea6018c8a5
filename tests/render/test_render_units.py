"""Small pure pieces: value formatting, NFC, the verification URL, source text hygiene."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from pathlib import Path

from render import verification_url
from render.fonts import missing_characters
from render.text import date_vn, nfc_tree, value_text

RENDER = Path(__file__).resolve().parents[2] / "render"


def test_values_print_as_the_forms_write_them() -> None:
    assert value_text(Decimal("8.5")) == "8,5"
    assert value_text(Decimal("10")) == "10,0"
    assert value_text(None) == ""
    assert value_text("CĐ") == "CĐ"
    assert value_text(7) == "7"
    assert date_vn("2011-03-07") == "07/03/2011"


def test_nfc_tree_normalises_keys_and_values() -> None:
    nfd = unicodedata.normalize("NFD", "Nguyễn")
    assert nfc_tree({nfd: [nfd, 1, None]}) == {"Nguyễn": ["Nguyễn", 1, None]}


def test_the_font_covers_vietnamese_and_reports_what_it_lacks() -> None:
    letters = "ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸĐƠƯ"
    assert missing_characters([letters, letters.lower(), "…·–☑☐"]) == []
    assert missing_characters(["a😀b"]) == ["😀"]


def test_verification_url() -> None:
    assert verification_url("https://x.vn/v", "HB-1-2025-A 1", "abc") == (
        "https://x.vn/v?id=HB-1-2025-A%201&h=abc"
    )
    assert verification_url("https://x.vn/v?lang=vi", "HB", "abc").endswith("?lang=vi&id=HB&h=abc")


def test_render_sources_are_nfc() -> None:
    for path in RENDER.rglob("*.py"):
        assert unicodedata.is_normalized("NFC", path.read_text("utf-8")), path
