"""Which subjects a class has, for how many periods a year, and how classes spread over grades.

Subjects come from the rule set's catalogue for the grade (optional subjects such as Ngoại ngữ 2
left out, as in most Lào Cai schools). Periods per year follow the 2018 general education
programme (35 weeks) where they differ by grade from the catalogue's default: Tiếng Việt 420 and
Toán 105 in grade 1, Tiếng Việt 350 in grade 2; Công nghệ 52 in grades 8 and 9.
"""

from __future__ import annotations

from dataclasses import dataclass

from records.model import Level
from records.rules import primary_rules, secondary_rules
from records.rules.base import SubjectSpec

_PERIODS = {
    (1, "TIENG_VIET"): 420,
    (1, "TOAN"): 105,
    (2, "TIENG_VIET"): 350,
    (8, "CONG_NGHE"): 52,
    (9, "CONG_NGHE"): 52,
}

# Which grades get classes first when a level has fewer classes than grades: the defaults (one
# class each) are grade 5 and grade 8, the grades with the richest records (mid-term tests in
# Tiếng Việt and Toán; three ĐĐGtx in Công nghệ).
_GRADE_ORDER = {Level.TH: (5, 4, 3, 2, 1), Level.THCS: (8, 9, 7, 6)}


@dataclass(frozen=True)
class ClassPlan:
    class_id: str  # "5A", "8A1", …
    grade: int

    @property
    def level(self) -> Level:
        return Level.of_grade(self.grade)


def plan_classes(primary: int, secondary: int) -> list[ClassPlan]:
    """Spread classes over grades 1–5 and 6–9, round-robin, in grade order."""
    plans: list[ClassPlan] = []
    for level, count in ((Level.TH, primary), (Level.THCS, secondary)):
        order = _GRADE_ORDER[level]
        per_grade = {g: 0 for g in order}
        for i in range(count):
            per_grade[order[i % len(order)]] += 1
        for grade in sorted(per_grade):
            n = per_grade[grade]
            ids = [f"{grade}A"] if n == 1 else [f"{grade}A{k}" for k in range(1, n + 1)]
            plans.extend(ClassPlan(i, grade) for i in ids)
    return plans


def subjects_for(grade: int, school_year: str) -> list[tuple[SubjectSpec, int]]:
    """The class's subjects in catalogue (học bạ) order, with periods per year."""
    catalogue = (
        primary_rules(grade, school_year).subjects
        if Level.of_grade(grade) is Level.TH
        else secondary_rules(grade, school_year).subjects
    )
    return [
        (spec, _PERIODS.get((grade, spec.code), spec.default_periods))
        for spec in catalogue
        if grade in spec.grades and not spec.optional
    ]
