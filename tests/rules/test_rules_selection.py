"""Which rule set assesses a grade in a school year (TT22 and TT27 rollout); the catalogues."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from records.model import AssessmentPoint, Level
from records.rules import (
    TT22,
    TT27,
    AssessmentKind,
    NoRuleSetError,
    SubjectSpec,
    primary_rules,
    rule_set_id,
    secondary_rules,
)

# grade → first school year under the rule set
TT22_FIRST = {6: 2021, 7: 2022, 8: 2023, 9: 2024, 10: 2022, 11: 2023, 12: 2024}
TT27_FIRST = {1: 2020, 2: 2021, 3: 2022, 4: 2023, 5: 2024}


def label(start: int) -> str:
    return f"{start}-{start + 1}"


@pytest.mark.parametrize(("grade", "first"), TT22_FIRST.items())
def test_secondary_rollout(grade: int, first: int) -> None:
    assert isinstance(secondary_rules(grade, label(first)), TT22)
    assert rule_set_id(grade, label(first + 3)) == "TT22/2021"
    with pytest.raises(NoRuleSetError):
        secondary_rules(grade, label(first - 1))


@pytest.mark.parametrize(("grade", "first"), TT27_FIRST.items())
def test_primary_rollout(grade: int, first: int) -> None:
    assert isinstance(primary_rules(grade, label(first)), TT27)
    assert rule_set_id(grade, label(first)) == "TT27/2020"
    with pytest.raises(NoRuleSetError):
        primary_rules(grade, label(first - 1))


def test_grade_9_before_its_rollout_says_when_tt22_starts() -> None:
    with pytest.raises(NoRuleSetError) as caught:
        secondary_rules(9, "2023-2024")
    message = str(caught.value)
    assert "lớp 9 (THCS), năm học 2023-2024" in message
    assert "TT22/2021 áp dụng cho lớp 9 từ năm học 2024-2025" in message
    assert unicodedata.is_normalized("NFC", message)
    assert (caught.value.level, caught.value.grade, caught.value.school_year) == (
        Level.THCS,
        9,
        "2023-2024",
    )


def test_grade_of_the_other_level_is_refused() -> None:
    with pytest.raises(NoRuleSetError, match=r"lớp 3 thuộc cấp TH \(primary_rules\)"):
        secondary_rules(3, "2025-2026")
    with pytest.raises(NoRuleSetError, match=r"lớp 7 thuộc cấp THCS \(secondary_rules\)"):
        primary_rules(7, "2025-2026")


def test_malformed_school_year_or_grade_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="2025-2026"):
        secondary_rules(8, "2025")
    with pytest.raises(ValueError, match="grade 13"):
        rule_set_id(13, "2025-2026")


# ---------------------------------------------------------------- catalogues


@pytest.mark.parametrize("rules", [TT22(), TT27()], ids=["TT22", "TT27"])
def test_catalogue_codes_are_unique_and_names_are_nfc(rules: TT22 | TT27) -> None:
    codes = [s.code for s in rules.subjects]
    assert len(codes) == len(set(codes))
    for spec in rules.subjects:
        assert unicodedata.is_normalized("NFC", spec.name), spec.code
        assert unicodedata.is_normalized("NFC", spec.short_name), spec.code
        assert rules.subject(spec.code) is spec


def test_tt22_comment_only_subjects_are_those_of_dieu_5() -> None:
    comment = {s.code for s in TT22().subjects if s.kind is AssessmentKind.COMMENT}
    assert comment == {"GDTC", "NGHE_THUAT", "AM_NHAC", "MI_THUAT", "HDTN_HN", "GDDP"}


# ---------------------------------------------------------------- docs/rules.md matches the code

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
POINT_ORDER = (AssessmentPoint.GK1, AssessmentPoint.CK1, AssessmentPoint.GK2, AssessmentPoint.CN)


def span(grades: frozenset[int]) -> str:
    low, high = min(grades), max(grades)
    assert grades == frozenset(range(low, high + 1))
    return f"{low}–{high}"


def periodic_tests_text(spec: SubjectSpec) -> str:
    by_points: dict[str, list[int]] = {}
    for grade in sorted(spec.grades):
        points = spec.test_points_for(grade)
        if points:
            text = ", ".join(p.value for p in POINT_ORDER if p in points)
            by_points.setdefault(text, []).append(grade)
    parts = [f"grades {span(frozenset(gs))}: {text}" for text, gs in by_points.items()]
    return "; ".join(parts) or "—"


def test_docs_catalogue_tables_match_the_code() -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", doc)
    rows = [
        f"| `{s.code}` | {s.name} | {s.short_name} | {s.kind.value} | {span(s.grades)} "
        f"| {s.default_periods} | {'yes' if s.optional else ''} |"
        for s in TT22().subjects
    ]
    rows += [
        f"| `{s.code}` | {s.name} | {s.short_name} | {span(s.grades)} | {s.default_periods} "
        f"| {periodic_tests_text(s)} |"
        for s in TT27().subjects
    ]
    rows += [
        f"| `{q.code}` | {q.name} | {q.group} | {span(q.grades)} |"
        for q in (*TT27().qualities, *TT27().competences)
    ]
    missing = [row for row in rows if row not in doc]
    assert not missing, "docs/rules.md is out of date:\n" + "\n".join(missing)
