"""Thông tư 22/2021/TT-BGDĐT: assessment of lower and upper secondary students (THCS, THPT).

Decisions where the circular leaves a choice (see docs/rules.md):
- ĐTBmcn is computed from the *rounded* term averages. Điều 9 khoản 2 defines ĐTBmhk and ĐTBmcn as
  numbers "lấy đến chữ số thập phân thứ nhất sau khi làm tròn số" and ĐTBmcn from ĐTBmhkI and
  ĐTBmhkII, which are recorded in the sổ theo dõi as rounded values: the year average is computed
  from what the book shows, as every school's book does.
- A result that cannot be decided (a missing score or level) is ``None``, never guessed.
- The year level of a comment-only subject is the term II level (Điều 7 khoản 2 điểm b).
"""

from __future__ import annotations

from decimal import Decimal

from records.model import Pass, Rating, SchoolClass, SecondaryStudentYear
from records.results import PromotionOutcome, SecondaryYearResult, SubjectResult, Title
from records.rules.base import AssessmentKind, SubjectSpec, round_half_up

THCS = frozenset(range(6, 10))
THPT = frozenset(range(10, 13))
ALL = THCS | THPT
S, C = AssessmentKind.SCORED, AssessmentKind.COMMENT

# Order follows the học bạ's subject table.
SUBJECTS: tuple[SubjectSpec, ...] = (
    SubjectSpec("NGU_VAN", "Ngữ văn", "Văn", S, ALL, 140),
    SubjectSpec("TOAN", "Toán", "Toán", S, ALL, 140),
    SubjectSpec("NN1", "Ngoại ngữ 1", "NN1", S, ALL, 105),
    SubjectSpec("GDCD", "Giáo dục công dân", "GDCD", S, THCS, 35),
    SubjectSpec("LICH_SU_DIA_LI", "Lịch sử và Địa lí", "LS&ĐL", S, THCS, 105),
    SubjectSpec("KHTN", "Khoa học tự nhiên", "KHTN", S, THCS, 140),
    SubjectSpec("LICH_SU", "Lịch sử", "Sử", S, THPT, 52),
    SubjectSpec("DIA_LI", "Địa lí", "Địa", S, THPT, 70, optional=True),
    SubjectSpec("GDKTPL", "Giáo dục kinh tế và pháp luật", "GDKT&PL", S, THPT, 70, optional=True),
    SubjectSpec("VAT_LI", "Vật lí", "Lí", S, THPT, 70, optional=True),
    SubjectSpec("HOA_HOC", "Hoá học", "Hoá", S, THPT, 70, optional=True),
    SubjectSpec("SINH_HOC", "Sinh học", "Sinh", S, THPT, 70, optional=True),
    SubjectSpec("CONG_NGHE", "Công nghệ", "CN", S, ALL, 35),
    SubjectSpec("TIN_HOC", "Tin học", "Tin", S, ALL, 35),
    SubjectSpec("GDQP_AN", "Giáo dục quốc phòng và an ninh", "GDQP-AN", S, THPT, 35),
    SubjectSpec("NN2", "Ngoại ngữ 2", "NN2", S, ALL, 105, optional=True),
    SubjectSpec("GDTC", "Giáo dục thể chất", "GDTC", C, ALL, 70),
    SubjectSpec("NGHE_THUAT", "Nghệ thuật (Âm nhạc, Mĩ thuật)", "NT", C, THCS, 70),
    SubjectSpec("AM_NHAC", "Âm nhạc", "ÂN", C, THPT, 70, optional=True),
    SubjectSpec("MI_THUAT", "Mĩ thuật", "MT", C, THPT, 70, optional=True),
    SubjectSpec("HDTN_HN", "Hoạt động trải nghiệm, hướng nghiệp", "HĐTN", C, ALL, 105),
    SubjectSpec("GDDP", "Nội dung giáo dục của địa phương", "GDĐP", C, ALL, 35),
)

_RANK = {Rating.TOT: 3, Rating.KHA: 2, Rating.DAT: 1, Rating.CHUA_DAT: 0}
ABSENCE_LIMIT = 45  # Điều 12 khoản 1 điểm c: "nghỉ học không quá 45 buổi trong một năm học"
SIX = 6  # Điều 9: "ít nhất 06 môn học"


def at_least(rating: Rating | None, floor: Rating) -> bool:
    return rating is not None and _RANK[rating] >= _RANK[floor]


class TT22:
    id = "TT22/2021"
    title = "Thông tư 22/2021/TT-BGDĐT ngày 20/7/2021 quy định về đánh giá học sinh THCS và THPT"
    subjects = SUBJECTS

    def subject(self, code: str) -> SubjectSpec | None:
        return next((s for s in self.subjects if s.code == code), None)

    def required_regular_count(self, periods_per_year: int) -> int:
        """Điều 7 khoản 1: 2 ĐĐGtx up to 35 periods/year, 3 for >35–70, 4 above 70."""
        if periods_per_year <= 35:
            return 2
        if periods_per_year <= 70:
            return 3
        return 4

    def term_average(self, regular: list[Decimal], midterm: Decimal, final: Decimal) -> Decimal:
        """Điều 9 khoản 2: ĐTBmhk = (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (số ĐĐGtx + 5)."""
        total = sum(regular, Decimal(0)) + 2 * midterm + 3 * final
        return round_half_up(total / Decimal(len(regular) + 5))

    def year_average(self, term1: Decimal, term2: Decimal) -> Decimal:
        """Điều 9 khoản 2: ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3, from the rounded term averages."""
        return round_half_up((term1 + 2 * term2) / Decimal(3))

    def learning(self, scored: list[Decimal | None], comments: list[Pass | None]) -> Rating | None:
        """Điều 9 khoản 2 (kết quả học tập) for a term or the year; None if anything is missing."""
        if any(s is None for s in scored) or any(c is None for c in comments):
            return None
        avgs = [s for s in scored if s is not None]
        all_pass = all(c == Pass.D for c in comments)
        failed = sum(1 for c in comments if c == Pass.CD)
        if all_pass and all(a >= Decimal("6.5") for a in avgs) and _count(avgs, "8.0") >= SIX:
            return Rating.TOT
        if all_pass and all(a >= Decimal("5.0") for a in avgs) and _count(avgs, "6.5") >= SIX:
            return Rating.KHA
        if failed <= 1 and _count(avgs, "5.0") >= SIX and all(a >= Decimal("3.5") for a in avgs):
            return Rating.DAT
        return Rating.CHUA_DAT

    def subject_result(
        self, spec: SubjectSpec, periods: int, year: SecondaryStudentYear
    ) -> SubjectResult:
        a = year.subjects.get(spec.code)
        if spec.kind is AssessmentKind.COMMENT:
            t1 = a.comment1.level if a and a.comment1 else None
            t2 = a.comment2.level if a and a.comment2 else None
            return SubjectResult(spec.code, False, term1_level=t1, term2_level=t2, year_level=t2)
        need = self.required_regular_count(periods)
        terms: list[Decimal | None] = []
        for term in (a.term1 if a else None, a.term2 if a else None):
            complete = (
                term is not None
                and len(term.regular) == need
                and term.midterm is not None
                and term.final is not None
            )
            if complete and term is not None and term.midterm is not None and term.final is not None:
                terms.append(self.term_average(list(term.regular), term.midterm, term.final))
            else:
                terms.append(None)
        t1, t2 = terms
        year_avg = self.year_average(t1, t2) if t1 is not None and t2 is not None else None
        return SubjectResult(spec.code, True, t1, t2, year_avg)

    def compute(self, school_class: SchoolClass, year: SecondaryStudentYear) -> SecondaryYearResult:
        results: dict[str, SubjectResult] = {}
        for cs in school_class.subjects:
            spec = self.subject(cs.code)
            if spec is not None:
                results[cs.code] = self.subject_result(spec, cs.periods_per_year, year)
        scored = [r for r in results.values() if r.scored]
        comment = [r for r in results.values() if not r.scored]
        l1 = self.learning([r.term1_average for r in scored], [r.term1_level for r in comment])
        l2 = self.learning([r.term2_average for r in scored], [r.term2_level for r in comment])
        ly = self.learning([r.year_average for r in scored], [r.year_level for r in comment])
        absences = year.absences_term1 + year.absences_term2
        final_grade = school_class.grade in (9, 12)
        notes: list[str] = []
        if absences > ABSENCE_LIMIT:
            promotion = PromotionOutcome.NOT_COMPLETED if final_grade else PromotionOutcome.NOT_PROMOTED
            notes.append(f"Nghỉ học {absences} buổi, quá {ABSENCE_LIMIT} buổi (Điều 12 TT22).")
        elif ly is None or year.conduct_year is None:
            promotion = PromotionOutcome.PENDING
            notes.append("Chưa đủ kết quả học tập hoặc rèn luyện cả năm để xét lên lớp.")
        elif at_least(ly, Rating.DAT) and at_least(year.conduct_year, Rating.DAT):
            promotion = PromotionOutcome.COMPLETED if final_grade else PromotionOutcome.PROMOTED
        else:
            promotion = PromotionOutcome.REEVALUATE
            notes.append("Kết quả học tập hoặc rèn luyện cả năm ở mức Chưa đạt (Điều 12 TT22).")
        title: Title | None = None
        if ly == Rating.TOT and year.conduct_year == Rating.TOT:
            nines = _count([r.year_average for r in scored if r.year_average is not None], "9.0")
            title = Title.XUAT_SAC if nines >= SIX else Title.GIOI
        return SecondaryYearResult(
            rule_set=self.id,
            subjects=results,
            learning_term1=l1,
            learning_term2=l2,
            learning_year=ly,
            conduct_term1=year.conduct_term1,
            conduct_term2=year.conduct_term2,
            conduct_year=year.conduct_year,
            absences=absences,
            promotion=promotion,
            title=title,
            notes=tuple(notes),
        )


def _count(values: list[Decimal], floor: str) -> int:
    threshold = Decimal(floor)
    return sum(1 for v in values if v >= threshold)
