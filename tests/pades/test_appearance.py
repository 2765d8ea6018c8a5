"""The stamp font and text: every Vietnamese letter, Vietnam time, clear refusals."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.writer import PdfFileWriter

from pades.documents import written
from signing.appearance import (
    AppearanceError,
    StampText,
    VietnameseStamp,
    format_signing_time,
    stamp_font,
)

VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
VIETNAMESE_LETTERS = sorted(
    {
        unicodedata.normalize("NFC", v + t)
        for base in VOWELS
        for v in (base, base.upper())
        for t in TONES
    }
    | set("đĐbcdghklmnpqrstvxBCDGHKLMNPQRSTVX")
)


def test_every_vietnamese_letter_has_a_glyph() -> None:
    font = stamp_font()
    glyphs = font.glyph_ids("".join(VIETNAMESE_LETTERS))
    assert len(glyphs) == len(VIETNAMESE_LETTERS)
    assert 0 not in glyphs  # .notdef would print as a box


@given(st.text(alphabet=[*VIETNAMESE_LETTERS, " "], min_size=1, max_size=40))
def test_nfd_and_nfc_text_encode_the_same(name: str) -> None:
    font = stamp_font()
    nfd = unicodedata.normalize("NFD", name)
    assert font.glyph_ids(nfd) == font.glyph_ids(name)
    assert font.text_width(nfd, 10) == pytest.approx(font.text_width(name, 10))


def test_signing_time_is_shown_in_vietnam_time() -> None:
    assert format_signing_time(datetime(2025, 11, 28, 17, 30, tzinfo=UTC)) == (
        "Ký ngày 29/11/2025 00:30"
    )
    paris = timezone(timedelta(hours=1))
    assert format_signing_time(datetime(2025, 1, 2, 3, 4, tzinfo=paris)) == (
        "Ký ngày 02/01/2025 09:04"
    )
    with pytest.raises(ValueError, match="timezone"):
        format_signing_time(datetime(2025, 1, 2, 3, 4))  # naive: the point of the test


def _writer() -> PdfFileWriter:
    return PdfFileWriter()  # type: ignore[no-untyped-call]  # unannotated upstream


def _render(text: StampText, width: int = 190, height: int = 60) -> bytes:
    stamp = VietnameseStamp(
        _writer(), text, layout.BoxConstraints(width=width, height=height), stamp_font()
    )
    return stamp.render()


def test_a_character_the_font_lacks_is_refused_by_name() -> None:
    text = StampText("Nguyễn 漢", "Hiệu trưởng", datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(AppearanceError, match="漢"):
        _render(text)


def test_a_field_too_small_to_read_is_refused() -> None:
    text = StampText("Nguyễn Văn An", "Giáo viên chủ nhiệm", datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(AppearanceError, match="quá nhỏ"):
        _render(text, width=30, height=12)


def test_the_stamp_uses_no_transparency_and_one_font() -> None:
    text = StampText("Giàng Thị Mai", "Giáo viên chủ nhiệm", datetime(2025, 1, 1, tzinfo=UTC))
    writer = _writer()
    stamp = VietnameseStamp(writer, text, layout.BoxConstraints(width=190, height=60), stamp_font())
    ops = stamp.render()
    resources = stamp.resources.as_pdf_object()
    assert set(resources.keys()) == {"/Font"}  # no ExtGState: nothing transparent
    assert list(resources["/Font"].keys()) == ["/HsdtStamp"]
    assert ops.count(b" Tj") == 3
    pdf = written(writer)
    assert b"/FontFile2" in pdf and b"/ToUnicode" in pdf


def test_a_subject_row_field_gets_two_readable_lines() -> None:
    # 131×23 pt is the renderer's smallest field (a subject row of the secondary học bạ).
    text = StampText(
        "Phàn Thị Mùi",
        "Giáo viên bộ môn Nội dung giáo dục của địa phương",
        datetime(2025, 1, 1, tzinfo=UTC),
    )
    ops = _render(text, width=131, height=23)
    sizes = [float(size) for size in re.findall(rb"/HsdtStamp ([\d.]+) Tf", ops)]
    assert len(sizes) == 2
    assert min(sizes) >= 5.0


def test_a_long_school_name_is_wrapped_on_the_seal() -> None:
    text = StampText(
        "Trường PTDTBT Tiểu học và THCS Suối Mây",
        "Chữ ký số của nhà trường",
        datetime(2025, 1, 1, tzinfo=UTC),
    )
    ops = _render(text, width=102, height=45)
    sizes = [float(size) for size in re.findall(rb"/HsdtStamp ([\d.]+) Tf", ops)]
    assert len(sizes) == 4  # the name on two lines, then role and time
    assert min(sizes) >= 6.0
