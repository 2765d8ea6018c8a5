"""Thông tư 27/2020/TT-BGDĐT: assessment of primary students (tiểu học).

Decisions where the circular leaves a choice (see docs/rules.md):
- The year-end result uses the CN (cuối năm) assessment point only (Điều 9 khoản 1: "cuối năm học").
- "Every end-of-year periodic test" means every subject of the class that has a periodic test at the
  CN point for the class's grade (Điều 7 khoản 2).
- Specific competences: Tin học and Công nghệ are assessed from grade 3, when "Tin học và Công nghệ"
  is taught; grades 1–2 assess the other five.
- "Học sinh Tiêu biểu…" needs the class's recognition, which no rule can compute: it is accepted from
  the submitted data only when the computed result is Hoàn thành tốt.
"""

from __future__ import annotations

from records.model import (
    AssessmentPoint,
    PrimaryLevel,
    PrimaryStudentYear,
    QualityLevel,
    SchoolClass,
)
from records.results import PrimaryTitle, PrimaryYearOutcome, PrimaryYearResult
from records.rules.base import AssessmentKind, QualitySpec, SubjectSpec

P = AssessmentKind.PRIMARY
G = AssessmentPoint
ALL = frozenset(range(1, 6))
END_ONLY = frozenset({G.CK1, G.CN})
WITH_MID = frozenset({G.GK1, G.CK1, G.GK2, G.CN})


def _tests(grades: range, points: frozenset[AssessmentPoint]) -> tuple[tuple[int, frozenset[G]], ...]:
    return tuple((g, points) for g in grades)


_TV_TOAN_TESTS = _tests(range(1, 4), END_ONLY) + _tests(range(4, 6), WITH_MID)

SUBJECTS: tuple[SubjectSpec, ...] = (
    SubjectSpec("TIENG_VIET", "Tiếng Việt", "TV", P, ALL, 245, test_points=_TV_TOAN_TESTS),
    SubjectSpec("TOAN", "Toán", "Toán", P, ALL, 175, test_points=_TV_TOAN_TESTS),
    SubjectSpec("NN1", "Ngoại ngữ 1", "NN1", P, frozenset({3, 4, 5}), 140,
                test_points=_tests(range(3, 6), END_ONLY)),
    SubjectSpec("DAO_DUC", "Đạo đức", "ĐĐ", P, ALL, 35),
    SubjectSpec("TNXH", "Tự nhiên và Xã hội", "TNXH", P, frozenset({1, 2, 3}), 70),
    SubjectSpec("LICH_SU_DIA_LI", "Lịch sử và Địa lí", "LS&ĐL", P, frozenset({4, 5}), 70,
                test_points=_tests(range(4, 6), END_ONLY)),
    SubjectSpec("KHOA_HOC", "Khoa học", "KH", P, frozenset({4, 5}), 70,
                test_points=_tests(range(4, 6), END_ONLY)),
    SubjectSpec("TIN_HOC_CONG_NGHE", "Tin học và Công nghệ", "TH&CN", P, frozenset({3, 4, 5}), 70,
                test_points=_tests(range(3, 6), END_ONLY)),
    SubjectSpec("GDTC", "Giáo dục thể chất", "GDTC", P, ALL, 70),
    SubjectSpec("AM_NHAC", "Âm nhạc", "ÂN", P, ALL, 35),
    SubjectSpec("MI_THUAT", "Mĩ thuật", "MT", P, ALL, 35),
    SubjectSpec("HDTN", "Hoạt động trải nghiệm", "HĐTN", P, ALL, 105),
)

_Q = "phẩm chất"
_NLC = "năng lực chung"
_NLD = "năng lực đặc thù"
QUALITIES: tuple[QualitySpec, ...] = (
    QualitySpec("YEU_NUOC", "Yêu nước", _Q, ALL),
    QualitySpec("NHAN_AI", "Nhân ái", _Q, ALL),
    QualitySpec("CHAM_CHI", "Chăm chỉ", _Q, ALL),
    QualitySpec("TRUNG_THUC", "Trung thực", _Q, ALL),
    QualitySpec("TRACH_NHIEM", "Trách nhiệm", _Q, ALL),
)
COMPETENCES: tuple[QualitySpec, ...] = (
    QualitySpec("TU_CHU_TU_HOC", "Tự chủ và tự học", _NLC, ALL),
    QualitySpec("GIAO_TIEP_HOP_TAC", "Giao tiếp và hợp tác", _NLC, ALL),
    QualitySpec("GQVD_SANG_TAO", "Giải quyết vấn đề và sáng tạo", _NLC, ALL),
    QualitySpec("NGON_NGU", "Ngôn ngữ", _NLD, ALL),
    QualitySpec("TINH_TOAN", "Tính toán", _NLD, ALL),
    QualitySpec("KHOA_HOC", "Khoa học", _NLD, ALL),
    QualitySpec("CONG_NGHE", "Công nghệ", _NLD, frozenset({3, 4, 5})),
    QualitySpec("TIN_HOC", "Tin học", _NLD, frozenset({3, 4, 5})),
    QualitySpec("THAM_MI", "Thẩm mĩ", _NLD, ALL),
    QualitySpec("THE_CHAT", "Thể chất", _NLD, ALL),
)


class TT27:
    id = "TT27/2020"
    title = "Thông tư 27/2020/TT-BGDĐT ngày 04/9/2020 ban hành Quy định đánh giá học sinh tiểu học"
    subjects = SUBJECTS
    qualities = QUALITIES
    competences = COMPETENCES

    def subject(self, code: str) -> SubjectSpec | None:
        return next((s for s in self.subjects if s.code == code), None)

    def qualities_for(self, grade: int) -> tuple[QualitySpec, ...]:
        return tuple(q for q in self.qualities if grade in q.grades)

    def competences_for(self, grade: int) -> tuple[QualitySpec, ...]:
        return tuple(c for c in self.competences if grade in c.grades)

    def year_result(
        self,
        levels: list[PrimaryLevel | None],
        traits: list[QualityLevel | None],
        scores: list[int | None],
    ) -> PrimaryYearResult | None:
        """Điều 9 khoản 1: year-end result from subject levels, qualities/competences, CN tests."""
        if any(v is None for v in [*levels, *traits, *scores]):
            return None
        lows = [s for s in scores if s is not None]
        all_t = all(lv == PrimaryLevel.T for lv in levels)
        traits_top = all(t == QualityLevel.T for t in traits)
        if all_t and traits_top and all(s >= 9 for s in lows):
            return PrimaryYearResult.HTXS
        if all_t and traits_top and all(s >= 7 for s in lows):
            return PrimaryYearResult.HTT
        if (
            all(lv in (PrimaryLevel.T, PrimaryLevel.H) for lv in levels)
            and all(t in (QualityLevel.T, QualityLevel.D) for t in traits)
            and all(s >= 5 for s in lows)
        ):
            return PrimaryYearResult.HT
        return PrimaryYearResult.CHT

    def compute(self, school_class: SchoolClass, year: PrimaryStudentYear) -> PrimaryYearOutcome:
        grade = school_class.grade
        cn = year.points.get(AssessmentPoint.CN)
        levels: dict[str, PrimaryLevel | None] = {}
        scores: dict[str, int | None] = {}
        for cs in school_class.subjects:
            spec = self.subject(cs.code)
            if spec is None:
                continue
            mark = cn.subjects.get(cs.code) if cn else None
            levels[cs.code] = mark.level if mark else None
            if AssessmentPoint.CN in spec.test_points_for(grade):
                scores[cs.code] = mark.score if mark else None
        qualities = {q.code: (cn.qualities.get(q.code) if cn else None) for q in self.qualities_for(grade)}
        competences = {
            c.code: (cn.competences.get(c.code) if cn else None) for c in self.competences_for(grade)
        }
        result = self.year_result(
            list(levels.values()), [*qualities.values(), *competences.values()], list(scores.values())
        )
        notes: list[str] = []
        if result is None:
            notes.append("Chưa đủ kết quả đánh giá cuối năm để xác định kết quả giáo dục.")
        title: PrimaryTitle | None = None
        if result == PrimaryYearResult.HTXS:
            title = PrimaryTitle.XUAT_SAC
        elif result == PrimaryYearResult.HTT and year.submitted_title == PrimaryTitle.TIEU_BIEU.value:
            title = PrimaryTitle.TIEU_BIEU
        return PrimaryYearOutcome(
            rule_set=self.id,
            result=result,
            title=title,
            completes_grade=result in (PrimaryYearResult.HTXS, PrimaryYearResult.HTT, PrimaryYearResult.HT),
            subject_levels=levels,
            year_scores=scores,
            qualities=qualities,
            competences=competences,
            notes=tuple(notes),
        )
