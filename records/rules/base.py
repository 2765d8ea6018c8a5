"""What a rule set is: a versioned, pure set of assessment rules and the subject catalogue it uses.

A new circular is a new module with a new rule set id; old rule sets stay untouched so records
rendered under them can be recomputed and re-checked forever (docs/rules.md, "Adding a circular").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

from records.model import (
    AssessmentPoint,
    Level,
    PrimaryStudentYear,
    SchoolClass,
    SecondaryStudentYear,
)
from records.results import PrimaryYearOutcome, SecondaryYearResult

ONE_DECIMAL = Decimal("0.1")


def round_half_up(value: Decimal, step: Decimal = ONE_DECIMAL) -> Decimal:
    """Round an exact decimal half up to ``step`` (6.45 → 6.5; 6.449… → 6.4).

    Python's ``round`` works on binary floats and rounds ties to even: ``round(8.25, 1)`` is 8.2,
    while every school's book says 8,3.
    """
    return value.quantize(step, rounding=ROUND_HALF_UP)


class AssessmentKind(StrEnum):
    SCORED = "scored"  # comment + score on the 10-point scale (TT22)
    COMMENT = "comment"  # comment only: Đ / CĐ (TT22)
    PRIMARY = "primary"  # T/H/C level (TT27), optionally with a periodic test score


@dataclass(frozen=True)
class SubjectSpec:
    """A subject or educational activity in a rule set's catalogue."""

    code: str
    name: str  # official Vietnamese name, NFC
    short_name: str  # for narrow table columns
    kind: AssessmentKind
    grades: frozenset[int]
    default_periods: int  # periods per year when the school does not say otherwise
    optional: bool = False  # e.g. Ngoại ngữ 2, electives
    # primary only: assessment points that carry a periodic test score, per grade
    test_points: tuple[tuple[int, frozenset[AssessmentPoint]], ...] = ()

    def test_points_for(self, grade: int) -> frozenset[AssessmentPoint]:
        for g, points in self.test_points:
            if g == grade:
                return points
        return frozenset()


@dataclass(frozen=True)
class QualitySpec:
    code: str
    name: str
    group: str  # "phẩm chất", "năng lực chung", "năng lực đặc thù"
    grades: frozenset[int]


class SecondaryRuleSet(Protocol):
    id: str  # e.g. "TT22/2021"
    title: str  # full citation
    subjects: tuple[SubjectSpec, ...]

    def subject(self, code: str) -> SubjectSpec | None: ...

    def required_regular_count(self, periods_per_year: int) -> int: ...

    def term_average(self, regular: list[Decimal], midterm: Decimal, final: Decimal) -> Decimal: ...

    def year_average(self, term1: Decimal, term2: Decimal) -> Decimal: ...

    def compute(self, school_class: SchoolClass, year: SecondaryStudentYear) -> SecondaryYearResult:
        """Everything the học bạ shows for one student-year, from raw assessments only."""
        ...


class PrimaryRuleSet(Protocol):
    id: str  # e.g. "TT27/2020"
    title: str
    subjects: tuple[SubjectSpec, ...]
    qualities: tuple[QualitySpec, ...]
    competences: tuple[QualitySpec, ...]

    def subject(self, code: str) -> SubjectSpec | None: ...

    def compute(
        self, school_class: SchoolClass, year: PrimaryStudentYear
    ) -> PrimaryYearOutcome: ...


class NoRuleSetError(LookupError):
    """No rule set covers this level, grade and school year.

    The message is Vietnamese because it reaches the people who fix the data (finding
    ``rules.none``): it says which rule set starts when, so they can check the year or the grade.
    """

    def __init__(
        self,
        level: Level,
        grade: int,
        school_year: str,
        *,
        available: str | None = None,
    ) -> None:
        where = f"lớp {grade} ({level.value}), năm học {school_year}"
        why = available or (
            "hsdt áp dụng TT22/2021 cho THCS, THPT (từ năm học 2021-2022, theo lộ trình) và "
            "TT27/2020 cho tiểu học (từ năm học 2020-2021, theo lộ trình)"
        )
        super().__init__(
            f"Không có quy định đánh giá cho {where}: {why}. "
            "Kiểm tra lại năm học và khối lớp trong dữ liệu."
        )
        self.level, self.grade, self.school_year = level, grade, school_year
