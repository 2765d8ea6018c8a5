"""TT27 Điều 7 (periodic tests), Điều 9 (year-end result) and the primary catalogue."""

from __future__ import annotations

import pytest
from rules_builders import primary_year, school_class

from records.model import (
    AssessmentPoint,
    PrimaryLevel,
    PrimaryPointAssessment,
    PrimaryStudentYear,
    PrimarySubjectMark,
    QualityLevel,
)
from records.results import PrimaryTitle, PrimaryYearResult
from records.rules import TT27

RULES = TT27()
G = AssessmentPoint
T, H, C = PrimaryLevel.T, PrimaryLevel.H, PrimaryLevel.C
R = PrimaryYearResult

# A grade 5 class: every subject of the grade; six of them have an end-of-year test.
GRADE5 = (
    "TIENG_VIET", "TOAN", "NN1", "DAO_DUC", "LICH_SU_DIA_LI", "KHOA_HOC",
    "TIN_HOC_CONG_NGHE", "GDTC", "AM_NHAC", "MI_THUAT", "HDTN",
)  # fmt: skip
TESTED5 = ("TIENG_VIET", "TOAN", "NN1", "LICH_SU_DIA_LI", "KHOA_HOC", "TIN_HOC_CONG_NGHE")


def grade5(
    *,
    levels: dict[str, PrimaryLevel] | None = None,
    scores: dict[str, int] | None = None,
    test: int = 10,
    traits: dict[str, QualityLevel] | None = None,
    title: str | None = None,
) -> PrimaryStudentYear:
    """All subjects T and all tests ``test`` unless overridden."""
    all_levels = dict.fromkeys(GRADE5, T) | (levels or {})
    all_scores = dict.fromkeys(TESTED5, test) | (scores or {})
    return primary_year(5, all_levels, all_scores, traits=traits, title=title)


def result_of(year: PrimaryStudentYear) -> PrimaryYearResult | None:
    return RULES.compute(school_class(5, GRADE5), year).result


# ---------------------------------------------------------------- Điều 9 at its thresholds


@pytest.mark.parametrize(
    ("lowest", "expected"),
    [
        (9, R.HTXS),  # all T, traits Tốt, every test ≥ 9
        (8, R.HTT),  # one test 8 < 9: Hoàn thành tốt
        (7, R.HTT),
        (6, R.HT),  # one test 6 < 7: Hoàn thành
        (5, R.HT),
        (4, R.CHT),  # one test 4 < 5: Chưa hoàn thành
    ],
)
def test_lowest_end_of_year_test_decides_between_levels(lowest: int, expected: R) -> None:
    assert result_of(grade5(scores={"TOAN": lowest})) is expected


def test_one_quality_at_dat_is_hoan_thanh() -> None:
    # tests all 10, subjects all T, but "Trung thực" Đạt: not HTXS/HTT, still ≥ Đạt → HT
    assert result_of(grade5(traits={"TRUNG_THUC": QualityLevel.D})) is R.HT


def test_one_competence_at_can_co_gang_is_chua_hoan_thanh() -> None:
    assert result_of(grade5(traits={"TIN_HOC": QualityLevel.C})) is R.CHT


def test_one_subject_at_h_is_hoan_thanh() -> None:
    assert result_of(grade5(levels={"AM_NHAC": H})) is R.HT


def test_one_subject_at_c_is_chua_hoan_thanh() -> None:
    assert result_of(grade5(levels={"DAO_DUC": C})) is R.CHT


def test_completion_follows_the_result() -> None:
    cls = school_class(5, GRADE5)
    assert RULES.compute(cls, grade5(scores={"TOAN": 5})).completes_grade
    assert not RULES.compute(cls, grade5(scores={"TOAN": 4})).completes_grade


def test_missing_test_score_leaves_the_result_undecided_and_says_what_is_missing() -> None:
    year = grade5()
    cn = year.points[G.CN]
    mark = cn.subjects["KHOA_HOC"].model_copy(update={"score": None})
    cn = cn.model_copy(update={"subjects": cn.subjects | {"KHOA_HOC": mark}})
    outcome = RULES.compute(school_class(5, GRADE5), year.model_copy(update={"points": {G.CN: cn}}))
    assert outcome.result is None
    assert not outcome.completes_grade
    assert outcome.year_scores["KHOA_HOC"] is None
    assert any("điểm kiểm tra định kì cuối năm môn Khoa học" in n for n in outcome.notes)


def test_missing_end_of_year_point_is_undecided() -> None:
    outcome = RULES.compute(school_class(5, GRADE5), PrimaryStudentYear())
    assert outcome.result is None
    assert set(outcome.subject_levels) == set(GRADE5)


def test_other_points_do_not_count_for_the_year() -> None:
    # a C at mid-term II does not change the year result: only the CN point counts
    gk2 = PrimaryPointAssessment(subjects={"TOAN": PrimarySubjectMark(level=C)})
    year = grade5()
    year = year.model_copy(update={"points": year.points | {G.GK2: gk2}})
    assert result_of(year) is R.HTXS


# ---------------------------------------------------------------- titles


def test_xuat_sac_title_follows_hoan_thanh_xuat_sac() -> None:
    assert RULES.compute(school_class(5, GRADE5), grade5()).title is PrimaryTitle.XUAT_SAC


def test_tieu_bieu_title_is_taken_from_the_data_only_with_hoan_thanh_tot() -> None:
    cls = school_class(5, GRADE5)
    tieu_bieu = PrimaryTitle.TIEU_BIEU.value
    assert RULES.compute(cls, grade5(test=8, title=tieu_bieu)).title is PrimaryTitle.TIEU_BIEU
    assert RULES.compute(cls, grade5(test=8)).title is None  # the class did not recognise it
    refused = RULES.compute(cls, grade5(test=6, title=tieu_bieu))  # Hoàn thành only
    assert refused.title is None
    assert any(
        "chỉ dành cho học sinh có kết quả giáo dục Hoàn thành tốt" in n for n in refused.notes
    )


# ---------------------------------------------------------------- catalogue (Điều 7)


@pytest.mark.parametrize(
    ("code", "grade", "points"),
    [
        ("TIENG_VIET", 3, {G.CK1, G.CN}),
        ("TIENG_VIET", 4, {G.GK1, G.CK1, G.GK2, G.CN}),
        ("TOAN", 1, {G.CK1, G.CN}),
        ("TOAN", 3, {G.CK1, G.CN}),
        ("TOAN", 5, {G.GK1, G.CK1, G.GK2, G.CN}),
        ("NN1", 3, {G.CK1, G.CN}),
        ("NN1", 4, {G.CK1, G.CN}),  # only Tiếng Việt and Toán have mid-term tests
        ("TIN_HOC_CONG_NGHE", 3, {G.CK1, G.CN}),
        ("KHOA_HOC", 4, {G.CK1, G.CN}),
        ("LICH_SU_DIA_LI", 5, {G.CK1, G.CN}),
        ("DAO_DUC", 4, set()),
        ("TNXH", 3, set()),
        ("HDTN", 5, set()),
    ],
)
def test_periodic_test_points(code: str, grade: int, points: set[AssessmentPoint]) -> None:
    spec = RULES.subject(code)
    assert spec is not None
    assert spec.test_points_for(grade) == points


def test_year_scores_cover_exactly_the_subjects_tested_at_the_end_of_the_year() -> None:
    codes = ("TIENG_VIET", "TOAN", "NN1", "DAO_DUC", "TNXH", "TIN_HOC_CONG_NGHE", "GDTC")
    outcome = RULES.compute(school_class(3, codes), PrimaryStudentYear())
    assert set(outcome.year_scores) == {"TIENG_VIET", "TOAN", "NN1", "TIN_HOC_CONG_NGHE"}


@pytest.mark.parametrize(
    ("grade", "count", "has_tin_hoc"), [(1, 8, False), (2, 8, False), (3, 10, True), (5, 10, True)]
)
def test_competences_per_grade(grade: int, count: int, has_tin_hoc: bool) -> None:
    # 3 general + 5 specific in grades 1–2; Công nghệ and Tin học join from grade 3
    codes = {c.code for c in RULES.competences_for(grade)}
    assert len(codes) == count
    assert ({"TIN_HOC", "CONG_NGHE"} <= codes) is has_tin_hoc
    assert len(RULES.qualities_for(grade)) == 5


def test_grade_2_class_is_judged_without_tin_hoc_competence() -> None:
    codes = ("TIENG_VIET", "TOAN", "DAO_DUC", "TNXH", "GDTC", "AM_NHAC", "MI_THUAT", "HDTN")
    year = primary_year(2, dict.fromkeys(codes, T), {"TIENG_VIET": 9, "TOAN": 9})
    outcome = RULES.compute(school_class(2, codes), year)
    assert "TIN_HOC" not in outcome.competences
    assert outcome.result is R.HTXS
