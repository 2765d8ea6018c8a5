"""Small builders for rule-set tests: classes and student-years with only what a case needs.

Scores are written as strings ("6.5") and become exact Decimals, as the JSON importer makes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from records.model import (
    AssessmentPoint,
    ClassSubject,
    Pass,
    PrimaryLevel,
    PrimaryPointAssessment,
    PrimaryStudentYear,
    PrimarySubjectMark,
    QualityLevel,
    Rating,
    SchoolClass,
    SecondaryStudentYear,
    SubjectAssessment,
    TermComment,
    TermScores,
)
from records.rules import TT22, TT27

# A THCS class: 8 scored subjects and 4 comment-only ones.
THCS_SCORED = ("NGU_VAN", "TOAN", "NN1", "GDCD", "LICH_SU_DIA_LI", "KHTN", "CONG_NGHE", "TIN_HOC")
THCS_COMMENT = ("GDTC", "NGHE_THUAT", "HDTN_HN", "GDDP")


def school_class(grade: int, codes: tuple[str, ...]) -> SchoolClass:
    """A class of ``grade`` teaching ``codes`` at the catalogue's default periods."""
    rules = TT27() if grade <= 5 else TT22()
    subjects = []
    for code in codes:
        spec = rules.subject(code)
        assert spec is not None, code
        subjects.append(
            ClassSubject(code=code, periods_per_year=spec.default_periods, teachers=["GV01"])
        )
    return SchoolClass(
        id=f"{grade}A1",
        name=f"{grade}A1",
        grade=grade,
        homeroom_teacher="GV01",
        subjects=subjects,
        students=[],
    )


def thcs_class(grade: int = 8) -> SchoolClass:
    return school_class(grade, THCS_SCORED + THCS_COMMENT)


def term(regular: list[str], midterm: str | None, final: str | None) -> TermScores:
    return TermScores(
        regular=[Decimal(r) for r in regular],
        midterm=None if midterm is None else Decimal(midterm),
        final=None if final is None else Decimal(final),
    )


def flat_term(score: str, regular_count: int) -> TermScores:
    """Every component equal to ``score``: ĐTBmhk = score·(n + 5)/(n + 5) = score exactly."""
    return term([score] * regular_count, score, score)


def scored(average: str, regular_count: int, *, retest: str | None = None) -> SubjectAssessment:
    """A scored subject whose ĐTBmhkI, ĐTBmhkII and ĐTBmcn all equal ``average``."""
    return SubjectAssessment(
        term1=flat_term(average, regular_count),
        term2=flat_term(average, regular_count),
        retest_score=None if retest is None else Decimal(retest),
    )


def comment(
    term1: Pass | None, term2: Pass | None, *, retest: Pass | None = None
) -> SubjectAssessment:
    return SubjectAssessment(
        comment1=TermComment(level=term1), comment2=TermComment(level=term2), retest_level=retest
    )


def thcs_year(
    averages: Mapping[str, str] | str,
    *,
    comments: Mapping[str, Pass] | None = None,
    conduct: tuple[Rating | None, Rating | None] = (Rating.TOT, Rating.TOT),
    conduct_year: Rating | None = None,
    absences: tuple[int, int] = (0, 0),
    retests: Mapping[str, str] | None = None,
    retest_levels: Mapping[str, Pass] | None = None,
) -> SecondaryStudentYear:
    """A THCS student-year for :func:`thcs_class`: ``averages`` gives each scored subject's
    ĐTBmcn (one value for all of them, or per code; subjects not named get "7.0"); comment-only
    subjects are Đ in both terms unless ``comments`` says otherwise for the year (term II)."""
    rules = TT22()
    cls = thcs_class()
    periods = {cs.code: cs.periods_per_year for cs in cls.subjects}
    per_code = {c: averages for c in THCS_SCORED} if isinstance(averages, str) else averages
    subjects: dict[str, SubjectAssessment] = {}
    for code in THCS_SCORED:
        n = rules.required_regular_count(periods[code])
        subjects[code] = scored(per_code.get(code, "7.0"), n, retest=(retests or {}).get(code))
    for code in THCS_COMMENT:
        level = (comments or {}).get(code, Pass.D)
        subjects[code] = comment(Pass.D, level, retest=(retest_levels or {}).get(code))
    return SecondaryStudentYear(
        subjects=subjects,
        conduct_term1=conduct[0],
        conduct_term2=conduct[1],
        conduct_year=conduct_year,
        absences_term1=absences[0],
        absences_term2=absences[1],
    )


# ---------------------------------------------------------------- primary


def primary_year(
    grade: int,
    levels: Mapping[str, PrimaryLevel],
    scores: Mapping[str, int],
    *,
    traits: Mapping[str, QualityLevel] | None = None,
    title: str | None = None,
) -> PrimaryStudentYear:
    """A primary student-year with only the CN (end-of-year) point; every quality and competence
    of the grade is Tốt unless ``traits`` says otherwise."""
    rules = TT27()
    marks = {
        code: PrimarySubjectMark(level=level, score=scores.get(code))
        for code, level in levels.items()
    }
    top = dict.fromkeys((q.code for q in rules.qualities_for(grade)), QualityLevel.T)
    comp = dict.fromkeys((c.code for c in rules.competences_for(grade)), QualityLevel.T)
    for code, level in (traits or {}).items():
        (top if code in top else comp)[code] = level
    point = PrimaryPointAssessment(subjects=marks, qualities=top, competences=comp)
    return PrimaryStudentYear(points={AssessmentPoint.CN: point}, submitted_title=title)
