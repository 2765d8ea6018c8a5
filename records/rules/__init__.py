"""Versioned assessment rule sets, selected by level, grade and school year.

Each rule set comes with its rollout: the first school year (by its start year) in which each grade
is assessed under it. For a grade and year the newest rule set already rolled out wins, so a future
circular is one new module plus one new row below; the old rows stay so that records made under
them can still be recomputed (docs/rules.md, "Adding a circular").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from records.model import Level, SchoolYear
from records.rules.base import (
    AssessmentKind,
    NoRuleSetError,
    PrimaryRuleSet,
    QualitySpec,
    SecondaryRuleSet,
    SubjectSpec,
    round_half_up,
)
from records.rules.tt22_2021 import TT22
from records.rules.tt27_2020 import TT27

_R = TypeVar("_R", SecondaryRuleSet, PrimaryRuleSet)

# TT22 (điều khoản thi hành): grade 6 from 2021-2022; 7 and 10 from 2022-2023; 8 and 11 from
# 2023-2024; 9 and 12 from 2024-2025. Earlier years used TT58/2011 and TT26/2020 (repealed).
_SECONDARY: tuple[tuple[SecondaryRuleSet, Mapping[int, int]], ...] = (
    (TT22(), {6: 2021, 7: 2022, 10: 2022, 8: 2023, 11: 2023, 9: 2024, 12: 2024}),
)
# TT27 (Điều 2 of the circular): grade 1 from 2020-2021, then one grade a year. Earlier years used
# TT30/2014 and TT22/2016 (repealed).
_PRIMARY: tuple[tuple[PrimaryRuleSet, Mapping[int, int]], ...] = (
    (TT27(), {1: 2020, 2: 2021, 3: 2022, 4: 2023, 5: 2024}),
)


def _select(
    table: tuple[tuple[_R, Mapping[int, int]], ...], want: Level, grade: int, school_year: str
) -> _R:
    start = SchoolYear.parse(school_year).start  # ValueError says what a school year looks like
    level = Level.of_grade(grade)  # ValueError for a grade outside 1–12
    if level is not want:
        chooser = "primary_rules" if level is Level.TH else "secondary_rules"
        raise NoRuleSetError(
            level, grade, school_year, available=f"lớp {grade} thuộc cấp {level.value} ({chooser})"
        )
    chosen: tuple[int, _R] | None = None
    for rules, rollout in table:
        first = rollout.get(grade)
        if first is not None and first <= start and (chosen is None or first > chosen[0]):
            chosen = (first, rules)
    if chosen is not None:
        return chosen[1]
    firsts = [(first, rules.id) for rules, rollout in table if (first := rollout.get(grade))]
    if not firsts:
        raise NoRuleSetError(level, grade, school_year)
    first, rule_id = min(firsts)
    raise NoRuleSetError(
        level,
        grade,
        school_year,
        available=(
            f"{rule_id} áp dụng cho lớp {grade} từ năm học {first}-{first + 1}; các năm học trước "
            "đánh giá theo thông tư cũ (đã hết hiệu lực) mà hsdt không hỗ trợ"
        ),
    )


def secondary_rules(grade: int, school_year: str) -> SecondaryRuleSet:
    """The rule set for a THCS/THPT grade (6–12) in a school year such as "2025-2026"."""
    return _select(_SECONDARY, Level.THCS if grade < 10 else Level.THPT, grade, school_year)


def primary_rules(grade: int, school_year: str) -> PrimaryRuleSet:
    """The rule set for a primary grade (1–5) in a school year such as "2025-2026"."""
    return _select(_PRIMARY, Level.TH, grade, school_year)


def rule_set_id(grade: int, school_year: str) -> str:
    """The id of the rule set that assesses ``grade`` in ``school_year``, e.g. "TT22/2021"."""
    if Level.of_grade(grade) is Level.TH:
        return primary_rules(grade, school_year).id
    return secondary_rules(grade, school_year).id


__all__ = [
    "TT22",
    "TT27",
    "AssessmentKind",
    "NoRuleSetError",
    "PrimaryRuleSet",
    "QualitySpec",
    "SecondaryRuleSet",
    "SubjectSpec",
    "primary_rules",
    "round_half_up",
    "rule_set_id",
    "secondary_rules",
]
