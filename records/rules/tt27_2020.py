"""Thông tư 27/2020/TT-BGDĐT: assessment of primary students (tiểu học).

Decisions where the circular leaves a choice (docs/rules.md gives the reasons):
- The year-end result uses the CN (cuối năm) assessment point only (Điều 9: "cuối năm học").
- "Every end-of-year periodic test" means every subject of the class that has a periodic test at the
  CN point for the class's grade (Điều 7).
- Specific competences: Tin học and Công nghệ are assessed from grade 3, when "Tin học và Công nghệ"
  is taught; grades 1–2 assess the other five.
- "Học sinh Tiêu biểu…" needs the class's recognition, which no rule can compute: it is accepted
  from the submitted data only when the computed result is Hoàn thành tốt.
- A result that cannot be decided (a missing level or test score) is ``None``, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable

from records.model import (
    AssessmentPoint,
    PrimaryLevel,
    PrimaryStudentYear,
    QualityLevel,
    SchoolClass,
)
from records.results import PrimaryTitle, PrimaryYearOutcome, PrimaryYearResult
from records.rules.base import AssessmentKind, QualitySpec, SubjectSpec

G = AssessmentPoint
ALL = frozenset(range(1, 6))
FROM_3 = frozenset({3, 4, 5})
FROM_4 = frozenset({4, 5})
END_ONLY = frozenset({G.CK1, G.CN})
WITH_MID = frozenset({G.GK1, G.CK1, G.GK2, G.CN})

TestPoints = tuple[tuple[int, frozenset[AssessmentPoint]], ...]


def _tests(grades: Iterable[int], points: frozenset[AssessmentPoint]) -> TestPoints:
    return tuple((g, points) for g in sorted(grades))


def _subject(
    code: str, name: str, short: str, grades: frozenset[int], periods: int, tests: TestPoints = ()
) -> SubjectSpec:
    return SubjectSpec(
        code, name, short, AssessmentKind.PRIMARY, grades, periods, test_points=tests
    )


# Điều 7: periodic tests at the end of term I and of the year for Tiếng Việt, Toán, Ngoại ngữ 1,
# Lịch sử và Địa lí, Khoa học, Tin học và Công nghệ; grades 4 and 5 also at mid-term I and II for
# Tiếng Việt and Toán.
_TV_TOAN = _tests({1, 2, 3}, END_ONLY) + _tests(FROM_4, WITH_MID)
_END_3 = _tests(FROM_3, END_ONLY)
_END_4 = _tests(FROM_4, END_ONLY)

# default_periods: the grade 3–5 figure (Tiếng Việt has more in grades 1–2); TT27 rules do not
# depend on it, it only pre-fills a class's subject list.
SUBJECTS: tuple[SubjectSpec, ...] = (
    _subject("TIENG_VIET", "Tiếng Việt", "TV", ALL, 245, _TV_TOAN),
    _subject("TOAN", "Toán", "Toán", ALL, 175, _TV_TOAN),
    _subject("NN1", "Ngoại ngữ 1", "NN1", FROM_3, 140, _END_3),
    _subject("DAO_DUC", "Đạo đức", "ĐĐ", ALL, 35),
    _subject("TNXH", "Tự nhiên và Xã hội", "TNXH", frozenset({1, 2, 3}), 70),
    _subject("LICH_SU_DIA_LI", "Lịch sử và Địa lí", "LS&ĐL", FROM_4, 70, _END_4),
    _subject("KHOA_HOC", "Khoa học", "KH", FROM_4, 70, _END_4),
    _subject("TIN_HOC_CONG_NGHE", "Tin học và Công nghệ", "TH&CN", FROM_3, 70, _END_3),
    _subject("GDTC", "Giáo dục thể chất", "GDTC", ALL, 70),
    _subject("AM_NHAC", "Âm nhạc", "ÂN", ALL, 35),
    _subject("MI_THUAT", "Mĩ thuật", "MT", ALL, 35),
    _subject("HDTN", "Hoạt động trải nghiệm", "HĐTN", ALL, 105),
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
    QualitySpec("CONG_NGHE", "Công nghệ", _NLD, FROM_3),
    QualitySpec("TIN_HOC", "Tin học", _NLD, FROM_3),
    QualitySpec("THAM_MI", "Thẩm mĩ", _NLD, ALL),
    QualitySpec("THE_CHAT", "Thể chất", _NLD, ALL),
)

_COMPLETES = frozenset({PrimaryYearResult.HTXS, PrimaryYearResult.HTT, PrimaryYearResult.HT})


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
        """Điều 9: year-end result from subject levels, qualities and competences, CN tests."""
        if any(v is None for v in [*levels, *traits, *scores]):
            return None
        tests = [s for s in scores if s is not None]
        all_t = all(lv is PrimaryLevel.T for lv in levels)
        traits_top = all(t is QualityLevel.T for t in traits)
        if all_t and traits_top and all(s >= 9 for s in tests):
            return PrimaryYearResult.HTXS
        if all_t and traits_top and all(s >= 7 for s in tests):
            return PrimaryYearResult.HTT
        if (
            all(lv in (PrimaryLevel.T, PrimaryLevel.H) for lv in levels)
            and all(t in (QualityLevel.T, QualityLevel.D) for t in traits)
            and all(s >= 5 for s in tests)
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
            if spec is None:  # an unknown code is the validator's finding subject.unknown
                continue
            mark = cn.subjects.get(cs.code) if cn else None
            levels[cs.code] = mark.level if mark else None
            if AssessmentPoint.CN in spec.test_points_for(grade):
                scores[cs.code] = mark.score if mark else None
        qualities = {
            q.code: cn.qualities.get(q.code) if cn else None for q in self.qualities_for(grade)
        }
        competences = {
            c.code: cn.competences.get(c.code) if cn else None for c in self.competences_for(grade)
        }
        result = self.year_result(
            list(levels.values()),
            [*qualities.values(), *competences.values()],
            list(scores.values()),
        )
        notes: list[str] = []
        if result is None:
            notes.append(self._missing(levels, scores, qualities | competences))
        title: PrimaryTitle | None = None
        if result is PrimaryYearResult.HTXS:
            title = PrimaryTitle.XUAT_SAC
        elif year.submitted_title == PrimaryTitle.TIEU_BIEU.value:
            if result is PrimaryYearResult.HTT:
                title = PrimaryTitle.TIEU_BIEU
            else:
                notes.append(
                    f"Không ghi danh hiệu «{PrimaryTitle.TIEU_BIEU.value}»: danh hiệu này chỉ dành "
                    "cho học sinh có kết quả giáo dục Hoàn thành tốt."
                )
        return PrimaryYearOutcome(
            rule_set=self.id,
            result=result,
            title=title,
            # False also while the result is unknown: read it together with ``result``
            completes_grade=result in _COMPLETES,
            subject_levels=levels,
            year_scores=scores,
            qualities=qualities,
            competences=competences,
            notes=tuple(notes),
        )

    def _missing(
        self,
        levels: dict[str, PrimaryLevel | None],
        scores: dict[str, int | None],
        traits: dict[str, QualityLevel | None],
    ) -> str:
        names = {q.code: q.name for q in (*self.qualities, *self.competences)}
        parts = []
        if gaps := [self._name(c) for c, v in levels.items() if v is None]:
            parts.append("mức đạt được môn " + ", ".join(gaps))
        if gaps := [self._name(c) for c, v in scores.items() if v is None]:
            parts.append("điểm kiểm tra định kì cuối năm môn " + ", ".join(gaps))
        if gaps := [names[c] for c, v in traits.items() if v is None]:
            parts.append("mức phẩm chất, năng lực: " + ", ".join(gaps))
        return "Chưa đủ kết quả đánh giá cuối năm để xác định kết quả giáo dục; thiếu " + (
            "; ".join(parts) + "."
        )

    def _name(self, code: str) -> str:
        spec = self.subject(code)
        return spec.name if spec else code
