"""TT22 Điều 8 (year conduct), Điều 12–14 (promotion, summer re-evaluation), Điều 15 (titles)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rules_builders import THCS_SCORED, thcs_class, thcs_year

from records.model import Pass, Rating
from records.results import PromotionOutcome, Title
from records.rules import TT22
from records.rules.tt22_2021 import year_conduct

RULES = TT22()
T, K, D, CD = Rating.TOT, Rating.KHA, Rating.DAT, Rating.CHUA_DAT

# ---------------------------------------------------------------- year conduct (Điều 8)

# (term I, term II) → year, row by row from the circular's table
CONDUCT_TABLE = {
    (T, T): T, (K, T): T, (D, T): K, (CD, T): K,
    (T, K): K, (K, K): K, (D, K): K, (CD, K): D,
    (T, D): K, (K, D): D, (D, D): D, (CD, D): D,
    (T, CD): CD, (K, CD): CD, (D, CD): CD, (CD, CD): CD,
}  # fmt: skip


@pytest.mark.parametrize(("terms", "expected"), CONDUCT_TABLE.items())
def test_year_conduct_from_the_two_terms(terms: tuple[Rating, Rating], expected: Rating) -> None:
    assert year_conduct(*terms) is expected


def test_year_conduct_in_the_data_that_disagrees_is_replaced_and_noted() -> None:
    # terms Đạt, Tốt → Khá by Điều 8; the data says Tốt
    result = RULES.compute(thcs_class(), thcs_year("8.0", conduct=(D, T), conduct_year=T))
    assert result.conduct_year is K
    assert any("Điều 8" in n and "(Tốt)" in n and "(Khá)" in n for n in result.notes)


def test_year_conduct_without_term_results_is_taken_from_the_data() -> None:
    result = RULES.compute(thcs_class(), thcs_year("8.0", conduct=(None, None), conduct_year=K))
    assert result.conduct_year is K


# ---------------------------------------------------------------- promotion (Điều 12)


def test_promoted_when_learning_and_conduct_reach_dat() -> None:
    result = RULES.compute(thcs_class(8), thcs_year("6.0", conduct=(D, D)))
    assert (result.learning_year, result.conduct_year) == (D, D)
    assert result.promotion is PromotionOutcome.PROMOTED
    assert not result.promoted_after_reevaluation


@pytest.mark.parametrize(
    ("absences", "promotion"),
    [
        ((20, 25), PromotionOutcome.PROMOTED),  # 45 sessions: "không quá 45 buổi"
        ((21, 25), PromotionOutcome.NOT_PROMOTED),  # 46 sessions
        ((0, 46), PromotionOutcome.NOT_PROMOTED),
    ],
)
def test_absence_limit_is_45_sessions_over_the_year(
    absences: tuple[int, int], promotion: PromotionOutcome
) -> None:
    result = RULES.compute(thcs_class(7), thcs_year("8.0", absences=absences))
    assert result.absences == sum(absences)
    assert result.promotion is promotion


def test_too_many_absences_are_named_in_the_notes() -> None:
    result = RULES.compute(thcs_class(7), thcs_year("8.0", absences=(21, 25)))
    assert "Nghỉ học 46 buổi, quá 45 buổi (Điều 12 TT22)." in result.notes


@pytest.mark.parametrize(
    ("grade", "absences", "promotion"),
    [
        (9, (0, 0), PromotionOutcome.COMPLETED),
        (9, (23, 23), PromotionOutcome.NOT_COMPLETED),
        (12, (0, 0), PromotionOutcome.COMPLETED),
        (8, (0, 0), PromotionOutcome.PROMOTED),
    ],
)
def test_final_grades_complete_the_programme(
    grade: int, absences: tuple[int, int], promotion: PromotionOutcome
) -> None:
    assert RULES.promotion(grade, K, T, sum(absences))[0] is promotion


def test_conduct_chua_dat_goes_to_summer_reevaluation() -> None:
    result = RULES.compute(thcs_class(), thcs_year("8.0", conduct=(D, CD)))
    assert result.conduct_year is CD
    assert result.promotion is PromotionOutcome.REEVALUATE
    assert any("rèn luyện trong hè" in n for n in result.notes)


def test_missing_subject_result_leaves_promotion_pending_and_names_the_subject() -> None:
    year = thcs_year("8.0")
    toan = year.subjects["TOAN"]
    assert toan.term2 is not None
    broken = toan.model_copy(update={"term2": toan.term2.model_copy(update={"final": None})})
    year = year.model_copy(update={"subjects": year.subjects | {"TOAN": broken}})
    result = RULES.compute(thcs_class(), year)
    assert result.learning_year is None
    assert result.promotion is PromotionOutcome.PENDING
    assert "Chưa đủ kết quả cả năm các môn: Toán." in result.notes


def test_missing_conduct_leaves_promotion_pending() -> None:
    result = RULES.compute(thcs_class(), thcs_year("8.0", conduct=(T, None)))
    assert result.conduct_year is None
    assert result.promotion is PromotionOutcome.PENDING


def test_absences_decide_even_when_data_is_missing() -> None:
    assert RULES.promotion(8, None, None, 46)[0] is PromotionOutcome.NOT_PROMOTED


# ---------------------------------------------------------------- re-evaluation after summer


def test_learning_chua_dat_waits_for_retests_and_lists_the_subjects() -> None:
    # Toán 3.0 and Ngữ văn 3.0, six at 7.0: two below 3.5 → Chưa đạt, and leaving either one
    # out still leaves the other below 3.5, so Điều 9 khoản 3 does not lift it
    result = RULES.compute(thcs_class(), thcs_year({"TOAN": "3.0", "NGU_VAN": "3.0"}))
    assert result.learning_year is CD
    assert result.promotion is PromotionOutcome.REEVALUATE
    assert result.learning_year_reevaluated is None
    assert "Môn được kiểm tra, đánh giá lại: Ngữ văn, Toán." in result.notes


def test_retests_replace_the_year_result_and_promote() -> None:
    # re-test Toán 5.0 and Ngữ văn 4.0 replace their ĐTBmcn: 5.0, 4.0 and six at 7.0 → all
    # ≥ 3.5, seven ≥ 5.0 → Đạt → promoted after re-evaluation
    year = thcs_year({"TOAN": "3.0", "NGU_VAN": "3.0"}, retests={"TOAN": "5.0", "NGU_VAN": "4.0"})
    result = RULES.compute(thcs_class(), year)
    assert result.learning_year is CD  # the year result itself stays as it was
    assert result.learning_year_reevaluated is D
    assert result.subjects["TOAN"].retest_score == Decimal("5.0")
    assert result.subjects["TOAN"].year_average == Decimal("3.0")
    assert result.promotion is PromotionOutcome.PROMOTED
    assert result.promoted_after_reevaluation


def test_one_retest_is_enough_when_the_other_subject_stands() -> None:
    # only Toán re-tested at 6.0: Toán 6.0, Ngữ văn 3.0, six at 7.0 → Ngữ văn < 3.5 → Chưa đạt
    # by thresholds, but without Ngữ văn the rest is Khá (all ≥ 5.0, seven ≥ 6.5): two levels
    # down because of one subject → lifted to Đạt (Điều 9 khoản 3)
    year = thcs_year({"TOAN": "3.0", "NGU_VAN": "3.0"}, retests={"TOAN": "6.0"})
    result = RULES.compute(thcs_class(), year)
    assert result.learning_year_reevaluated is D
    assert result.subjects["NGU_VAN"].retest_score is None
    assert result.promotion is PromotionOutcome.PROMOTED


def test_retests_that_still_fail_mean_not_promoted() -> None:
    # re-tests 3.0 and 3.4: both still below 3.5 → Chưa đạt
    year = thcs_year({"TOAN": "3.0", "NGU_VAN": "3.0"}, retests={"TOAN": "3.0", "NGU_VAN": "3.4"})
    result = RULES.compute(thcs_class(), year)
    assert result.learning_year_reevaluated is CD
    assert result.promotion is PromotionOutcome.NOT_PROMOTED
    assert not result.promoted_after_reevaluation


def test_grade_9_completes_after_reevaluation() -> None:
    year = thcs_year({"TOAN": "3.0", "NGU_VAN": "3.0"}, retests={"TOAN": "5.0", "NGU_VAN": "5.0"})
    assert RULES.compute(thcs_class(9), year).promotion is PromotionOutcome.COMPLETED


def test_comment_subject_retest_level_replaces_its_year_level() -> None:
    # GDTC and GDDP CĐ → two CĐ → Chưa đạt; GDTC re-assessed Đ → one CĐ → Đạt (scores 5.5)
    year = thcs_year(
        "5.5", comments={"GDTC": Pass.CD, "GDDP": Pass.CD}, retest_levels={"GDTC": Pass.D}
    )
    result = RULES.compute(thcs_class(), year)
    assert result.learning_year is CD
    assert result.subjects["GDTC"].retest_level is Pass.D
    assert result.learning_year_reevaluated is D
    assert result.promotion is PromotionOutcome.PROMOTED


def test_retest_of_a_subject_that_may_not_be_retested_is_ignored() -> None:
    # KHTN has ĐTBmcn 7.0 (not below 5.0): its re-test cannot count, so nothing is re-evaluated
    year = thcs_year({"TOAN": "3.0", "NGU_VAN": "3.0"}, retests={"KHTN": "9.0"})
    result = RULES.compute(thcs_class(), year)
    assert result.learning_year_reevaluated is None
    assert result.subjects["KHTN"].retest_score is None
    assert result.promotion is PromotionOutcome.REEVALUATE
    assert any(
        n.startswith("Không dùng kết quả kiểm tra lại của môn Khoa học tự nhiên")
        for n in result.notes
    )


def test_retest_when_learning_was_not_chua_dat_is_ignored() -> None:
    # Toán 4.9 but the year result is Đạt: no re-test, the score is reported as unused
    result = RULES.compute(thcs_class(), thcs_year({"TOAN": "4.9"}, retests={"TOAN": "8.0"}))
    assert result.learning_year is D
    assert result.learning_year_reevaluated is None
    assert result.subjects["TOAN"].retest_score is None
    assert any("Không dùng kết quả kiểm tra lại của môn Toán" in n for n in result.notes)


def test_reevaluated_conduct_decides_promotion() -> None:
    # Điều 12–14 through the pure function: conduct Chưa đạt, then Đạt after summer training
    assert RULES.promotion(8, K, CD, 0)[0] is PromotionOutcome.REEVALUATE
    assert RULES.promotion(8, K, CD, 0, conduct_reevaluated=D)[0] is PromotionOutcome.PROMOTED
    assert RULES.promotion(8, K, CD, 0, conduct_reevaluated=CD)[0] is (
        PromotionOutcome.NOT_PROMOTED
    )
    # both Chưa đạt: both re-evaluations are needed
    assert RULES.promotion(8, CD, CD, 0, learning_reevaluated=D)[0] is (PromotionOutcome.REEVALUATE)
    assert RULES.promotion(8, CD, CD, 0, learning_reevaluated=D, conduct_reevaluated=D)[0] is (
        PromotionOutcome.PROMOTED
    )


# ---------------------------------------------------------------- titles (Điều 15)


def test_xuat_sac_needs_six_subjects_at_9_0() -> None:
    # learning Tốt (all ≥ 6.5, eight ≥ 8.0), conduct Tốt; six at 9.0 → Xuất sắc
    six = {c: "9.0" for c in THCS_SCORED[:6]} | {c: "8.9" for c in THCS_SCORED[6:]}
    five = {c: "9.0" for c in THCS_SCORED[:5]} | {c: "8.9" for c in THCS_SCORED[5:]}
    assert RULES.compute(thcs_class(), thcs_year(six)).title is Title.XUAT_SAC
    assert RULES.compute(thcs_class(), thcs_year(five)).title is Title.GIOI


def test_gioi_needs_conduct_tot() -> None:
    assert RULES.compute(thcs_class(), thcs_year("9.5", conduct=(K, K))).title is None
    assert RULES.compute(thcs_class(), thcs_year("8.0", conduct=(K, T))).title is Title.GIOI


def test_no_title_below_learning_tot() -> None:
    assert RULES.compute(thcs_class(), thcs_year("7.9")).title is None


def test_no_reevaluation_after_too_many_absences() -> None:
    # 46 sessions: not promoted whatever the re-tests say, and the re-tests are reported unused
    year = thcs_year(
        {"TOAN": "3.0", "NGU_VAN": "3.0"},
        retests={"TOAN": "9.0", "NGU_VAN": "9.0"},
        absences=(23, 23),
    )
    result = RULES.compute(thcs_class(), year)
    assert result.learning_year_reevaluated is None
    assert result.promotion is PromotionOutcome.NOT_PROMOTED
    assert any(n.startswith("Không dùng kết quả kiểm tra lại") for n in result.notes)
