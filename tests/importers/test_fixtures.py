"""One bad fixture per finding code: each yields exactly that code, at the right place.

JSON and CSV fixtures are small files in tests/fixtures/bad/<code>.<ext>; XLSX fixtures are the
minimal good workbook with one edited cell (tests/importers/xlsx_fixtures.py). The good fixtures
in tests/fixtures/good/ have no finding at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from importers import xlsx_fixtures
from records.check import check_file
from records.findings import CODES, Severity

FIXTURES = Path(__file__).parents[1] / "fixtures"
BAD = FIXTURES / "bad"
STUDENT, PRIMARY_STUDENT = "1008300001", "1008310001"
S0 = ("classes", 0, "students", 0)

# code → (fixture extension, the expected location: Location fields that must match exactly)
EXPECTED: dict[str, tuple[str, dict[str, Any]]] = {
    "file.empty": ("json", {"path": (), "row": None}),
    "file.wrong_type": ("json", {"path": ()}),
    "file.unreadable": ("json", {"row": 24, "column": "3"}),  # a missing comma
    "file.encoding": ("csv", {"row": 1}),  # Windows-1258 bytes in the header already
    "schema.invalid": ("json", {"path": (*S0, "student", "gender"), "student": STUDENT}),
    "schema.format": ("json", {"path": ("format",)}),
    "template.header": ("xlsx", {"sheet": "GDCD", "row": 2, "column": "D"}),
    "template.sheet": ("xlsx", {"sheet": "Rèn luyện", "row": None}),
    "score.out_of_range": (
        "json",
        {
            "path": (*S0, "secondary", "subjects", "GDCD", "term1", "regular", 1),
            "student": STUDENT,
            "subject": "GDCD",
        },
    ),
    "score.decimals": (
        "csv",
        {
            "row": 3,
            "column": "HK1 CK",
            "student": "1008300002",
            "subject": "TOAN",
            "path": ("rows", 1, "assessment", "term1", "final"),
        },
    ),
    "score.not_a_number": (
        "csv",
        {
            "row": 2,
            "column": "HK1 TX3",
            "student": STUDENT,
            "subject": "TOAN",
            "path": ("rows", 0, "assessment", "term1", "regular"),
        },
    ),
    "assessment.regular_count": (
        "xlsx",
        {
            "sheet": "GDCD",
            "row": 3,
            "column": "D",
            "student": STUDENT,
            "subject": "GDCD",
            "path": (*S0, "secondary", "subjects", "GDCD", "term1", "regular"),
        },
    ),
    "result.missing": (
        "json",
        {"path": (*S0, "secondary", "subjects", "GDCD"), "student": STUDENT, "subject": "GDCD"},
    ),
    "student.duplicate_code": (
        "json",
        {"path": ("classes", 0, "students", 1, "student", "code"), "student": STUDENT},
    ),
    "score.on_comment_subject": (
        "json",
        {
            "path": (*S0, "secondary", "subjects", "GDTC", "submitted_year_average"),
            "student": STUDENT,
            "subject": "GDTC",
        },
    ),
    "level.on_scored_subject": (
        "xlsx",
        {"sheet": "GDCD", "row": 3, "column": "I", "student": STUDENT, "subject": "GDCD"},
    ),
    "submitted.mismatch": (
        "xlsx",
        {
            "sheet": "GDCD",
            "row": 3,
            "column": "J",
            "student": STUDENT,
            "subject": "GDCD",
            "path": (*S0, "secondary", "subjects", "GDCD", "term1", "submitted_average"),
        },
    ),
    "text.nfd": ("json", {"path": (*S0, "student", "full_name"), "student": STUDENT}),
    "text.legacy_encoding": (
        "xlsx",
        {
            "sheet": "Học sinh",
            "row": 3,
            "column": "G",
            "student": STUDENT,
            "path": (*S0, "student", "birth_place"),
        },
    ),
    "subject.unknown": (
        "json",
        {"path": ("classes", 0, "subjects", 2, "code"), "subject": "HOA_HOC"},
    ),
    "subject.not_in_class": (
        "json",
        {"path": (*S0, "secondary", "subjects", "NN2"), "student": STUDENT, "subject": "NN2"},
    ),
    "teacher.unknown": ("json", {"path": ("classes", 0, "homeroom_teacher")}),
    "rules.none": ("json", {"path": ("classes", 0, "grade")}),
    "class.level": ("json", {"path": ("classes", 0, "grade")}),
    "absences.invalid": (
        "xlsx",
        {
            "sheet": "Rèn luyện",
            "row": 3,
            "column": "H",
            "student": STUDENT,
            "path": (*S0, "secondary", "absences_term1"),
        },
    ),
    "score.no_periodic_test": (
        "json",
        {
            "path": (*S0, "primary", "points", "CN", "subjects", "DAO_DUC", "score"),
            "student": PRIMARY_STUDENT,
            "subject": "DAO_DUC",
        },
    ),
    "student.national_id": ("json", {"path": (*S0, "student", "national_id"), "student": STUDENT}),
    "student.unknown": (
        "xlsx",
        {"sheet": "GDCD", "row": 4, "column": "B", "student": "1008300099"},
    ),
    "student.name_mismatch": (
        "xlsx",
        {"sheet": "GDTC", "row": 3, "column": "C", "student": STUDENT},
    ),
    # hostile input (docs/hostile-inputs.md; the corpus is tests/hostile/)
    "file.too_large": ("xlsx", {"sheet": "GDCD", "row": None}),
    "cell.merged": ("xlsx", {"sheet": "GDCD", "row": 3, "column": "D"}),
    "cell.formula": ("xlsx", {"sheet": "GDCD", "row": 3, "column": "J"}),
    "text.formula": ("json", {"path": (*S0, "student", "full_name"), "student": STUDENT}),
    "text.control": ("json", {"path": (*S0, "student", "full_name"), "student": STUDENT}),
    "text.too_long": ("json", {"path": (*S0, "student", "full_name"), "student": STUDENT}),
}


def fixture(code: str, tmp_path: Path) -> Path:
    ext = EXPECTED[code][0]
    if ext == "xlsx":
        return xlsx_fixtures.build(code, tmp_path)
    return BAD / f"{code}.{ext}"


def test_every_finding_code_has_a_bad_fixture() -> None:
    assert set(EXPECTED) == set(CODES), (
        "each finding code needs a fixture named after it (tests/fixtures/bad/<code>.<ext> or an "
        "edit in xlsx_fixtures.py) and an expected location here"
    )
    files = {p.name.rsplit(".", 1)[0] for p in BAD.iterdir()}
    xlsx = set(xlsx_fixtures.EDITS)
    assert files | xlsx == set(CODES) and not files & xlsx


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_bad_fixture_yields_exactly_its_code_at_its_location(code: str, tmp_path: Path) -> None:
    path = fixture(code, tmp_path)
    report = check_file(path)
    assert [f.code for f in report.findings] == [code], [f.describe() for f in report.findings]
    found = report.findings[0]
    assert found.location.file == path.name
    for key, value in EXPECTED[code][1].items():
        assert getattr(found.location, key) == value, (key, found.location)
    assert report.ok is (CODES[code].severity is Severity.WARNING)
    assert found.detail and found.info.hint  # says what is wrong and what to do


@pytest.mark.parametrize(
    "name", ["small-school.json", "minimal-thcs.json", "minimal-th.json", "toan-8a1.csv"]
)
def test_good_fixtures_have_no_finding(name: str) -> None:
    report = check_file(FIXTURES / "good" / name)
    assert report.findings == []
    assert report.ok


def test_good_workbooks_have_no_finding(tmp_path: Path) -> None:
    path = tmp_path / "8A1.xlsx"
    xlsx_fixtures.good_workbook().save(path)
    report = check_file(path)
    assert report.findings == [] and report.ok


def test_every_code_is_documented() -> None:
    text = (Path(__file__).parents[2] / "docs" / "findings.md").read_text(encoding="utf-8")
    assert [code for code in CODES if f"| `{code}` |" not in text] == []


def test_small_school_fixture_is_what_its_builder_makes() -> None:
    from importers.small_school import build_small_school
    from records.canonical import dataset_from_json

    committed = dataset_from_json((FIXTURES / "good" / "small-school.json").read_bytes())
    assert committed == build_small_school(), (
        "regenerate: .venv/bin/python tests/importers/small_school.py"
    )
