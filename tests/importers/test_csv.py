"""CSV score sheets: one subject of one class, checked standalone, UTF-8 only."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from importers.legacy import tcvn3
from records.canonical import dataset_from_json
from records.importers import load_bytes
from records.template import TemplateError, csv_template_bytes

GOOD = Path(__file__).parents[1] / "fixtures" / "good"
SMALL = dataset_from_json((GOOD / "small-school.json").read_bytes())
TOAN = (GOOD / "toan-8a1.csv").read_bytes()


@pytest.mark.parametrize("subject", ["TOAN", "GDCD", "GDTC"])
def test_a_generated_sheet_reads_back_with_the_datasets_assessments(subject: str) -> None:
    result = load_bytes(csv_template_bytes(grade=8, subject=subject, dataset=SMALL), "s.csv")
    assert result.findings == [] and result.ok
    assert result.sheet is not None and result.sheet.rule_set == "TT22/2021"
    students = SMALL.classes[0].students
    assert [r.code for r in result.sheet.rows] == [s.student.code for s in students]
    for row, s in zip(result.sheet.rows, students, strict=True):
        assert s.secondary is not None
        assert row.assessment == s.secondary.subjects[subject]


def test_computed_averages_are_in_the_sheet() -> None:
    sheet = load_bytes(TOAN, "toan.csv").sheet
    assert sheet is not None
    first = sheet.rows[0].computed
    assert first is not None
    # (8 + 9 + 7.5 + 8 + 2·8 + 3·9) / 9 = 8.39 → 8.4; (9+9+8+9 + 2·8.5 + 3·9) / 9 = 8.78 → 8.8
    assert (first.term1_average, first.term2_average) == (Decimal("8.4"), Decimal("8.8"))
    assert first.year_average == Decimal("8.7")  # (8.4 + 2·8.8) / 3 = 8.67


def test_semicolons_and_no_bom_are_fine() -> None:
    text = TOAN.decode("utf-8-sig")
    # a Vietnamese-locale Excel separates with ";" and writes the decimal comma unquoted
    rows = [line.replace('"7,5"', "7.5").replace(",", ";") for line in text.splitlines()]
    rows = [r.replace("7.5", "7,5") for r in rows]
    result = load_bytes("\n".join(rows).encode("utf-8"), "toan.csv")
    assert result.findings == []
    assert result.sheet == load_bytes(TOAN, "toan.csv").sheet


def test_tcvn3_bytes_are_named_as_such() -> None:
    # the whole file typed with the ABC keyboard and saved as "CSV (Comma delimited)"
    result = load_bytes(tcvn3(TOAN.decode("utf-8-sig")).encode("cp1252"), "toan.csv")
    assert [f.code for f in result.findings] == ["text.legacy_encoding"]
    assert result.findings[0].extra == {"encoding": "TCVN3 (ABC)"}


def test_utf16_is_an_encoding_finding() -> None:
    result = load_bytes(TOAN.decode("utf-8-sig").encode("utf-16"), "toan.csv")
    assert [f.code for f in result.findings] == ["file.encoding"]


def test_a_comment_subject_needs_its_own_columns() -> None:
    text = TOAN.decode("utf-8-sig").replace(",TOAN,140,", ",GDTC,70,")
    result = load_bytes(text.encode(), "gdtc.csv")
    assert [(f.code, f.location.subject) for f in result.findings] == [("template.header", "GDTC")]


def test_leading_columns_must_agree_on_every_row() -> None:
    lines = TOAN.decode("utf-8-sig").splitlines()
    lines[2] = lines[2].replace(",8A1,", ",8A2,")
    result = load_bytes("\n".join(lines).encode(), "toan.csv")
    assert [(f.code, f.location.row, f.location.column) for f in result.findings] == [
        ("schema.invalid", 3, "Mã lớp")
    ]


def test_header_only_is_empty_and_primary_has_no_csv() -> None:
    blank = csv_template_bytes(grade=8, subject="TOAN", school_year="2025-2026")
    assert [f.code for f in load_bytes(blank, "blank.csv").findings] == ["schema.invalid"]
    header = blank.decode("utf-8-sig").splitlines()[0]
    assert [f.code for f in load_bytes(header.encode(), "h.csv").findings] == ["file.empty"]
    with pytest.raises(TemplateError):
        csv_template_bytes(grade=3, subject="TOAN")
