"""Thông tư 22/2021/TT-BGDĐT: assessment of lower and upper secondary students (THCS, THPT).

Every rule cites its article; docs/rules.md lists them, says which citations we could not check
against the official text, and records the decisions taken where the circular leaves a choice:
- ĐTBmcn is computed from the *rounded* term averages (Điều 9 khoản 1 điểm b: ĐTBmcn is computed
  from ĐTBmhkI and ĐTBmhkII, which the sổ theo dõi records to one decimal after rounding).
- The year conduct result follows from the two term results (Điều 8); a year value in the data
  that disagrees is overridden and the disagreement is noted.
- Điều 9 khoản 3 (one subject alone pulls the result down two levels or more → one level up)
  counts a comment-only subject at Chưa đạt as "one subject" too.
- A result that cannot be decided (a missing score or level) is ``None``, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from records.model import Pass, Rating, SchoolClass, SecondaryStudentYear
from records.results import PromotionOutcome, SecondaryYearResult, SubjectResult, Title
from records.rules.base import AssessmentKind, SubjectSpec, round_half_up

THCS = frozenset(range(6, 10))
THPT = frozenset(range(10, 13))
ALL = THCS | THPT
S, C = AssessmentKind.SCORED, AssessmentKind.COMMENT

# Order follows the học bạ's subject table. Comment-only subjects: Điều 5 khoản 3 điểm a.
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

_RANK = {Rating.CHUA_DAT: 0, Rating.DAT: 1, Rating.KHA: 2, Rating.TOT: 3}
_BY_RANK = {rank: rating for rating, rank in _RANK.items()}
ABSENCE_LIMIT = 45  # Điều 12 khoản 1 điểm c: "nghỉ học không quá 45 buổi trong một năm học"
MIN_SUBJECTS = 6  # Điều 9 khoản 2: "ít nhất 06 môn học"
RETEST_BELOW = Decimal("5.0")  # re-test subjects: ĐTBmcn dưới 5,0 điểm, or a comment subject CĐ
FINAL_GRADES = frozenset({9, 12})  # last grade of THCS / THPT: "Hoàn thành chương trình"

Scores = Mapping[str, Decimal | None]  # subject code → ĐTBmhk or ĐTBmcn
Levels = Mapping[str, Pass | None]  # subject code → Đ / CĐ


def at_least(rating: Rating | None, floor: Rating) -> bool:
    return rating is not None and _RANK[rating] >= _RANK[floor]


def year_conduct(term1: Rating, term2: Rating) -> Rating:
    """Điều 8: the year conduct result from the two term results, term II weighing more."""
    if term2 is Rating.TOT:
        return Rating.TOT if at_least(term1, Rating.KHA) else Rating.KHA
    if term2 is Rating.KHA:
        return Rating.KHA if at_least(term1, Rating.DAT) else Rating.DAT
    if term2 is Rating.DAT:
        return Rating.KHA if term1 is Rating.TOT else Rating.DAT
    return Rating.CHUA_DAT


@dataclass(frozen=True)
class LearningGrade:
    """A learning result and, when Điều 9 khoản 3 lifted it one level, the subject that caused
    the drop."""

    rating: Rating
    lifted_for: str | None = None


def _by_thresholds(scores: list[Decimal], failed_comments: int) -> Rating:
    """Điều 9 khoản 2 điểm a–d, without the adjustment of khoản 3."""

    def every(floor: str) -> bool:
        return all(s >= Decimal(floor) for s in scores)

    def six(floor: str) -> bool:
        return sum(1 for s in scores if s >= Decimal(floor)) >= MIN_SUBJECTS

    if failed_comments == 0 and every("6.5") and six("8.0"):
        return Rating.TOT
    if failed_comments == 0 and every("5.0") and six("6.5"):
        return Rating.KHA
    if failed_comments <= 1 and every("3.5") and six("5.0"):
        return Rating.DAT
    return Rating.CHUA_DAT


def grade_learning(scored: Scores, comments: Levels) -> LearningGrade | None:
    """Kết quả học tập of a term or the year (Điều 9 khoản 2–3); None if any result is missing.

    Khoản 3: if the result falls two levels or more below Tốt or Khá only because of one subject,
    it is lifted to the next level up. That subject is found by leaving each subject out in turn:
    it is the single one without which the student would be at Tốt or Khá.
    """
    if any(v is None for v in scored.values()) or any(v is None for v in comments.values()):
        return None
    scores = {code: v for code, v in scored.items() if v is not None}
    levels = {code: v for code, v in comments.items() if v is not None}

    def rating(skip: str | None = None) -> Rating:
        kept = [v for code, v in scores.items() if code != skip]
        failed = sum(1 for code, v in levels.items() if code != skip and v is Pass.CD)
        return _by_thresholds(kept, failed)

    base = rating()
    causes = [
        code
        for code in (*scores, *levels)
        if (without := rating(skip=code)) in (Rating.TOT, Rating.KHA)
        and _RANK[without] - _RANK[base] >= 2
    ]
    if len(causes) == 1:
        return LearningGrade(_BY_RANK[_RANK[base] + 1], lifted_for=causes[0])
    return LearningGrade(base)


class TT22:
    id = "TT22/2021"
    title = "Thông tư 22/2021/TT-BGDĐT ngày 20/7/2021 quy định về đánh giá học sinh THCS và THPT"
    subjects = SUBJECTS

    def subject(self, code: str) -> SubjectSpec | None:
        return next((s for s in self.subjects if s.code == code), None)

    def required_regular_count(self, periods_per_year: int) -> int:
        """Điều 6 khoản 2 điểm b: 2 ĐĐGtx up to 35 periods/year, 3 for >35–70, 4 above 70."""
        if periods_per_year <= 35:
            return 2
        if periods_per_year <= 70:
            return 3
        return 4

    def term_average(self, regular: list[Decimal], midterm: Decimal, final: Decimal) -> Decimal:
        """Điều 9 khoản 1 điểm b: ĐTBmhk = (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (số ĐĐGtx + 5)."""
        total = sum(regular, Decimal(0)) + 2 * midterm + 3 * final
        return round_half_up(total / Decimal(len(regular) + 5))

    def year_average(self, term1: Decimal, term2: Decimal) -> Decimal:
        """Điều 9 khoản 1 điểm b: ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3, from the rounded term
        averages, as the sổ theo dõi records them."""
        return round_half_up((term1 + 2 * term2) / Decimal(3))

    def learning(self, scored: Scores, comments: Levels) -> Rating | None:
        """Kết quả học tập (Điều 9 khoản 2–3) from subject code → average / level."""
        graded = grade_learning(scored, comments)
        return graded.rating if graded else None

    def subject_result(
        self, spec: SubjectSpec, periods: int, year: SecondaryStudentYear
    ) -> SubjectResult:
        a = year.subjects.get(spec.code)
        if spec.kind is AssessmentKind.COMMENT:
            # Điều 9 khoản 1 điểm a: the year level is the term II level
            t1 = a.comment1.level if a and a.comment1 else None
            t2 = a.comment2.level if a and a.comment2 else None
            return SubjectResult(spec.code, False, term1_level=t1, term2_level=t2, year_level=t2)
        need = self.required_regular_count(periods)
        averages: list[Decimal | None] = []
        for term in (a.term1 if a else None, a.term2 if a else None):
            if (
                term is None
                or len(term.regular) != need  # a wrong count is finding assessment.regular_count
                or term.midterm is None
                or term.final is None
            ):
                averages.append(None)
            else:
                averages.append(self.term_average(list(term.regular), term.midterm, term.final))
        avg1, avg2 = averages
        year_avg = self.year_average(avg1, avg2) if avg1 is not None and avg2 is not None else None
        return SubjectResult(spec.code, True, avg1, avg2, year_avg)

    def promotion(
        self,
        grade: int,
        learning: Rating | None,
        conduct: Rating | None,
        absences: int,
        *,
        learning_reevaluated: Rating | None = None,
        conduct_reevaluated: Rating | None = None,
    ) -> tuple[PromotionOutcome, tuple[str, ...]]:
        """Điều 12 (lên lớp) and the re-evaluation after the summer (kiểm tra, đánh giá lại các
        môn học; rèn luyện trong kì nghỉ hè): the outcome and why."""
        final = grade in FINAL_GRADES
        passed = PromotionOutcome.COMPLETED if final else PromotionOutcome.PROMOTED
        failed = PromotionOutcome.NOT_COMPLETED if final else PromotionOutcome.NOT_PROMOTED
        if absences > ABSENCE_LIMIT:
            return failed, (f"Nghỉ học {absences} buổi, quá {ABSENCE_LIMIT} buổi (Điều 12 TT22).",)
        if learning is None or conduct is None:
            return PromotionOutcome.PENDING, (
                "Chưa đủ kết quả học tập hoặc rèn luyện cả năm để xét lên lớp.",
            )
        if at_least(learning, Rating.DAT) and at_least(conduct, Rating.DAT):
            return passed, ()
        # Only the result that was Chưa đạt is re-evaluated; the other one stands.
        after_learning = learning if at_least(learning, Rating.DAT) else learning_reevaluated
        after_conduct = conduct if at_least(conduct, Rating.DAT) else conduct_reevaluated
        waiting: list[str] = []
        if after_learning is None:
            waiting.append(
                "Kết quả học tập cả năm Chưa đạt: chờ kết quả kiểm tra, đánh giá lại trong hè."
            )
        if after_conduct is None:
            waiting.append(
                "Kết quả rèn luyện cả năm Chưa đạt: chờ đánh giá lại sau khi rèn luyện trong hè."
            )
        if waiting:
            return PromotionOutcome.REEVALUATE, tuple(waiting)
        if at_least(after_learning, Rating.DAT) and at_least(after_conduct, Rating.DAT):
            return passed, ("Đạt sau khi kiểm tra, đánh giá lại hoặc rèn luyện trong kì nghỉ hè.",)
        return failed, ("Sau khi đánh giá lại, kết quả học tập hoặc rèn luyện vẫn Chưa đạt.",)

    def compute(self, school_class: SchoolClass, year: SecondaryStudentYear) -> SecondaryYearResult:
        results: dict[str, SubjectResult] = {}
        for cs in school_class.subjects:
            spec = self.subject(cs.code)
            if spec is not None:  # an unknown code is the validator's finding subject.unknown
                results[cs.code] = self.subject_result(spec, cs.periods_per_year, year)
        notes: list[str] = []
        l1 = self._learning(results, "học kì I", lambda r: (r.term1_average, r.term1_level), notes)
        l2 = self._learning(results, "học kì II", lambda r: (r.term2_average, r.term2_level), notes)
        ly = self._learning(results, "cả năm", lambda r: (r.year_average, r.year_level), notes)
        if ly is None:
            missing = [self._name(r.code) for r in results.values() if not _year_known(r)]
            notes.append("Chưa đủ kết quả cả năm các môn: " + ", ".join(missing) + ".")

        conduct = year.conduct_year
        if year.conduct_term1 is not None and year.conduct_term2 is not None:
            conduct = year_conduct(year.conduct_term1, year.conduct_term2)
            if year.conduct_year is not None and year.conduct_year is not conduct:
                notes.append(
                    f"Kết quả rèn luyện cả năm ghi trong dữ liệu ({year.conduct_year.value}) khác "
                    f"mức suy ra từ hai học kì theo Điều 8 TT22 ({conduct.value}); "
                    "hsdt dùng mức suy ra."
                )

        absences = year.absences_term1 + year.absences_term2
        learning_re: Rating | None = None
        if ly is Rating.CHUA_DAT and absences <= ABSENCE_LIMIT:  # over the limit: no re-test
            results, learning_re = self._reevaluate(results, year, notes)
        elif ly is not None:
            notes.extend(self._unused_retests(results, year, learning_failed=False))
        # the GVCN's conduct assessment after summer training counts only when conduct failed
        conduct_re = year.conduct_year_reevaluated if conduct is Rating.CHUA_DAT else None

        promotion, why = self.promotion(
            school_class.grade,
            ly,
            conduct,
            absences,
            learning_reevaluated=learning_re,
            conduct_reevaluated=conduct_re,
        )
        notes.extend(why)

        # Điều 15 khoản 1: titles from the year results before any re-evaluation
        title: Title | None = None
        if ly is Rating.TOT and conduct is Rating.TOT:
            nines = sum(
                1
                for r in results.values()
                if r.scored and r.year_average is not None and r.year_average >= Decimal("9.0")
            )
            title = Title.XUAT_SAC if nines >= MIN_SUBJECTS else Title.GIOI
        return SecondaryYearResult(
            rule_set=self.id,
            subjects=results,
            learning_term1=l1,
            learning_term2=l2,
            learning_year=ly,
            conduct_term1=year.conduct_term1,
            conduct_term2=year.conduct_term2,
            conduct_year=conduct,
            absences=absences,
            promotion=promotion,
            title=title,
            notes=tuple(notes),
            learning_year_reevaluated=learning_re,
            conduct_year_reevaluated=conduct_re,
        )

    # ------------------------------------------------------------------ helpers of compute

    def _name(self, code: str) -> str:
        spec = self.subject(code)
        return spec.name if spec else code

    def _learning(
        self,
        results: Mapping[str, SubjectResult],
        period: str,
        pick: Callable[[SubjectResult], tuple[Decimal | None, Pass | None]],
        notes: list[str],
    ) -> Rating | None:
        scored = {c: pick(r)[0] for c, r in results.items() if r.scored}
        comments = {c: pick(r)[1] for c, r in results.items() if not r.scored}
        graded = grade_learning(scored, comments)
        if graded is None:
            return None
        if graded.lifted_for is not None:
            notes.append(
                f"Kết quả học tập {period} được điều chỉnh lên mức {graded.rating.value} vì chỉ do "
                f"kết quả môn {self._name(graded.lifted_for)} mà bị thấp xuống từ hai mức trở lên "
                "(Điều 9 khoản 3 TT22)."
            )
        return graded.rating

    def _reevaluate(
        self, results: dict[str, SubjectResult], year: SecondaryStudentYear, notes: list[str]
    ) -> tuple[dict[str, SubjectResult], Rating | None]:
        """Kiểm tra, đánh giá lại (TT22 Điều 12–14): a re-test result replaces the year result of
        its subject, and the year learning result is assessed again by Điều 9 khoản 2–3.

        Only subjects with ĐTBmcn below 5,0 or a comment subject at Chưa đạt may be re-tested; the
        student picks some of them, so untested ones keep their year result. None until at least
        one re-test result is in.
        """
        candidates = [self._name(c) for c, r in results.items() if _may_retest(r)]
        if candidates:
            notes.append("Môn được kiểm tra, đánh giá lại: " + ", ".join(candidates) + ".")
        notes.extend(self._unused_retests(results, year, learning_failed=True))
        updated = dict(results)
        for code, r in results.items():
            a = year.subjects.get(code)
            if a is None or not _may_retest(r):
                continue
            if r.scored and a.retest_score is not None:
                updated[code] = replace(r, retest_score=a.retest_score)
            elif not r.scored and a.retest_level is not None:
                updated[code] = replace(r, retest_level=a.retest_level)
        if updated == results:  # no re-test result yet
            return results, None
        scored = {c: _after_retest_score(r) for c, r in updated.items() if r.scored}
        comments = {c: _after_retest_level(r) for c, r in updated.items() if not r.scored}
        graded = grade_learning(scored, comments)
        if graded is not None and graded.lifted_for is not None:
            notes.append(
                f"Kết quả học tập đánh giá lại được điều chỉnh lên mức {graded.rating.value} "
                f"(Điều 9 khoản 3 TT22, môn {self._name(graded.lifted_for)})."
            )
        return updated, graded.rating if graded else None

    def _unused_retests(
        self,
        results: Mapping[str, SubjectResult],
        year: SecondaryStudentYear,
        *,
        learning_failed: bool,
    ) -> list[str]:
        """Re-test results the rules cannot use: the year learning result was not Chưa đạt, the
        subject may not be re-tested, or the result is of the wrong kind (a score for a comment
        subject)."""
        unused = []
        for code, r in results.items():
            a = year.subjects.get(code)
            if a is None or (a.retest_score is None and a.retest_level is None):
                continue
            own_kind = a.retest_score is not None if r.scored else a.retest_level is not None
            if not (learning_failed and own_kind and _may_retest(r)):
                unused.append(self._name(code))
        if not unused:
            return []
        return [
            "Không dùng kết quả kiểm tra lại của môn " + ", ".join(unused) + ": chỉ học sinh có "
            "kết quả học tập cả năm Chưa đạt và nghỉ học không quá 45 buổi được kiểm tra lại, và "
            "chỉ ở các môn có ĐTBmcn dưới 5,0 hoặc đánh giá Chưa đạt."
        ]


def _year_known(r: SubjectResult) -> bool:
    return (r.year_average if r.scored else r.year_level) is not None


def _after_retest_score(r: SubjectResult) -> Decimal | None:
    return r.retest_score if r.retest_score is not None else r.year_average


def _after_retest_level(r: SubjectResult) -> Pass | None:
    return r.retest_level if r.retest_level is not None else r.year_level


def _may_retest(r: SubjectResult) -> bool:
    if r.scored:
        return r.year_average is not None and r.year_average < RETEST_BELOW
    return r.year_level is Pass.CD
