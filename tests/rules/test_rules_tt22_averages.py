"""TT22 Điều 6 and Điều 9 khoản 1: ĐĐGtx counts, ĐTBmhk, ĐTBmcn and their rounding.

Every expected value is computed by hand in the comment beside it.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules_builders import comment, term, thcs_class

from records.model import Pass, SecondaryStudentYear, SubjectAssessment
from records.rules import TT22, round_half_up

D = Decimal
RULES = TT22()


def avg(regular: list[str], midterm: str, final: str) -> Decimal:
    return RULES.term_average([D(r) for r in regular], D(midterm), D(final))


# ---------------------------------------------------------------- number of ĐĐGtx (Điều 6)


@pytest.mark.parametrize(
    ("periods", "count"),
    [(35, 2), (36, 3), (70, 3), (71, 4), (105, 4), (140, 4)],
)
def test_regular_count_by_periods_per_year(periods: int, count: int) -> None:
    # 35 periods → 2; "trên 35 đến 70" → 3 (36 and 70 included); "trên 70" → 4
    assert RULES.required_regular_count(periods) == count


# ---------------------------------------------------------------- ĐTBmhk


def test_term_average_with_two_regular() -> None:
    # (7 + 8 + 2·6 + 3·9) / (2 + 5) = (15 + 12 + 27) / 7 = 54 / 7 = 7.714… → 7.7
    assert avg(["7", "8"], "6", "9") == D("7.7")


def test_term_average_with_three_regular() -> None:
    # (5 + 6.5 + 7 + 2·8 + 3·7.5) / (3 + 5) = (18.5 + 16 + 22.5) / 8 = 57 / 8 = 7.125 → 7.1
    assert avg(["5", "6.5", "7"], "8", "7.5") == D("7.1")


def test_term_average_with_four_regular() -> None:
    # (9 + 8 + 10 + 7 + 2·8.5 + 3·9) / (4 + 5) = (34 + 17 + 27) / 9 = 78 / 9 = 8.666… → 8.7
    assert avg(["9", "8", "10", "7"], "8.5", "9") == D("8.7")


def test_year_average_weights_term_two_double() -> None:
    # (6.4 + 2·6.5) / 3 = 19.4 / 3 = 6.466… → 6.5
    assert RULES.year_average(D("6.4"), D("6.5")) == D("6.5")
    # (8.0 + 2·7.0) / 3 = 22 / 3 = 7.333… → 7.3
    assert RULES.year_average(D("8.0"), D("7.0")) == D("7.3")


# ---------------------------------------------------------------- rounding half up, exactly


def naive_float_average(regular: list[float], midterm: float, final: float) -> float:
    """What a float implementation computes before rounding: the trap we avoid."""
    return (sum(regular) + 2 * midterm + 3 * final) / (len(regular) + 5)


def test_exact_tie_8_25_rounds_up_where_float_round_gives_8_2() -> None:
    # (8 + 8 + 8 + 2·6 + 3·10) / 8 = (24 + 12 + 30) / 8 = 66 / 8 = 8.25 exactly → 8.3
    assert avg(["8", "8", "8"], "6", "10") == D("8.3")
    # 8.25 is exact in binary too, and round() breaks the tie to even
    assert round(naive_float_average([8.0, 8.0, 8.0], 6.0, 10.0), 1) == 8.2


def test_exact_tie_7_95_reaches_8_0_where_float_gives_7_9() -> None:
    # (6.5 + 7.7 + 8.5 + 2·6.8 + 3·9.1) / 8 = (22.7 + 13.6 + 27.3) / 8 = 63.6 / 8 = 7.95 → 8.0,
    # the Tốt threshold
    assert avg(["6.5", "7.7", "8.5"], "6.8", "9.1") == D("8.0")
    # in binary the sum comes out just below 63.6: 7.949999999999999 → 7.9
    assert round(naive_float_average([6.5, 7.7, 8.5], 6.8, 9.1), 1) == 7.9


def test_exact_tie_6_45_reaches_6_5_where_float_gives_6_4() -> None:
    # (5.5 + 6.1 + 7.6 + 2·4.5 + 3·7.8) / 8 = (19.2 + 9 + 23.4) / 8 = 51.6 / 8 = 6.45 → 6.5
    assert avg(["5.5", "6.1", "7.6"], "4.5", "7.8") == D("6.5")
    assert round(naive_float_average([5.5, 6.1, 7.6], 4.5, 7.8), 1) == 6.4


def test_just_below_a_tie_rounds_down() -> None:
    assert round_half_up(D("6.4499999999")) == D("6.4")
    assert round_half_up(D("6.45")) == D("6.5")
    # (6 + 6 + 7 + 7 + 2·6 + 3·6.6) / 9 = (26 + 12 + 19.8) / 9 = 57.8 / 9 = 6.4222… → 6.4
    assert avg(["6", "6", "7", "7"], "6", "6.6") == D("6.4")
    # (7 + 6.3 + 2·6.5 + 3·6.3) / 7 = (13.3 + 13 + 18.9) / 7 = 45.2 / 7 = 6.457… → 6.5
    assert avg(["7", "6.3"], "6.5", "6.3") == D("6.5")


def test_year_average_uses_the_rounded_term_averages() -> None:
    # term I: (7 + 7 + 7 + 2·6 + 3·7.8) / 8 = (21 + 12 + 23.4) / 8 = 56.4 / 8 = 7.05 → 7.1
    # term II: (8 + 8 + 8 + 2·8.5 + 3·8.6) / 8 = (24 + 17 + 25.8) / 8 = 66.8 / 8 = 8.35 → 8.4
    # ĐTBmcn from the book's values: (7.1 + 2·8.4) / 3 = 23.9 / 3 = 7.966… → 8.0
    # (from the unrounded ones it would be (7.05 + 16.7) / 3 = 7.916… → 7.9)
    year = SecondaryStudentYear(
        subjects={
            "TOAN": SubjectAssessment(
                term1=term(["7", "7", "7"], "6", "7.8"), term2=term(["8", "8", "8"], "8.5", "8.6")
            )
        }
    )
    spec = RULES.subject("TOAN")
    assert spec is not None
    result = RULES.subject_result(spec, 70, year)  # 70 periods → 3 ĐĐGtx
    assert (result.term1_average, result.term2_average) == (D("7.1"), D("8.4"))
    assert result.year_average == D("8.0")


# ---------------------------------------------------------------- per subject


def test_wrong_number_of_regular_scores_leaves_the_average_undecided() -> None:
    # TOAN at 140 periods needs 4 ĐĐGtx; term I has 3, so ĐTBmhkI and ĐTBmcn stay unknown
    year = SecondaryStudentYear(
        subjects={
            "TOAN": SubjectAssessment(
                term1=term(["8", "8", "8"], "8", "8"), term2=term(["8", "8", "8", "8"], "8", "8")
            )
        }
    )
    spec = RULES.subject("TOAN")
    assert spec is not None
    result = RULES.subject_result(spec, 140, year)
    assert result.term1_average is None
    assert result.term2_average == D("8.0")
    assert result.year_average is None


def test_missing_end_of_term_score_leaves_the_average_undecided() -> None:
    year = SecondaryStudentYear(
        subjects={"GDCD": SubjectAssessment(term1=term(["8", "8"], "8", None))}
    )
    spec = RULES.subject("GDCD")
    assert spec is not None
    assert RULES.subject_result(spec, 35, year).term1_average is None


@pytest.mark.parametrize(
    ("term1", "term2", "year_level"),
    [(Pass.CD, Pass.D, Pass.D), (Pass.D, Pass.CD, Pass.CD), (Pass.D, None, None)],
)
def test_comment_subject_year_level_is_the_term_two_level(
    term1: Pass, term2: Pass | None, year_level: Pass | None
) -> None:
    year = SecondaryStudentYear(subjects={"GDTC": comment(term1, term2)})
    spec = RULES.subject("GDTC")
    assert spec is not None
    result = RULES.subject_result(spec, 70, year)
    assert (result.term1_level, result.term2_level, result.year_level) == (term1, term2, year_level)
    assert not result.scored


def test_compute_reports_every_subject_of_the_class() -> None:
    cls = thcs_class()
    result = RULES.compute(cls, SecondaryStudentYear())
    assert set(result.subjects) == {cs.code for cs in cls.subjects}
    assert result.learning_year is None


# ---------------------------------------------------------------- property: Decimal == Fraction

tenths = st.integers(min_value=0, max_value=100)  # scores 0.0 … 10.0 in steps of 0.1


def fraction_half_up(x: Fraction) -> Fraction:
    """Round a non-negative fraction half up to one decimal: ⌊10x + ½⌋ / 10."""
    return Fraction(int(x * 10 + Fraction(1, 2)), 10)


@given(st.lists(tenths, min_size=2, max_size=4), tenths, tenths)
def test_decimal_term_average_equals_exact_fraction_rounded_half_up(
    regular: list[int], midterm: int, final: int
) -> None:
    exact = (Fraction(sum(regular), 10) + 2 * Fraction(midterm, 10) + 3 * Fraction(final, 10)) / (
        len(regular) + 5
    )
    got = RULES.term_average([D(r) / 10 for r in regular], D(midterm) / 10, D(final) / 10)
    assert Fraction(got) == fraction_half_up(exact)
    assert got.as_tuple().exponent == -1  # always written with one decimal


@given(tenths, tenths)
def test_decimal_year_average_equals_exact_fraction_rounded_half_up(t1: int, t2: int) -> None:
    exact = (Fraction(t1, 10) + 2 * Fraction(t2, 10)) / 3
    assert Fraction(RULES.year_average(D(t1) / 10, D(t2) / 10)) == fraction_half_up(exact)
