"""A primary student's year of raw TT27 assessments at the four points GK1, CK1, GK2 and CN.

Every subject gets a level (T/H/C) at every point; periodic tests (integer 1–10) exist exactly at
the points the rule set's catalogue gives for the grade; qualities and competences get T/Đ/C at
every point. Random students have a latent ability (subjects) and a latent behaviour (qualities and
competences); levels follow the test score where there is one. Planned students (edge cases) get
the levels and year-end scores they are designed with.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from records.model import (
    AssessmentPoint,
    ClassSubject,
    Gender,
    PrimaryLevel,
    PrimaryPointAssessment,
    PrimaryStudentYear,
    PrimarySubjectMark,
    QualityLevel,
)
from records.rules import PrimaryRuleSet

POINTS = tuple(AssessmentPoint)  # GK1, CK1, GK2, CN in school-year order

# Subject difficulty relative to the pupil's ability; subjects without a test (Đạo đức, the arts,
# HĐTN, …) default to +0.3: pupils complete them well more often than the tested ones.
_OFFSET = {"TIENG_VIET": -0.2, "TOAN": -0.3, "NN1": -0.5, "TIN_HOC_CONG_NGHE": 0.2, "GDTC": 0.5}
_OTHER_SUBJECTS = 0.3


@dataclass(frozen=True)
class Pupil:
    ability: float  # centre of the pupil's test scores
    behaviour: float  # standard normal: qualities and competences


def draw_pupil(rng: random.Random) -> Pupil:
    return Pupil(ability=min(9.8, max(3.5, rng.gauss(7.8, 1.1))), behaviour=rng.gauss(0.0, 1.0))


def random_year(
    rng: random.Random,
    rules: PrimaryRuleSet,
    grade: int,
    subjects: Sequence[ClassSubject],
    pupil: Pupil,
) -> PrimaryStudentYear:
    centres = {
        cs.code: pupil.ability + _OFFSET.get(cs.code, _OTHER_SUBJECTS) + rng.gauss(0.0, 0.35)
        for cs in subjects
    }
    # Qualities and competences move together: a teacher sees the whole child.
    traits_centre = 0.5 * (pupil.ability - 7.8) / 1.1 + 0.8 * pupil.behaviour
    points: dict[AssessmentPoint, PrimaryPointAssessment] = {}
    for i, point in enumerate(POINTS):
        progress = 0.1 * i  # pupils grow over the year
        marks: dict[str, PrimarySubjectMark] = {}
        for cs in subjects:
            spec = rules.subject(cs.code)
            if spec is None:
                continue
            centre = centres[cs.code] + progress
            if point in spec.test_points_for(grade):
                score = min(10, max(2, round(centre + rng.gauss(0.0, 0.8))))
                marks[cs.code] = PrimarySubjectMark(level=_level((score + centre) / 2), score=score)
            else:
                marks[cs.code] = PrimarySubjectMark(level=_level(centre + rng.gauss(0.0, 0.35)))
        points[point] = PrimaryPointAssessment(
            subjects=marks,
            qualities={
                code: _trait(traits_centre + progress / 2 + rng.gauss(0.0, 0.35))
                for code in _quality_codes(rules, grade)
            },
            competences={
                code: _trait(traits_centre + progress / 2 + rng.gauss(0.0, 0.35))
                for code in _competence_codes(rules, grade)
            },
        )
    return PrimaryStudentYear(
        points=points,
        absences_excused=rng.choices(range(6), weights=(45, 20, 15, 10, 6, 4))[0],
        absences_unexcused=rng.choices(range(3), weights=(85, 10, 5))[0],
    )


def planned_year(
    rng: random.Random,
    rules: PrimaryRuleSet,
    grade: int,
    subjects: Sequence[ClassSubject],
    *,
    levels: Mapping[str, PrimaryLevel],
    default_level: PrimaryLevel,
    year_end_scores: Mapping[str, int],
    default_score: int,
    traits: QualityLevel,
) -> PrimaryStudentYear:
    """The same levels at every point; year-end (CN) test scores as given, earlier ones close."""
    points: dict[AssessmentPoint, PrimaryPointAssessment] = {}
    for point in POINTS:
        marks: dict[str, PrimarySubjectMark] = {}
        for cs in subjects:
            spec = rules.subject(cs.code)
            if spec is None:
                continue
            level = levels.get(cs.code, default_level)
            score: int | None = None
            if point in spec.test_points_for(grade):
                final = year_end_scores.get(cs.code, default_score)
                score = final if point is AssessmentPoint.CN else max(1, final - rng.randint(0, 1))
            marks[cs.code] = PrimarySubjectMark(level=level, score=score)
        points[point] = PrimaryPointAssessment(
            subjects=marks,
            qualities=dict.fromkeys(_quality_codes(rules, grade), traits),
            competences=dict.fromkeys(_competence_codes(rules, grade), traits),
        )
    return PrimaryStudentYear(points=points)


def body_measures(
    rng: random.Random, gender: Gender, age: float, *, minority: bool
) -> tuple[Decimal, Decimal]:
    """Height (cm) and weight (kg) at the end of the year, to one decimal.

    Means follow Vietnamese school-age growth (about 113 cm and 19 kg at six, +5,3 cm and +2,6 kg
    a year); children of mountain minority families are on average a little smaller.
    """
    height_mean = 113.0 + 5.3 * (age - 6) - (2.5 if minority else 0.0)
    height_mean += 0.5 if gender is Gender.NAM else 0.0
    height = height_mean + rng.gauss(0.0, 5.0)
    weight = 19.0 + 2.6 * (age - 6) - (1.5 if minority else 0.0)
    weight += 0.35 * (height - height_mean) + rng.gauss(0.0, 2.0)
    return Decimal(f"{height:.1f}"), Decimal(f"{max(14.0, weight):.1f}")


def _level(x: float) -> PrimaryLevel:
    if x >= 7.6:
        return PrimaryLevel.T
    if x >= 4.3:
        return PrimaryLevel.H
    return PrimaryLevel.C


def _trait(x: float) -> QualityLevel:
    if x > -0.5:
        return QualityLevel.T
    if x > -2.4:
        return QualityLevel.D
    return QualityLevel.C


def _quality_codes(rules: PrimaryRuleSet, grade: int) -> list[str]:
    return [q.code for q in rules.qualities if grade in q.grades]


def _competence_codes(rules: PrimaryRuleSet, grade: int) -> list[str]:
    return [c.code for c in rules.competences if grade in c.grades]
