"""Versioned assessment rule sets, selected by level, grade and school year."""

from __future__ import annotations

from records.model import Level
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

_TT22 = TT22()
_TT27 = TT27()

# First school year (start year) in which each grade is assessed under each circular.
# TT22 Điều 20: grade 6 from 2021-2022; 7 and 10 from 2022-2023; 8 and 11 from 2023-2024;
# 9 and 12 from 2024-2025. TT27 Điều 13: grade 1 from 2020-2021, one grade a year after.
_TT22_FROM = {6: 2021, 7: 2022, 10: 2022, 8: 2023, 11: 2023, 9: 2024, 12: 2024}
_TT27_FROM = {1: 2020, 2: 2021, 3: 2022, 4: 2023, 5: 2024}


def secondary_rules(grade: int, school_year: str) -> SecondaryRuleSet:
    """The rule set for a THCS/THPT grade in a school year such as "2025-2026"."""
    start = int(school_year[:4])
    level = Level.of_grade(grade)
    if level is not Level.TH and start >= _TT22_FROM[grade]:
        return _TT22
    raise NoRuleSetError(level, grade, school_year)


def primary_rules(grade: int, school_year: str) -> PrimaryRuleSet:
    start = int(school_year[:4])
    level = Level.of_grade(grade)
    if level is Level.TH and start >= _TT27_FROM[grade]:
        return _TT27
    raise NoRuleSetError(level, grade, school_year)


def rule_set_id(grade: int, school_year: str) -> str:
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
