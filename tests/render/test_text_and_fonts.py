"""Fonts embedded (no Helvetica), Vietnamese text extractable, NFC, no boxes."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from render_helpers import VERIFY_URL, Case, tool

from records.documents import RecordType
from render import UnsupportedTextError, render_document

NATIONAL = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def _names(case: Case) -> list[str]:
    p = case.doc.payload
    if "student" in p:
        return [p["student"]["full_name"]]
    people = p.get("students") or p["rows"]
    return [people[0]["full_name"], people[-1]["full_name"]]


EXPECTED = {
    RecordType.HOC_BA_TRUNG_HOC: [
        "HỌC BẠ",
        "QUÁ TRÌNH HỌC TẬP",
        "Kết quả học tập",
        "Trong trang này có sửa chữa",
        "NHẬN XÉT CỦA GIÁO VIÊN CHỦ NHIỆM",
        "PHÊ DUYỆT CỦA HIỆU TRƯỞNG",
    ],
    RecordType.HOC_BA_TIEU_HOC: [
        "HỌC BẠ",
        "TIỂU HỌC",
        "Những phẩm chất chủ yếu",
        "Đánh giá kết quả giáo dục",
        "Xác nhận của Hiệu trưởng",
    ],
    RecordType.BANG_TONG_HOP: [
        "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ GIÁO DỤC",
        "Phẩm chất chủ yếu",
        "Khen thưởng",
        "Nhận xét",
        "Cần cố gắng",
    ],
    RecordType.SO_THEO_DOI: [
        "SỔ THEO DÕI VÀ ĐÁNH GIÁ HỌC SINH",
        "SƠ YẾU LÝ LỊCH HỌC SINH",
        "PHẦN II – GHI ĐIỂM",
        "ĐTBmcn",
        "Giáo viên bộ môn",
    ],
}


def test_every_font_is_embedded_and_none_is_helvetica(case: Case) -> None:
    rows = tool("pdffonts", str(case.path)).splitlines()[2:]
    assert rows, "no fonts listed"
    for row in rows:
        name, emb = row.split()[0], row.split()[-5]
        assert emb == "yes", row
        assert "Spectral" in name and "Helvetica" not in name, row


def test_vietnamese_text_is_extracted_exactly(case: Case) -> None:
    text = tool("pdftotext", "-enc", "UTF-8", str(case.path), "-")
    for expected in [NATIONAL, MOTTO, *_names(case), *EXPECTED[case.doc.record_type]]:
        assert expected in text, expected
    assert unicodedata.is_normalized("NFC", text)
    assert "\ufffd" not in text  # no replacement characters (undrawable glyphs)


def test_every_page_has_the_verification_footer(case: Case) -> None:
    text = tool("pdftotext", "-enc", "UTF-8", str(case.path), "-")
    r = case.result
    assert text.count(f"Mã hồ sơ: {r.document_id}") == r.pages
    assert text.count(f"Mã kiểm tra: {r.short_hash}") == r.pages
    for page in range(1, r.pages + 1):
        assert f"Trang {page}/{r.pages}" in text


def test_nfd_input_renders_as_nfc(cases: dict[RecordType, Case], tmp_path: Path) -> None:
    case = cases[RecordType.HOC_BA_TRUNG_HOC]
    payload = dict(case.doc.payload)
    name = "Nguyễn Thị Ánh Tuyết"
    payload["student"] = {**payload["student"], "full_name": unicodedata.normalize("NFD", name)}
    doc = replace(case.doc, payload=payload)
    path = tmp_path / "nfd.pdf"
    path.write_bytes(render_document(doc, case.slots, verify_url=VERIFY_URL).pdf)
    text = tool("pdftotext", "-enc", "UTF-8", str(path), "-")
    assert name in text


def test_a_character_the_font_lacks_is_refused_with_its_code(cases: dict[RecordType, Case]) -> None:
    case = cases[RecordType.HOC_BA_TRUNG_HOC]
    payload = dict(case.doc.payload)
    payload["summary"] = {**payload["summary"], "homeroom_comment": "Em rất ngoan 😀"}
    with pytest.raises(UnsupportedTextError) as e:
        render_document(replace(case.doc, payload=payload), case.slots, verify_url=VERIFY_URL)
    assert e.value.characters == ("😀",)
    assert "U+1F600" in str(e.value)
