"""The documented edge cases: present in every sample, with the outcome each is built for."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

import pytest

from records.model import ClassStudent, Dataset, PrimaryLevel, Rating, SchoolClass
from records.results import (
    PrimaryTitle,
    PrimaryYearOutcome,
    PrimaryYearResult,
    PromotionOutcome,
    SecondaryYearResult,
    Title,
)
from records.rules import primary_rules, secondary_rules
from records.sample import EdgeCase, edge_cases, generate_school

NINE, EIGHT, SIX_FIVE = Decimal("9.0"), Decimal("8.0"), Decimal("6.5")


def _student(ds: Dataset, case: EdgeCase) -> tuple[SchoolClass, ClassStudent]:
    code = edge_cases(ds)[case.value]
    return next((c, s) for c in ds.classes for s in c.students if s.student.code == code)


def _secondary(ds: Dataset, case: EdgeCase) -> SecondaryYearResult:
    c, s = _student(ds, case)
    assert s.secondary is not None
    return secondary_rules(c.grade, ds.school_year).compute(c, s.secondary)


def _primary(ds: Dataset, case: EdgeCase) -> PrimaryYearOutcome:
    c, s = _student(ds, case)
    assert s.primary is not None
    return primary_rules(c.grade, ds.school_year).compute(c, s.primary)


def _year_averages(r: SecondaryYearResult) -> list[Decimal]:
    return [s.year_average for s in r.subjects.values() if s.scored and s.year_average is not None]


@pytest.fixture(scope="module", params=[2026, 1, 99])
def ds(request: pytest.FixtureRequest) -> Dataset:
    """The cases do not depend on the seed (nor on how many classes there are)."""
    if request.param == 99:
        return generate_school(seed=99, primary_classes=3, secondary_classes=5)
    return generate_school(seed=request.param)


def test_every_case_is_a_distinct_student_in_the_grade_8_and_grade_5_classes(ds: Dataset) -> None:
    found = edge_cases(ds)
    assert set(found) == {case.value for case in EdgeCase}
    assert len(set(found.values())) == len(found)
    for case in EdgeCase:
        c, _ = _student(ds, case)
        assert c.grade == (5 if case.value.startswith("primary") else 8)


def test_edge_cases_leave_out_a_level_the_school_does_not_have() -> None:
    found = edge_cases(generate_school(secondary_classes=0))
    assert set(found) == {c.value for c in EdgeCase if c.value.startswith("primary")}


def test_6_45_rounds_half_up_to_exactly_6_5_and_makes_the_student_tot(ds: Dataset) -> None:
    _, s = _student(ds, EdgeCase.HALF_UP_6_5)
    assert s.secondary is not None
    cong_nghe = s.secondary.subjects["CONG_NGHE"]
    for term in (cong_nghe.term1, cong_nghe.term2):
        assert term is not None and term.midterm is not None and term.final is not None
        raw = (sum(term.regular, Decimal(0)) + 2 * term.midterm + 3 * term.final) / (
            len(term.regular) + 5
        )
        assert raw == Decimal("6.45")  # exactly, before rounding
        # the trap: half-even (what round() does to a Decimal) or truncation would give 6,4
        assert raw.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN) == Decimal("6.4")
        assert raw.quantize(Decimal("0.1"), rounding=ROUND_DOWN) == Decimal("6.4")
    r = _secondary(ds, EdgeCase.HALF_UP_6_5)
    assert r.subjects["CONG_NGHE"].term1_average == SIX_FIVE
    assert r.subjects["CONG_NGHE"].year_average == SIX_FIVE
    assert min(_year_averages(r)) == SIX_FIVE
    assert sum(a >= EIGHT for a in _year_averages(r)) >= 6
    assert r.learning_year is Rating.TOT and r.title is Title.GIOI


def test_five_subjects_at_8_is_kha_not_tot(ds: Dataset) -> None:
    r = _secondary(ds, EdgeCase.JUST_UNDER_TOT)
    averages = _year_averages(r)
    assert sum(a >= EIGHT for a in averages) == 5
    assert Decimal("7.9") in averages and min(averages) >= SIX_FIVE
    assert r.learning_year is Rating.KHA and r.conduct_year is Rating.TOT
    assert r.title is None and r.promotion is PromotionOutcome.PROMOTED


def test_absent_46_sessions_is_not_promoted_despite_passing(ds: Dataset) -> None:
    r = _secondary(ds, EdgeCase.ABSENT_46)
    assert r.absences == 46
    assert r.learning_year is Rating.KHA and r.conduct_year is Rating.KHA
    assert r.promotion is PromotionOutcome.NOT_PROMOTED


def test_absent_exactly_45_sessions_is_promoted(ds: Dataset) -> None:
    r = _secondary(ds, EdgeCase.ABSENT_45)
    assert r.absences == 45
    assert r.promotion is PromotionOutcome.PROMOTED


def test_conduct_chua_dat_goes_to_summer_training_and_re_evaluation(ds: Dataset) -> None:
    r = _secondary(ds, EdgeCase.CONDUCT_CHUA_DAT)
    assert (r.conduct_term1, r.conduct_term2, r.conduct_year) == (
        Rating.DAT,
        Rating.CHUA_DAT,
        Rating.CHUA_DAT,
    )
    assert r.learning_year is Rating.DAT  # learning alone would promote
    assert r.promotion is PromotionOutcome.REEVALUATE


def test_exactly_six_subjects_at_9_is_xuat_sac(ds: Dataset) -> None:
    r = _secondary(ds, EdgeCase.XUAT_SAC)
    averages = _year_averages(r)
    assert sum(a >= NINE for a in averages) == 6 and NINE in averages
    assert r.learning_year is Rating.TOT and r.conduct_year is Rating.TOT
    assert r.title is Title.XUAT_SAC


def test_primary_all_t_and_tests_9_or_more_is_htxs(ds: Dataset) -> None:
    o = _primary(ds, EdgeCase.PRIMARY_HTXS)
    assert all(v is not None and v >= 9 for v in o.year_scores.values())
    assert o.result is PrimaryYearResult.HTXS and o.title is PrimaryTitle.XUAT_SAC


def test_primary_one_year_end_test_of_8_is_htt_not_htxs(ds: Dataset) -> None:
    o = _primary(ds, EdgeCase.PRIMARY_SCORE_8)
    scores = o.year_scores
    assert scores["TOAN"] == 8
    assert all(v is not None and v >= 9 for code, v in scores.items() if code != "TOAN")
    assert set(o.subject_levels.values()) == {PrimaryLevel.T}
    assert o.result is PrimaryYearResult.HTT and o.title is not PrimaryTitle.XUAT_SAC


def test_primary_one_c_level_is_chua_hoan_thanh(ds: Dataset) -> None:
    o = _primary(ds, EdgeCase.PRIMARY_LEVEL_C)
    assert o.subject_levels["TOAN"] is PrimaryLevel.C
    others = {lv for code, lv in o.subject_levels.items() if code != "TOAN"}
    assert others <= {PrimaryLevel.T, PrimaryLevel.H}
    assert all(v is not None and v >= 5 for v in o.year_scores.values())  # the C alone decides
    assert o.result is PrimaryYearResult.CHT and not o.completes_grade
