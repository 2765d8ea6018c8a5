"""TT22 Điều 9 khoản 2–3: the learning result (kết quả học tập) at its thresholds.

Cases use eight scored subjects s1…s8 and two comment-only subjects c1, c2, as in a THCS class.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pytest
from rules_builders import THCS_SCORED, thcs_class, thcs_year

from records.model import Pass, Rating
from records.rules import TT22
from records.rules.tt22_2021 import grade_learning

RULES = TT22()
ALL_D = {"c1": Pass.D, "c2": Pass.D}


def scores(*values: str) -> Mapping[str, Decimal | None]:
    return {f"s{i}": Decimal(v) for i, v in enumerate(values, start=1)}


def learning(
    values: Mapping[str, Decimal | None], comments: Mapping[str, Pass | None]
) -> Rating | None:
    return RULES.learning(values, comments)


# ---------------------------------------------------------------- Tốt


def test_tot_with_six_subjects_at_8_0() -> None:
    # all ≥ 6.5; six of them (8.0 ×6) ≥ 8.0; every comment subject Đ → Tốt
    assert learning(scores("8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "6.5", "6.5"), ALL_D) is (
        Rating.TOT
    )


def test_only_five_subjects_at_8_0_is_kha() -> None:
    # only five ≥ 8.0 (7.9 misses) → not Tốt; all ≥ 5.0 and eight ≥ 6.5 → Khá
    assert learning(scores("8.0", "8.0", "8.0", "8.0", "8.0", "7.9", "6.5", "6.5"), ALL_D) is (
        Rating.KHA
    )


def test_one_subject_at_6_4_is_kha_and_at_6_5_is_tot() -> None:
    # Tốt needs every scored subject ≥ 6.5: 6.4 fails it → Khá (a one-level drop, no adjustment)
    assert learning(scores("9", "9", "9", "9", "9", "9", "9", "6.4"), ALL_D) is Rating.KHA
    assert learning(scores("9", "9", "9", "9", "9", "9", "9", "6.5"), ALL_D) is Rating.TOT


# ---------------------------------------------------------------- Khá and Đạt


def test_kha_needs_six_at_6_5_else_dat() -> None:
    # six ≥ 6.5, all ≥ 5.0 → Khá; with only five ≥ 6.5 → Đạt (six ≥ 5.0, none < 3.5)
    assert learning(scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.5", "5", "5"), ALL_D) is (
        Rating.KHA
    )
    assert learning(scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.4", "5", "5"), ALL_D) is (
        Rating.DAT
    )


def test_dat_allows_one_comment_subject_cd_but_not_two() -> None:
    # scores that are Đạt anyway (no six ≥ 6.5), so Điều 9 khoản 3 cannot lift anything:
    # one CĐ → Đạt; two CĐ → Chưa đạt (leaving either out still leaves one CĐ: at best Đạt)
    mid = scores("5.5", "5.5", "5.5", "5.5", "5.5", "5.5", "5.5", "5.5")
    assert learning(mid, {"c1": Pass.CD, "c2": Pass.D}) is Rating.DAT
    assert learning(mid, {"c1": Pass.CD, "c2": Pass.CD}) is Rating.CHUA_DAT


def test_a_score_of_3_4_is_chua_dat_and_3_5_is_dat() -> None:
    # Đạt: six ≥ 5.0 and none < 3.5. Without the low subject the rest is only Đạt (no six ≥
    # 6.5), so the drop is one level and khoản 3 does not apply.
    assert learning(scores("5", "5", "5", "5", "5", "5", "5", "3.5"), ALL_D) is Rating.DAT
    assert learning(scores("5", "5", "5", "5", "5", "5", "5", "3.4"), ALL_D) is Rating.CHUA_DAT


def test_fewer_than_six_subjects_at_5_0_is_chua_dat() -> None:
    # five ≥ 5.0 (4.9 ×3 miss) → not Đạt; leaving one 4.9 out still leaves two below 5.0
    assert learning(scores("9", "9", "9", "9", "9", "4.9", "4.9", "4.9"), ALL_D) is (
        Rating.CHUA_DAT
    )


def test_any_missing_result_leaves_learning_undecided() -> None:
    values = {**scores("8", "8", "8", "8", "8", "8", "8", "8"), "s9": None}
    assert learning(values, ALL_D) is None
    assert learning(scores("8", "8", "8", "8", "8", "8"), {"c1": None}) is None


# ---------------------------------------------------------------- Điều 9 khoản 3


@pytest.mark.parametrize(
    ("low", "base", "lifted"),
    [
        # the rest is Tốt-worthy (all ≥ 6.5, seven ≥ 8.0):
        ("4.0", Rating.DAT, Rating.KHA),  # 4.0 < 5.0 → Đạt, two below Tốt → Khá
        ("3.0", Rating.CHUA_DAT, Rating.DAT),  # 3.0 < 3.5 → Chưa đạt, three below → Đạt
        ("6.0", Rating.KHA, Rating.KHA),  # only one level below Tốt: no adjustment
    ],
)
def test_one_subject_alone_pulling_two_levels_down_lifts_one_level(
    low: str, base: Rating, lifted: Rating
) -> None:
    graded = grade_learning(scores("9", "9", "9", "9", "9", "9", "9", low), ALL_D)
    assert graded is not None
    assert graded.rating is lifted
    assert graded.lifted_for == (None if base is lifted else "s8")


def test_kha_worthy_rest_with_one_subject_below_3_5_is_lifted_to_dat() -> None:
    # rest: all ≥ 5.0, seven ≥ 6.5 → Khá; s8 = 3.0 makes it Chưa đạt (two below) → Đạt
    graded = grade_learning(scores("7", "7", "7", "7", "7", "7", "7", "3.0"), ALL_D)
    assert graded is not None and (graded.rating, graded.lifted_for) == (Rating.DAT, "s8")


def test_one_comment_subject_cd_alone_is_lifted_too() -> None:
    # scores are Tốt-worthy; one CĐ makes it Đạt (two below Tốt) only because of c1 → Khá
    graded = grade_learning(scores("9", "9", "9", "9", "9", "9", "9", "9"), {"c1": Pass.CD})
    assert graded is not None and (graded.rating, graded.lifted_for) == (Rating.KHA, "c1")


def test_two_low_subjects_are_not_lifted() -> None:
    # s7 = s8 = 3.0: leaving either out still leaves one below 3.5 → no single cause
    graded = grade_learning(scores("9", "9", "9", "9", "9", "9", "3.0", "3.0"), ALL_D)
    assert graded is not None and (graded.rating, graded.lifted_for) == (Rating.CHUA_DAT, None)


# ---------------------------------------------------------------- through compute


def test_compute_gives_term_and_year_learning_and_notes_the_adjustment() -> None:
    # Toán at 4.0 in every term, the other seven scored subjects at 9.0, all comment Đ:
    # each term and the year are Đạt by the thresholds and lifted to Khá (khoản 3)
    averages = dict.fromkeys(THCS_SCORED, "9.0") | {"TOAN": "4.0"}
    result = RULES.compute(thcs_class(), thcs_year(averages))
    assert (result.learning_term1, result.learning_term2, result.learning_year) == (
        Rating.KHA,
        Rating.KHA,
        Rating.KHA,
    )
    assert any("Điều 9 khoản 3" in n and "Toán" in n and "cả năm" in n for n in result.notes)


def test_compute_uses_comment_subjects_year_level() -> None:
    # all scored at 5.5 (Đạt-level); GDTC CĐ in term II → year CĐ → one CĐ allowed → Đạt;
    # GDTC and GDDP both CĐ → Chưa đạt
    one = RULES.compute(thcs_class(), thcs_year("5.5", comments={"GDTC": Pass.CD}))
    two = RULES.compute(thcs_class(), thcs_year("5.5", comments={"GDTC": Pass.CD, "GDDP": Pass.CD}))
    assert one.subjects["GDTC"].year_level is Pass.CD
    assert one.learning_year is Rating.DAT
    assert two.learning_year is Rating.CHUA_DAT
