"""Semantic validation of a canonical dataset: one pass, every finding, each located.

Everything a school's file can get wrong once it has the right *shape* (pydantic checks the shape):
scores off the scale or with too many decimals, the wrong number of regular assessments for a
subject's periods, missing results, duplicate student codes, a score on a comment-only subject
(or Đ/CĐ on a scored one), unknown subjects/teachers, a class without a rule set, and submitted
averages or results that disagree with the rule set's recomputation (the teacher's book must match
the system, Article 11 of the Lào Cai regulation).

Findings are located through ``locate``: the importer's source map turns a dataset path into a
file/sheet/row/column; the student and subject codes are filled in here.

Cascades are avoided on purpose: a term whose scores are invalid is not also reported as
disagreeing with its submitted average, and a student with invalid scores gets no
learning-result/promotion/title comparison (fix the scores first, then the rest is checked).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from records import findings as F
from records.findings import Finding, JsonPath, Location
from records.model import (
    AssessmentPoint,
    ClassStudent,
    ClassSubject,
    Dataset,
    Level,
    PrimaryStudentYear,
    SchoolClass,
    SchoolYear,
    SecondaryStudentYear,
    SubjectAssessment,
    TermScores,
)
from records.results import PromotionOutcome, SubjectResult
from records.rules import (
    AssessmentKind,
    NoRuleSetError,
    PrimaryRuleSet,
    SecondaryRuleSet,
    SubjectSpec,
    primary_rules,
    secondary_rules,
)
from records.text import vn_number

Locate = Callable[[JsonPath], Location]

ONE_DECIMAL = Decimal("0.1")
NATIONAL_ID = re.compile(r"\d{12}")
POINT_LABELS = {
    AssessmentPoint.GK1: "giữa học kì I",
    AssessmentPoint.CK1: "cuối học kì I",
    AssessmentPoint.GK2: "giữa học kì II",
    AssessmentPoint.CN: "cuối năm học",
}


def path_location(path: JsonPath) -> Location:
    """The location of a finding when there is no source file map (a dataset built in code)."""
    return Location(path=path)


@dataclass
class Collector:
    """Findings as they are found, located through ``locate``."""

    locate: Locate = path_location
    findings: list[Finding] = field(default_factory=list)

    def add(
        self,
        code: str,
        path: JsonPath,
        detail: str,
        *,
        student: str | None = None,
        subject: str | None = None,
        **extra: Any,
    ) -> None:
        where = self.locate(path)
        where = replace(
            where,
            path=path,
            student=student or where.student,
            subject=subject or where.subject,
            field=where.field or _field_name(path),
        )
        self.findings.append(Finding(code, where, detail, extra))

    def errors_since(self, start: int) -> bool:
        return any(f.severity is F.Severity.ERROR for f in self.findings[start:])


def _field_name(path: JsonPath) -> str | None:
    named = [p for p in path if isinstance(p, str)]
    return named[-1] if named else None


def validate_dataset(ds: Dataset, locate: Locate = path_location) -> list[Finding]:
    """Every semantic finding in ``ds``, in document order."""
    out = Collector(locate)
    _Dataset(ds, out).run()
    return out.findings


# ---------------------------------------------------------------- scores


def check_score(
    out: Collector, path: JsonPath, value: Decimal | None, label: str, **who: Any
) -> bool:
    """A secondary score: 0–10, at most one decimal. False when it was reported."""
    if value is None:
        return True
    if not Decimal(0) <= value <= Decimal(10):
        out.add(F.SCORE_RANGE, path, f"{label} = {vn_number(value)}: ngoài thang điểm 0–10.", **who)
        return False
    if value != value.quantize(ONE_DECIMAL):
        out.add(
            F.SCORE_DECIMALS,
            path,
            f"{label} = {vn_number(value)}: quá một chữ số thập phân.",
            **who,
        )
        return False
    return True


def _term_label(term: int) -> str:
    return "HK I" if term == 1 else "HK II"


def check_secondary_subject(
    out: Collector,
    rules: SecondaryRuleSet,
    spec: SubjectSpec,
    periods: int,
    assessment: SubjectAssessment | None,
    computed: SubjectResult | None,
    path: JsonPath,
    student: str,
) -> None:
    """One student's assessments in one subject (shared by datasets and CSV score sheets)."""
    who = {"student": student, "subject": spec.code}
    name = spec.name
    if assessment is None or assessment == SubjectAssessment():
        out.add(F.RESULT_MISSING, path, f"Chưa có kết quả môn {name}.", **who)
        return
    a = assessment
    if spec.kind is AssessmentKind.COMMENT:
        _comment_subject(out, spec, a, computed, path, who)
        return
    for key, value in (
        ("comment1", a.comment1 and a.comment1.level),
        ("comment2", a.comment2 and a.comment2.level),
        ("submitted_year_level", a.submitted_year_level),
        ("retest_level", a.retest_level),
    ):
        if value:
            out.add(
                F.LEVEL_ON_SCORED,
                (*path, key) if key.endswith("level") else (*path, key, "level"),
                f"Môn {name} đánh giá bằng điểm số nhưng có mức «{value}».",
                **who,
            )
    need = rules.required_regular_count(periods)
    missing: list[str] = []
    terms_ok = True
    for n, term in ((1, a.term1), (2, a.term2)):
        key = f"term{n}"
        if term is None or term == TermScores():
            missing.append(f"{_term_label(n)}: chưa có điểm")
            continue
        ok = _term_scores(out, (*path, key), term, n, who)
        count = len(term.regular)
        closed = term.final is not None or term.submitted_average is not None
        if count > need or (count < need and closed):
            out.add(
                F.REGULAR_COUNT,
                (*path, key, "regular"),
                f"{_term_label(n)} có {count} ĐĐGtx; môn {name} {periods} tiết/năm cần đúng "
                f"{need} ĐĐGtx mỗi học kì.",
                found=count,
                required=need,
                **who,
            )
            ok = False
        elif count < need:
            missing.append(f"{_term_label(n)}: thiếu {need - count} ĐĐGtx")
        if term.midterm is None:
            missing.append(f"{_term_label(n)}: thiếu ĐĐGgk")
        if term.final is None:
            missing.append(f"{_term_label(n)}: thiếu ĐĐGck")
        terms_ok = terms_ok and ok
        average = None
        if computed is not None:
            average = computed.term1_average if n == 1 else computed.term2_average
        submitted = term.submitted_average
        if ok and average is not None and submitted is not None and submitted != average:
            out.add(
                F.SUBMITTED_MISMATCH,
                (*path, key, "submitted_average"),
                f"ĐTBmhk {'I' if n == 1 else 'II'} ghi {vn_number(submitted)}, "
                f"tính lại từ điểm thành phần được {vn_number(average)}.",
                submitted=str(submitted),
                computed=str(average),
                **who,
            )
    year_ok = check_score(
        out,
        (*path, "submitted_year_average"),
        a.submitted_year_average,
        "ĐTBmcn ghi trong tệp",
        **who,
    )
    check_score(out, (*path, "retest_score"), a.retest_score, "Điểm kiểm tra lại", **who)
    year = computed.year_average if computed else None
    given = a.submitted_year_average
    if terms_ok and year_ok and year is not None and given is not None and given != year:
        out.add(
            F.SUBMITTED_MISMATCH,
            (*path, "submitted_year_average"),
            f"ĐTBmcn ghi {vn_number(given)}, tính lại từ ĐTBmhk I và ĐTBmhk II được "
            f"{vn_number(year)}.",
            submitted=str(given),
            computed=str(year),
            **who,
        )
    if missing:
        out.add(F.RESULT_MISSING, path, f"Môn {name}: " + "; ".join(missing) + ".", **who)


def _term_scores(
    out: Collector, path: JsonPath, term: TermScores, n: int, who: dict[str, Any]
) -> bool:
    ok = True
    for k, score in enumerate(term.regular):
        ok &= check_score(
            out, (*path, "regular", k), score, f"ĐĐGtx {k + 1} {_term_label(n)}", **who
        )
    ok &= check_score(out, (*path, "midterm"), term.midterm, f"ĐĐGgk {_term_label(n)}", **who)
    ok &= check_score(out, (*path, "final"), term.final, f"ĐĐGck {_term_label(n)}", **who)
    ok &= check_score(
        out,
        (*path, "submitted_average"),
        term.submitted_average,
        f"ĐTBmhk {_term_label(n)} ghi trong tệp",
        **who,
    )
    return ok


def _comment_subject(
    out: Collector,
    spec: SubjectSpec,
    a: SubjectAssessment,
    computed: SubjectResult | None,
    path: JsonPath,
    who: dict[str, Any],
) -> None:
    name = spec.name
    scores: list[tuple[JsonPath, Decimal]] = []
    for key, term in (("term1", a.term1), ("term2", a.term2)):
        if term is not None:
            scores += [((*path, key, "regular", k), s) for k, s in enumerate(term.regular)]
            for part in ("midterm", "final", "submitted_average"):
                value = getattr(term, part)
                if value is not None:
                    scores.append(((*path, key, part), value))
    for key in ("submitted_year_average", "retest_score"):
        value = getattr(a, key)
        if value is not None:
            scores.append(((*path, key), value))
    for where, value in scores:
        out.add(
            F.SCORE_ON_COMMENT,
            where,
            f"Môn {name} chỉ đánh giá bằng nhận xét (Đ/CĐ) nhưng có điểm {vn_number(value)}.",
            **who,
        )
    missing = [
        _term_label(n)
        for n, c in ((1, a.comment1), (2, a.comment2))
        if c is None or c.level is None
    ]
    if missing:
        out.add(
            F.RESULT_MISSING, path, f"Môn {name}: chưa có mức đánh giá {', '.join(missing)}.", **who
        )
    year = computed.year_level if computed else None
    if not scores and year is not None and a.submitted_year_level not in (None, year):
        out.add(
            F.SUBMITTED_MISMATCH,
            (*path, "submitted_year_level"),
            f"Mức cả năm ghi «{a.submitted_year_level}», nhưng mức cả năm là mức "
            f"học kì II: «{year}».",
            submitted=str(a.submitted_year_level),
            computed=str(year),
            **who,
        )


# ---------------------------------------------------------------- the dataset walk


def _duplicates(items: Iterable[tuple[JsonPath, str]]) -> Iterable[tuple[JsonPath, str, JsonPath]]:
    """(path, key, path of the first occurrence) for every repeated key."""
    first: dict[str, JsonPath] = {}
    for path, key in items:
        if key in first:
            yield path, key, first[key]
        else:
            first[key] = path


class _Dataset:
    def __init__(self, ds: Dataset, out: Collector) -> None:
        self.ds, self.out = ds, out
        self.teachers = {t.id for t in ds.teachers}
        self.year_ok = True

    def run(self) -> None:
        ds, out = self.ds, self.out
        try:
            SchoolYear.parse(ds.school_year)
        except ValueError:
            self.year_ok = False
            out.add(
                F.SCHEMA_INVALID,
                ("school_year",),
                f"Năm học «{ds.school_year}» không đúng dạng 2025-2026.",
            )
        for path, key, _ in _duplicates(
            (("teachers", i, "id"), t.id) for i, t in enumerate(ds.teachers)
        ):
            out.add(F.SCHEMA_INVALID, path, f"Mã giáo viên {key} bị lặp trong danh sách giáo viên.")
        self._teacher(("school", "principal"), ds.school.principal, "Hiệu trưởng")
        for i, vp in enumerate(ds.school.vice_principals):
            self._teacher(("school", "vice_principals", i), vp, "Phó hiệu trưởng")
        for path, key, _ in _duplicates(
            (("classes", i, "id"), c.id) for i, c in enumerate(ds.classes)
        ):
            out.add(F.SCHEMA_INVALID, path, f"Mã lớp {key} bị lặp.")
        students = [
            (("classes", ci, "students", si, "student", "code"), cs.student.code)
            for ci, c in enumerate(ds.classes)
            for si, cs in enumerate(c.students)
        ]
        for path, key, first in _duplicates(students):
            first_class = ds.classes[int(first[1])].id
            out.add(
                F.STUDENT_DUPLICATE,
                path,
                f"Mã học sinh {key} đã dùng cho học sinh "
                f"{ds.classes[int(first[1])].students[int(first[3])].student.full_name} "
                f"(lớp {first_class}).",
                student=key,
            )
        for ci, cls in enumerate(ds.classes):
            self._class(ci, cls)

    def _teacher(self, path: JsonPath, teacher_id: str, role: str) -> None:
        if teacher_id not in self.teachers:
            self.out.add(
                F.TEACHER_UNKNOWN,
                path,
                f"{role}: mã giáo viên «{teacher_id}» không có trong danh sách giáo viên.",
            )

    def _class(self, ci: int, cls: SchoolClass) -> None:
        out, base = self.out, ("classes", ci)
        level = cls.level
        if level not in self.ds.school.levels:
            out.add(
                F.LEVEL_MISMATCH,
                (*base, "grade"),
                f"Lớp {cls.id} (khối {cls.grade}, {level.value}) nhưng trường chỉ khai báo cấp "
                f"{', '.join(lv.value for lv in self.ds.school.levels)}.",
            )
        self._teacher((*base, "homeroom_teacher"), cls.homeroom_teacher, f"GVCN lớp {cls.id}")
        pri: PrimaryRuleSet | None = None
        sec: SecondaryRuleSet | None = None
        if self.year_ok:
            try:
                if level is Level.TH:
                    pri = primary_rules(cls.grade, self.ds.school_year)
                else:
                    sec = secondary_rules(cls.grade, self.ds.school_year)
            except NoRuleSetError as error:
                out.add(F.NO_RULE_SET, (*base, "grade"), f"Lớp {cls.id}: {error}")
        specs: dict[str, tuple[SubjectSpec, int]] = {}
        for path, key, _ in _duplicates(
            ((*base, "subjects", i, "code"), s.code) for i, s in enumerate(cls.subjects)
        ):
            out.add(F.SCHEMA_INVALID, path, f"Môn {key} khai báo hai lần trong lớp {cls.id}.")
        for si, cs in enumerate(cls.subjects):
            spec = self._class_subject(ci, si, cls, cs, pri or sec)
            if spec is not None:
                specs.setdefault(cs.code, (spec, cs.periods_per_year))
        for si, student in enumerate(cls.students):
            if level is Level.TH:
                self._primary_student(ci, si, cls, student, pri, specs)
            else:
                self._secondary_student(ci, si, cls, student, sec, specs)

    def _class_subject(
        self,
        ci: int,
        si: int,
        cls: SchoolClass,
        cs: ClassSubject,
        rules: SecondaryRuleSet | PrimaryRuleSet | None,
    ) -> SubjectSpec | None:
        path = ("classes", ci, "subjects", si)
        for ti, teacher in enumerate(cs.teachers):
            self._teacher((*path, "teachers", ti), teacher, f"Giáo viên môn {cs.code} lớp {cls.id}")
        if cs.periods_per_year <= 0:
            self.out.add(
                F.SCHEMA_INVALID,
                (*path, "periods_per_year"),
                f"Số tiết/năm của môn {cs.code} phải là số nguyên dương.",
                subject=cs.code,
            )
            return None
        if rules is None:
            return None
        spec = rules.subject(cs.code)
        if spec is None or cls.grade not in spec.grades:
            self.out.add(
                F.SUBJECT_UNKNOWN,
                (*path, "code"),
                f"Mã môn «{cs.code}» không có trong chương trình khối {cls.grade} ({rules.id}).",
                subject=cs.code,
            )
            return None
        return spec

    def _common_student(self, base: JsonPath, cls: SchoolClass, cs: ClassStudent) -> None:
        code, nid = cs.student.code, cs.student.national_id
        if nid is not None and not NATIONAL_ID.fullmatch(nid):
            self.out.add(
                F.NATIONAL_ID,
                (*base, "student", "national_id"),
                f"Mã định danh «{nid}» có {len(nid)} ký tự, cần đúng 12 chữ số.",
                student=code,
            )
        key = "secondary" if cls.level is Level.TH else "primary"
        if getattr(cs, key) is not None:
            self.out.add(
                F.SCHEMA_INVALID,
                (*base, key),
                f"Lớp {cls.id} là lớp {cls.level.value}: không dùng khối dữ liệu «{key}».",
                student=code,
            )

    def _primary_student(
        self,
        ci: int,
        si: int,
        cls: SchoolClass,
        cs: ClassStudent,
        rules: PrimaryRuleSet | None,
        specs: dict[str, tuple[SubjectSpec, int]],
    ) -> None:
        base = ("classes", ci, "students", si)
        self._common_student(base, cls, cs)
        if cs.primary is None:
            self.out.add(
                F.RESULT_MISSING,
                (*base, "primary"),
                "Chưa có kết quả đánh giá nào.",
                student=cs.student.code,
            )
            return
        _Primary(self.out, cls, (*base, "primary"), cs.student.code, rules, specs).run(cs.primary)

    def _secondary_student(
        self,
        ci: int,
        si: int,
        cls: SchoolClass,
        cs: ClassStudent,
        rules: SecondaryRuleSet | None,
        specs: dict[str, tuple[SubjectSpec, int]],
    ) -> None:
        base = ("classes", ci, "students", si)
        self._common_student(base, cls, cs)
        if cs.secondary is None:
            self.out.add(
                F.RESULT_MISSING,
                (*base, "secondary"),
                "Chưa có kết quả đánh giá nào.",
                student=cs.student.code,
            )
            return
        _secondary(self.out, cls, (*base, "secondary"), cs.student.code, rules, specs, cs.secondary)


def _secondary(
    out: Collector,
    cls: SchoolClass,
    base: JsonPath,
    code: str,
    rules: SecondaryRuleSet | None,
    specs: dict[str, tuple[SubjectSpec, int]],
    year: SecondaryStudentYear,
) -> None:
    start = len(out.findings)
    for key in ("absences_term1", "absences_term2"):
        value = getattr(year, key)
        if value < 0:
            out.add(
                F.ABSENCE_INVALID, (*base, key), f"Số buổi nghỉ {value} là số âm.", student=code
            )
    class_codes = {s.code for s in cls.subjects}
    for subject in year.subjects:
        if subject not in class_codes:
            out.add(
                F.SUBJECT_NOT_IN_CLASS,
                (*base, "subjects", subject),
                f"Có kết quả môn «{subject}» nhưng lớp {cls.id} không học môn này.",
                student=code,
                subject=subject,
            )
    result = rules.compute(cls, year) if rules is not None else None
    for subject, (spec, periods) in specs.items():
        assert rules is not None  # specs exist only when the class has a rule set
        computed = result.subjects.get(subject) if result else None
        check_secondary_subject(
            out,
            rules,
            spec,
            periods,
            year.subjects.get(subject),
            computed,
            (*base, "subjects", subject),
            code,
        )
    conduct = [
        label
        for label, value in (
            ("HK I", year.conduct_term1),
            ("HK II", year.conduct_term2),
            ("cả năm", year.conduct_year),
        )
        if value is None
    ]
    if conduct:
        out.add(
            F.RESULT_MISSING,
            (*base, "conduct_year" if "cả năm" in conduct else "conduct_term1"),
            f"Chưa có kết quả rèn luyện {', '.join(conduct)}.",
            student=code,
        )
    if result is None or out.errors_since(start):
        return
    for key, submitted, learning, label in (
        ("submitted_learning_term1", year.submitted_learning_term1, result.learning_term1, "HK I"),
        ("submitted_learning_term2", year.submitted_learning_term2, result.learning_term2, "HK II"),
        ("submitted_learning_year", year.submitted_learning_year, result.learning_year, "cả năm"),
    ):
        if submitted is not None and learning is not None and submitted != learning:
            out.add(
                F.SUBMITTED_MISMATCH,
                (*base, key),
                f"Kết quả học tập {label} ghi «{submitted}», tính lại được «{learning}».",
                student=code,
                submitted=str(submitted),
                computed=str(learning),
            )
    derived = result.conduct_year
    if year.conduct_year is not None and derived is not None and year.conduct_year != derived:
        out.add(
            F.SUBMITTED_MISMATCH,
            (*base, "conduct_year"),
            f"Rèn luyện cả năm ghi «{year.conduct_year}», nhưng theo Điều 8 TT22 từ HK I "
            f"«{year.conduct_term1}» và HK II «{year.conduct_term2}» là «{derived}».",
            student=code,
            submitted=str(year.conduct_year),
            computed=str(derived),
        )
    promo = year.submitted_promotion
    if (
        promo is not None
        and result.promotion is not PromotionOutcome.PENDING
        and promo != result.promotion
    ):
        out.add(
            F.SUBMITTED_MISMATCH,
            (*base, "submitted_promotion"),
            f"Kết quả lên lớp ghi «{promo}», xét lại theo {result.rule_set} được "
            f"«{result.promotion}».",
            student=code,
            submitted=promo,
            computed=result.promotion.value,
        )
    decided = result.learning_year is not None and result.conduct_year is not None
    if decided and year.submitted_title is not None:
        title = result.title.value if result.title else ""
        if year.submitted_title != title:
            out.add(
                F.SUBMITTED_MISMATCH,
                (*base, "submitted_title"),
                f"Danh hiệu ghi «{year.submitted_title or 'không có'}», xét lại được "
                f"«{title or 'không có danh hiệu'}».",
                student=code,
                submitted=year.submitted_title,
                computed=title,
            )


class _Primary:
    def __init__(
        self,
        out: Collector,
        cls: SchoolClass,
        base: JsonPath,
        code: str,
        rules: PrimaryRuleSet | None,
        specs: dict[str, tuple[SubjectSpec, int]],
    ) -> None:
        self.out, self.cls, self.base, self.code = out, cls, base, code
        self.rules, self.specs = rules, specs

    def run(self, year: PrimaryStudentYear) -> None:
        out, base, code = self.out, self.base, self.code
        start = len(out.findings)
        for key in ("absences_excused", "absences_unexcused"):
            value = getattr(year, key)
            if value < 0:
                out.add(
                    F.ABSENCE_INVALID, (*base, key), f"Số buổi nghỉ {value} là số âm.", student=code
                )
        for point, assessment in year.points.items():
            self._point(point, assessment, year)
        if AssessmentPoint.CN not in year.points:
            out.add(
                F.RESULT_MISSING, (*base, "points"), "Chưa có đánh giá cuối năm học.", student=code
            )
        if self.rules is None or out.errors_since(start):
            return
        outcome = self.rules.compute(self.cls, year)
        if outcome.result is not None and year.submitted_result not in (None, outcome.result):
            out.add(
                F.SUBMITTED_MISMATCH,
                (*base, "submitted_result"),
                f"Kết quả giáo dục ghi «{year.submitted_result}», "
                f"tính lại được «{outcome.result}».",
                student=code,
                submitted=year.submitted_result,
                computed=outcome.result.value,
            )
        title = outcome.title.value if outcome.title else ""
        if outcome.result is not None and year.submitted_title not in (None, title):
            out.add(
                F.SUBMITTED_MISMATCH,
                (*base, "submitted_title"),
                f"Danh hiệu ghi «{year.submitted_title or 'không có'}», xét lại được "
                f"«{title or 'không có danh hiệu'}».",
                student=code,
                submitted=year.submitted_title,
                computed=title,
            )

    def _point(self, point: AssessmentPoint, pa: Any, year: PrimaryStudentYear) -> None:
        out, code, grade = self.out, self.code, self.cls.grade
        base = (*self.base, "points", point.value)
        label = POINT_LABELS[point]
        class_codes = {s.code for s in self.cls.subjects}
        missing: list[str] = []
        for subject, mark in pa.subjects.items():
            path = (*base, "subjects", subject)
            if subject not in class_codes:
                out.add(
                    F.SUBJECT_NOT_IN_CLASS,
                    path,
                    f"Có kết quả môn «{subject}» nhưng lớp {self.cls.id} không học môn này.",
                    student=code,
                    subject=subject,
                )
                continue
            known = self.specs.get(subject)
            if mark.score is None or known is None:
                continue
            spec = known[0]
            if point not in spec.test_points_for(grade):
                out.add(
                    F.PRIMARY_SCORE_UNEXPECTED,
                    (*path, "score"),
                    f"Môn {spec.name} khối {grade} không có bài kiểm tra định kì {label} "
                    f"(có điểm {mark.score}).",
                    student=code,
                    subject=subject,
                )
            elif not 1 <= mark.score <= 10:
                out.add(
                    F.SCORE_RANGE,
                    (*path, "score"),
                    f"Điểm kiểm tra định kì {label} = {mark.score}: phải là số nguyên 1–10.",
                    student=code,
                    subject=subject,
                )
        for subject, (spec, _) in self.specs.items():
            mark = pa.subjects.get(subject)
            if mark is None or mark.level is None:
                missing.append(f"mức môn {spec.name}")
            if point in spec.test_points_for(grade) and (mark is None or mark.score is None):
                missing.append(f"điểm KTĐK môn {spec.name}")
        if self.rules is not None:
            for kind, all_specs, given in (
                ("phẩm chất", self.rules.qualities, pa.qualities),
                ("năng lực", self.rules.competences, pa.competences),
            ):
                specs = [q for q in all_specs if grade in q.grades]
                codes = {q.code for q in specs}
                for unknown in sorted(set(given) - codes):
                    out.add(
                        F.SCHEMA_INVALID,
                        (*base, "qualities" if kind == "phẩm chất" else "competences", unknown),
                        f"Mã {kind} «{unknown}» không có ở khối {grade}.",
                        student=code,
                    )
                missing += [f"{kind} {q.name}" for q in specs if q.code not in given]
        if missing:
            out.add(
                F.RESULT_MISSING,
                base,
                f"Đánh giá {label} còn thiếu: {', '.join(missing)}.",
                student=code,
            )
