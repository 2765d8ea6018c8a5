"""``check_file``: never raises for bad input; reports findings and recomputed results."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from api.report_text import format_check_report
from records.check import check_file
from records.template import csv_template_bytes, xlsx_template_bytes

FIXTURES = Path(__file__).parents[1] / "fixtures"
GOOD = FIXTURES / "good"


@pytest.mark.parametrize(
    ("name", "content", "code", "says"),
    [
        ("scores.xlsx", b"Ma hoc sinh,Ho ten\n1,An\n", "file.wrong_type", "văn bản"),
        ("scores.xlsx", b"%PDF-1.7\n", "file.wrong_type", "PDF"),
        (
            "scores.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
            "file.wrong_type",
            ".xls",
        ),
        ("scores.xlsx", b"PK\x03\x04 truncated", "file.unreadable", "hỏng"),
        ("scores.json", b"\x89PNG\r\n\x1a\n", "file.wrong_type", "hình ảnh"),
        ("scores.csv", b"%PDF-1.4\n", "file.wrong_type", "PDF"),
        ("scores.xls", b"\xd0\xcf\x11\xe0", "file.wrong_type", ".xlsx"),
        ("scores.txt", b"hello", "file.wrong_type", ".txt"),
        ("scores.json", b"  \n\xef\xbb\xbf", "file.empty", "không có nội dung"),
        ("scores.json", b"[1, 2]", "schema.format", "không phải đối tượng"),
        (
            "scores.json",
            '{"format": "hsdt/school-year"}'.encode("utf-16"),
            "file.encoding",
            "UTF-8",
        ),
        ("scores.json", b'{"a": "\xe0"}', "file.encoding", "UTF-8"),
    ],
)
def test_bad_files_are_findings(
    tmp_path: Path, name: str, content: bytes, code: str, says: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    report = check_file(path)
    assert [f.code for f in report.findings] == [code]
    assert says in report.findings[0].detail
    assert not report.ok and report.dataset is None


def test_a_docx_renamed_xlsx_is_the_wrong_type(tmp_path: Path) -> None:
    path = tmp_path / "diem.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    report = check_file(path)
    assert [(f.code, f.detail) for f in report.findings] == [
        ("file.wrong_type", "Tệp mang đuôi .xlsx nhưng nội dung là văn bản Word .docx.")
    ]


def test_missing_files_and_directories_are_unreadable(tmp_path: Path) -> None:
    assert [f.code for f in check_file(tmp_path / "nope.json").findings] == ["file.unreadable"]
    assert [f.code for f in check_file(tmp_path).findings] == ["file.unreadable"]


def test_report_of_the_good_school() -> None:
    report = check_file(GOOD / "small-school.json")
    assert report.ok and not report.findings
    data = report.to_json()
    json.dumps(data)  # plain JSON: no Decimal, no enum objects
    assert data["counts"] == {"errors": 0, "warnings": 0, "classes": 2, "students": 7}
    first = data["classes"][0]["students"][0]
    assert first["code"] == "1008300001" and first["full_name"] == "Lù Thị Mỷ"
    assert first["secondary"]["learning"]["year"] == "Tốt"
    assert first["secondary"]["title"] == "Học sinh Giỏi"
    assert first["secondary"]["subjects"]["TOAN"]["year_average"] == "8.9"
    fourth = data["classes"][0]["students"][3]["secondary"]
    assert fourth["promotion"] == "Kiểm tra, đánh giá lại hoặc rèn luyện trong kì nghỉ hè"
    assert data["classes"][1]["students"][0]["primary"]["result"] == "Hoàn thành xuất sắc"

    text = format_check_report(report)
    assert "Lớp 8A1 — khối 8 — TT22/2021 — 4 học sinh" in text
    assert "Hảng Thị Dua" in text and "Hoàn thành xuất sắc" in text
    assert text.splitlines()[-1].startswith("KẾT LUẬN: ĐẠT — 2 lớp, 7 học sinh; 0 lỗi")


def test_report_with_errors_groups_by_severity(tmp_path: Path) -> None:
    data = json.loads((GOOD / "minimal-thcs.json").read_text(encoding="utf-8"))
    gdcd = data["classes"][0]["students"][0]["secondary"]["subjects"]["GDCD"]
    gdcd["term1"]["final"] = 11
    gdcd["term2"].pop("final")
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = check_file(path)
    assert [f.code for f in report.findings] == ["score.out_of_range", "result.missing"]
    text = format_check_report(report)
    assert text.index("LỖI (1)") < text.index("CẢNH BÁO (1)") < text.index("KẾT QUẢ TÍNH LẠI")
    assert "Ở đâu:    x.json, $.classes[0].students[0].secondary.subjects.GDCD.term1.final" in text
    assert "Cách sửa: Điểm đánh giá theo thang 10" in text
    assert "KẾT LUẬN: KHÔNG ĐẠT" in text.splitlines()[-1]
    assert report.to_json()["findings"][0]["location"]["student"] == "1008300001"


def test_many_findings_of_one_code_are_summarised_on_screen(tmp_path: Path) -> None:
    data = json.loads((GOOD / "small-school.json").read_text(encoding="utf-8"))
    data["school_year"] = "2025-2026"
    for cls in data["classes"]:
        for s in cls["students"]:
            s["student"]["national_id"] = "123"
    for _ in range(4):  # 28 students, all with a short national id
        data["classes"].append({**data["classes"][0], "id": f"X{len(data['classes'])}"})
    path = tmp_path / "many.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = check_file(path)
    assert sum(f.code == "student.national_id" for f in report.findings) >= 21
    text = format_check_report(report)
    assert "phát hiện khác mã [student.national_id]" in text


def test_csv_and_xlsx_reports(tmp_path: Path) -> None:
    csv = tmp_path / "toan.csv"
    csv.write_bytes((GOOD / "toan-8a1.csv").read_bytes())
    report = check_file(csv)
    assert report.ok and report.sheet is not None
    sheet = report.to_json()["subject_sheet"]
    assert sheet["subject"] == "TOAN" and sheet["students"][0]["results"]["year_average"] == "8.7"
    assert "Lù Thị Mỷ" in format_check_report(report)

    from records.canonical import dataset_from_json

    ds = dataset_from_json((GOOD / "small-school.json").read_bytes())
    book = tmp_path / "3A.xlsx"
    book.write_bytes(xlsx_template_bytes(dataset=ds, class_id="3A"))
    report = check_file(book)
    assert report.ok and [c.id for c in report.classes] == ["3A"]
    assert report.kind is not None and report.kind.value == "xlsx"
    assert csv_template_bytes(grade=8, subject="GDTC", dataset=ds).startswith(b"\xef\xbb\xbf")
