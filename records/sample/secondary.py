"""A secondary student's year of raw TT22 assessments: scores, Đ/CĐ levels, conduct, absences.

Random students: one latent ability per student, a per-subject offset (Toán and English are
harder for children learning in their second language), a per-student-subject effect and noise per
test. Regular assessments (ĐĐGtx) are whole or half points; mid-term and end-of-term tests are
marked in quarter points and recorded to one decimal, half up (6,25 → 6,3), as on a test paper.

Planned students (the documented edge cases) get scores solved from target averages instead, so
their outcomes do not depend on the seed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from records.model import (
    ClassSubject,
    Pass,
    Rating,
    SecondaryStudentYear,
    SubjectAssessment,
    TermComment,
    TermScores,
)
from records.rules import AssessmentKind, SecondaryRuleSet, round_half_up
from records.rules.tt22_2021 import year_conduct

TEN = Decimal(10)
ZERO = Decimal(0)

# How much easier (+) or harder (−) each subject is than the student's overall ability.
_OFFSET = {
    "NGU_VAN": -0.1,
    "TOAN": -0.4,
    "NN1": -0.5,
    "GDCD": 0.6,
    "LICH_SU_DIA_LI": 0.1,
    "KHTN": -0.3,
    "CONG_NGHE": 0.4,
    "TIN_HOC": 0.3,
}
_TERM2_GAIN = 0.15  # students do a little better in term II

# Absences per term: most students miss none or a few sessions (illness, harvest, weather).
_ABSENCES = ((0, 40), (1, 20), (2, 14), (3, 10), (4, 7), (5, 4), (6, 2), (7, 2), (8, 1))


@dataclass(frozen=True)
class Learner:
    """Latent traits of one student, drawn once per student."""

    ability: float  # centre of the student's scores on the 10-point scale
    behaviour: float  # standard normal: conduct (rèn luyện)


def draw_learner(rng: random.Random) -> Learner:
    ability = min(9.5, max(4.5, rng.gauss(6.9, 0.95)))
    return Learner(ability=ability, behaviour=rng.gauss(0.0, 1.0))


def random_year(
    rng: random.Random,
    rules: SecondaryRuleSet,
    subjects: Sequence[ClassSubject],
    learner: Learner,
) -> SecondaryStudentYear:
    assessments: dict[str, SubjectAssessment] = {}
    for cs in subjects:
        spec = rules.subject(cs.code)
        if spec is None:
            continue
        if spec.kind is AssessmentKind.SCORED:
            n = rules.required_regular_count(cs.periods_per_year)
            centre = learner.ability + _OFFSET.get(cs.code, 0.0) + rng.gauss(0.0, 0.45)
            assessments[cs.code] = SubjectAssessment(
                term1=_random_term(rng, centre, n),
                term2=_random_term(rng, centre + _TERM2_GAIN, n),
            )
        else:
            assessments[cs.code] = SubjectAssessment(
                comment1=TermComment(level=_comment_level(rng, learner)),
                comment2=TermComment(level=_comment_level(rng, learner)),
            )
    conduct1 = _conduct(learner.behaviour + rng.gauss(0.0, 0.3))
    conduct2 = _conduct(learner.behaviour + 0.1 + rng.gauss(0.0, 0.3))
    return SecondaryStudentYear(
        subjects=assessments,
        conduct_term1=conduct1,
        conduct_term2=conduct2,
        # the year as the rule set derives it (TT22 Điều 8), so the validator agrees
        conduct_year=year_conduct(conduct1, conduct2),
        absences_term1=_absences(rng),
        absences_term2=_absences(rng),
    )


def planned_year(
    rng: random.Random,
    rules: SecondaryRuleSet,
    subjects: Sequence[ClassSubject],
    *,
    year_averages: Mapping[str, Decimal],
    conduct: tuple[Rating, Rating],
    absences: tuple[int, int],
    fixed: Mapping[str, SubjectAssessment] | None = None,
) -> SecondaryStudentYear:
    """A year whose scored subjects reach exactly ``year_averages`` (ĐTBmcn) under ``rules``.

    Every comment-only subject is Đ in both terms; ``fixed`` gives hand-written assessments.
    """
    assessments: dict[str, SubjectAssessment] = dict(fixed or {})
    for cs in subjects:
        spec = rules.subject(cs.code)
        if spec is None or cs.code in assessments:
            continue
        if spec.kind is AssessmentKind.SCORED:
            n = rules.required_regular_count(cs.periods_per_year)
            t1, t2 = _split_year_average(rng, year_averages[cs.code])
            assessments[cs.code] = SubjectAssessment(
                term1=term_with_average(rng, rules, t1, n),
                term2=term_with_average(rng, rules, t2, n),
            )
        else:
            assessments[cs.code] = SubjectAssessment(
                comment1=TermComment(level=Pass.D), comment2=TermComment(level=Pass.D)
            )
    return SecondaryStudentYear(
        subjects=assessments,
        conduct_term1=conduct[0],
        conduct_term2=conduct[1],
        conduct_year=year_conduct(*conduct),
        absences_term1=absences[0],
        absences_term2=absences[1],
    )


def term_with_average(
    rng: random.Random, rules: SecondaryRuleSet, target: Decimal, n_regular: int
) -> TermScores:
    """Plausible scores whose ĐTBmhk under ``rules`` is exactly ``target`` (one decimal).

    Regular and mid-term scores are drawn around the target; the end-of-term score is solved for.
    A step of 0,1 in that score moves the average by 0,3/(n+5) < 0,05, so a solution always exists
    unless the target is at the very end of the scale; the loop only redraws the others then.
    """
    for _ in range(200):
        regular = [
            _whole_or_half(rng, float(target) + rng.gauss(0.0, 0.5)) for _ in range(n_regular)
        ]
        midterm = _test_score(float(target) + rng.gauss(0.0, 0.4))
        needed = (target * (n_regular + 5) - sum(regular, ZERO) - 2 * midterm) / 3
        final = round_half_up(needed)
        if ZERO <= final <= TEN and rules.term_average(regular, midterm, final) == target:
            return TermScores(regular=regular, midterm=midterm, final=final)
    raise ValueError(f"no scores with term average {target} and {n_regular} regular assessments")


def _split_year_average(rng: random.Random, target: Decimal) -> tuple[Decimal, Decimal]:
    """Term averages with (t1 + 2·t2)/3 exactly ``target``: t2 = target + d, t1 = target − 2d."""
    steps = [Decimal(d) / 10 for d in (-2, -1, 0, 1, 2)]
    d = rng.choice([s for s in steps if ZERO <= target - 2 * s <= TEN and target + s <= TEN])
    return target - 2 * d, target + d


def _random_term(rng: random.Random, centre: float, n_regular: int) -> TermScores:
    return TermScores(
        regular=[_whole_or_half(rng, centre + rng.gauss(0.0, 0.9)) for _ in range(n_regular)],
        midterm=_test_score(centre + rng.gauss(0.0, 0.7)),
        final=_test_score(centre + rng.gauss(0.0, 0.7)),
    )


def _whole_or_half(rng: random.Random, x: float) -> Decimal:
    """An oral or 15-minute assessment: whole points, sometimes a half."""
    halves = round(x * 2) if rng.random() < 0.4 else 2 * round(x)
    return _clamp(Decimal(halves) / 2, low=Decimal(1))


def _test_score(x: float) -> Decimal:
    """A written test marked in quarter points, recorded to one decimal (half up)."""
    return _clamp(round_half_up(Decimal(round(x * 4)) / 4), low=Decimal("0.5"))


def _clamp(value: Decimal, *, low: Decimal) -> Decimal:
    """Within the scale, written with one decimal ("7.0", not "7") like every score in the book."""
    return round_half_up(min(TEN, max(low, value)))


def _comment_level(rng: random.Random, learner: Learner) -> Pass:
    # Đạt is the norm; a Chưa đạt goes to a very weak or absent-minded student now and then.
    p = 0.002 + (0.04 if learner.ability < 4.8 else 0.0)
    return Pass.CD if rng.random() < p else Pass.D


def _conduct(x: float) -> Rating:
    if x > -0.55:
        return Rating.TOT
    if x > -1.35:
        return Rating.KHA
    if x > -3.0:
        return Rating.DAT
    return Rating.CHUA_DAT


def _absences(rng: random.Random) -> int:
    return rng.choices([n for n, _ in _ABSENCES], weights=[w for _, w in _ABSENCES])[0]
