"""The sample's documented edge cases: students built to sit exactly on a rule's boundary.

Each case is a fixed roll number (STT, 1-based) in a fixed class: the first grade-8 class for the
secondary cases, the first grade-5 class for the primary ones (with at least one class per level,
those grades always exist: see ``curriculum.plan_classes``). Their assessments are solved from
target averages, so every seed produces the same outcomes; only names and identifiers change.
:func:`edge_cases` finds them in a generated dataset for tests and demos.

Grade 8 is needed for the 6,45 case: a term average can only be exactly x,x5 when it is divided by
8, i.e. with 3 regular assessments, which among scored THCS subjects only Công nghệ has (52 periods
a year in grades 8 and 9). A year average, (ĐTBmhkI + 2·ĐTBmhkII)/3 of one-decimal numbers, is a
multiple of 1/30 and can never be exactly x,x5 itself.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from records.model import (
    ClassSubject,
    Dataset,
    PrimaryLevel,
    PrimaryStudentYear,
    QualityLevel,
    Rating,
    SecondaryStudentYear,
    SubjectAssessment,
    TermScores,
)
from records.rules import PrimaryRuleSet, SecondaryRuleSet
from records.sample import primary, secondary

SECONDARY_EDGE_GRADE = 8
PRIMARY_EDGE_GRADE = 5


class EdgeCase(StrEnum):
    HALF_UP_6_5 = "half_up_6_5"  # Công nghệ 6,45 → 6,5 in both terms: Tốt only thanks to half-up
    JUST_UNDER_TOT = "just_under_tot"  # five subjects ≥ 8,0 (and one 7,9): Khá, not Tốt
    ABSENT_46 = "absent_46"  # 46 sessions absent: not promoted
    ABSENT_45 = "absent_45"  # exactly 45: promoted
    CONDUCT_CHUA_DAT = "conduct_chua_dat"  # conduct Chưa đạt: summer training, re-evaluation
    XUAT_SAC = "xuat_sac"  # exactly six subjects ≥ 9,0 (one of them 9,0): Học sinh Xuất sắc
    PRIMARY_HTXS = "primary_htxs"  # all T, all traits T, every year-end test ≥ 9
    PRIMARY_SCORE_8 = "primary_score_8"  # as above but Toán 8 at year end: HTT, not HTXS
    PRIMARY_LEVEL_C = "primary_level_c"  # Toán C at year end: Chưa hoàn thành


# Grade 8's scored subjects, in học bạ order: the columns of the year-average tables below.
GRADE_8_SCORED = (
    "NGU_VAN",
    "TOAN",
    "NN1",
    "GDCD",
    "LICH_SU_DIA_LI",
    "KHTN",
    "CONG_NGHE",
    "TIN_HOC",
)


def _averages(*values: str) -> dict[str, Decimal]:
    return {code: Decimal(v) for code, v in zip(GRADE_8_SCORED, values, strict=True)}


def _scores(regular: Sequence[str], midterm: str, final: str) -> TermScores:
    return TermScores(
        regular=[Decimal(r) for r in regular], midterm=Decimal(midterm), final=Decimal(final)
    )


@dataclass(frozen=True)
class SecondaryEdge:
    roll_no: int
    year_averages: dict[str, Decimal]  # ĐTBmcn per scored subject of grade 8
    conduct: tuple[Rating, Rating]
    absences: tuple[int, int]
    fixed: dict[str, SubjectAssessment] = field(default_factory=dict)


@dataclass(frozen=True)
class PrimaryEdge:
    roll_no: int
    default_level: PrimaryLevel
    year_end_score: int  # every CN periodic test unless overridden
    traits: QualityLevel
    levels: dict[str, PrimaryLevel] = field(default_factory=dict)
    year_end_scores: dict[str, int] = field(default_factory=dict)


T, K, D, CD = Rating.TOT, Rating.KHA, Rating.DAT, Rating.CHUA_DAT

SECONDARY_EDGES: dict[EdgeCase, SecondaryEdge] = {
    EdgeCase.HALF_UP_6_5: SecondaryEdge(
        roll_no=3,
        year_averages=_averages("8.2", "8.5", "8.0", "8.8", "8.3", "8.1", "6.5", "7.4"),
        conduct=(T, T),
        absences=(1, 0),
        # Công nghệ is written out, not solved: (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck)/8 = 51,6/8 = 6,45
        # exactly in both terms, so ĐTBmhk I = ĐTBmhk II = ĐTBmcn = 6,5 only by rounding half up
        fixed={
            "CONG_NGHE": SubjectAssessment(
                term1=_scores(["7.0", "6.0", "6.5"], "6.3", "6.5"),
                term2=_scores(["6.0", "7.0", "6.0"], "7.0", "6.2"),
            )
        },
    ),
    EdgeCase.JUST_UNDER_TOT: SecondaryEdge(
        roll_no=6,
        year_averages=_averages("8.0", "8.4", "7.9", "8.6", "8.1", "7.6", "8.2", "7.2"),
        conduct=(T, T),
        absences=(0, 2),
    ),
    EdgeCase.ABSENT_46: SecondaryEdge(
        roll_no=10,
        year_averages=_averages("6.8", "6.1", "6.0", "7.5", "7.0", "6.6", "7.3", "7.7"),
        conduct=(K, K),
        absences=(21, 25),
    ),
    EdgeCase.ABSENT_45: SecondaryEdge(
        roll_no=15,
        year_averages=_averages("6.9", "6.5", "6.2", "7.8", "7.1", "6.6", "7.0", "7.5"),
        conduct=(K, T),
        absences=(20, 25),
    ),
    EdgeCase.CONDUCT_CHUA_DAT: SecondaryEdge(
        roll_no=20,
        year_averages=_averages("5.6", "4.8", "5.1", "6.2", "5.5", "5.0", "6.0", "6.4"),
        conduct=(D, CD),
        absences=(4, 6),
    ),
    EdgeCase.XUAT_SAC: SecondaryEdge(
        roll_no=25,
        year_averages=_averages("9.1", "9.4", "8.7", "9.5", "9.0", "9.2", "8.9", "9.3"),
        conduct=(T, T),
        absences=(0, 0),
    ),
}

PRIMARY_EDGES: dict[EdgeCase, PrimaryEdge] = {
    EdgeCase.PRIMARY_HTXS: PrimaryEdge(
        roll_no=4,
        default_level=PrimaryLevel.T,
        year_end_score=9,
        traits=QualityLevel.T,
        year_end_scores={"TOAN": 10},
    ),
    EdgeCase.PRIMARY_SCORE_8: PrimaryEdge(
        roll_no=9,
        default_level=PrimaryLevel.T,
        year_end_score=9,
        traits=QualityLevel.T,
        year_end_scores={"TOAN": 8, "TIENG_VIET": 10},
    ),
    EdgeCase.PRIMARY_LEVEL_C: PrimaryEdge(
        roll_no=16,
        default_level=PrimaryLevel.H,
        year_end_score=6,
        traits=QualityLevel.D,
        # Toán is the only cause: its test is 5 (passing), every other mark passes too
        levels={"TOAN": PrimaryLevel.C},
        year_end_scores={"TOAN": 5},
    ),
}


def secondary_edge_year(
    edge: SecondaryEdge,
    rng: random.Random,
    rules: SecondaryRuleSet,
    subjects: Sequence[ClassSubject],
) -> SecondaryStudentYear:
    return secondary.planned_year(
        rng,
        rules,
        subjects,
        year_averages=edge.year_averages,
        conduct=edge.conduct,
        absences=edge.absences,
        fixed=edge.fixed,
    )


def primary_edge_year(
    edge: PrimaryEdge,
    rng: random.Random,
    rules: PrimaryRuleSet,
    grade: int,
    subjects: Sequence[ClassSubject],
) -> PrimaryStudentYear:
    return primary.planned_year(
        rng,
        rules,
        grade,
        subjects,
        levels=edge.levels,
        default_level=edge.default_level,
        year_end_scores=edge.year_end_scores,
        default_score=edge.year_end_score,
        traits=edge.traits,
    )


def edge_cases(ds: Dataset) -> dict[str, str]:
    """Edge case → student code, for a dataset made by ``generate_school`` (any seed).

    Cases whose class is not in the dataset (no primary or no secondary classes) are left out.
    """
    found: dict[str, str] = {}
    tables: tuple[tuple[int, Mapping[EdgeCase, SecondaryEdge | PrimaryEdge]], ...] = (
        (SECONDARY_EDGE_GRADE, SECONDARY_EDGES),
        (PRIMARY_EDGE_GRADE, PRIMARY_EDGES),
    )
    for grade, edges in tables:
        school_class = next((c for c in ds.classes if c.grade == grade), None)
        if school_class is None:
            continue
        for case, edge in edges.items():
            found[case.value] = school_class.students[edge.roll_no - 1].student.code
    return found
