"""How much of a school year's assessments has been entered (Article 11.3 progress reports).

Pure: from a :class:`Dataset` only. For every class × subject it counts the assessments the rule
set expects and those the data holds; the service joins this with the signing state of the
documents (``service.progress``). What counts as one expected assessment (docs/progress.md):

* secondary, scored subject, per term: the required number of ĐĐGtx for the subject's periods
  (extra regular scores do not make up for a missing mid-term), one ĐĐGgk and one ĐĐGck;
* secondary, comment-only subject, per term: the level (Đ/CĐ);
* primary, per assessment point: the level (T/H/C), plus the periodic test score where the
  catalogue gives the subject a test at that point for the class's grade.

Subjects missing from the rule set's catalogue are skipped here: the validator reports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from records.model import AssessmentPoint, Dataset, Level, SchoolClass, SubjectAssessment
from records.rules import AssessmentKind, primary_rules, secondary_rules


class Term(StrEnum):
    """Which part of the year a check looks at: a monthly check uses the current term."""

    TERM1 = "1"
    TERM2 = "2"
    YEAR = "year"

    @property
    def label(self) -> str:
        return {Term.TERM1: "Học kì I", Term.TERM2: "Học kì II", Term.YEAR: "Cả năm"}[self]

    @property
    def secondary_terms(self) -> tuple[int, ...]:
        return {Term.TERM1: (1,), Term.TERM2: (2,), Term.YEAR: (1, 2)}[self]

    @property
    def primary_points(self) -> tuple[AssessmentPoint, ...]:
        return {
            Term.TERM1: (AssessmentPoint.GK1, AssessmentPoint.CK1),
            Term.TERM2: (AssessmentPoint.GK2, AssessmentPoint.CN),
            Term.YEAR: tuple(AssessmentPoint),
        }[self]


@dataclass(frozen=True)
class SubjectEntries:
    """Expected and entered assessments of one subject in one class, over a term."""

    class_id: str
    subject: str  # subject code
    teachers: tuple[str, ...]  # every teacher of a shared subject answers for all of it
    expected: int
    entered: int


def entry_progress(ds: Dataset, term: Term = Term.YEAR) -> list[SubjectEntries]:
    """Entries of every class × subject of the dataset, in the dataset's order."""
    return [e for c in ds.classes for e in class_entries(c, ds.school_year, term)]


def class_entries(c: SchoolClass, school_year: str, term: Term) -> list[SubjectEntries]:
    if c.level is Level.TH:
        return _primary_entries(c, school_year, term)
    return _secondary_entries(c, school_year, term)


def _secondary_entries(c: SchoolClass, school_year: str, term: Term) -> list[SubjectEntries]:
    rules = secondary_rules(c.grade, school_year)
    result: list[SubjectEntries] = []
    for cls_subject in c.subjects:
        spec = rules.subject(cls_subject.code)
        if spec is None:
            continue
        regular = rules.required_regular_count(cls_subject.periods_per_year)
        per_term = regular + 2 if spec.kind is AssessmentKind.SCORED else 1
        expected = entered = 0
        for cs in c.students:
            year = cs.secondary
            a = year.subjects.get(cls_subject.code) if year else None
            for n in term.secondary_terms:
                expected += per_term
                if a is not None:
                    entered += _secondary_entered(a, n, spec.kind, regular)
        result.append(
            SubjectEntries(c.id, cls_subject.code, tuple(cls_subject.teachers), expected, entered)
        )
    return result


def _secondary_entered(a: SubjectAssessment, n: int, kind: AssessmentKind, regular: int) -> int:
    if kind is AssessmentKind.SCORED:
        scores = a.term1 if n == 1 else a.term2
        if scores is None:
            return 0
        return (
            min(len(scores.regular), regular)
            + (scores.midterm is not None)
            + (scores.final is not None)
        )
    comment = a.comment1 if n == 1 else a.comment2
    return int(comment is not None and comment.level is not None)


def _primary_entries(c: SchoolClass, school_year: str, term: Term) -> list[SubjectEntries]:
    rules = primary_rules(c.grade, school_year)
    result: list[SubjectEntries] = []
    for cls_subject in c.subjects:
        spec = rules.subject(cls_subject.code)
        if spec is None:
            continue
        tests = spec.test_points_for(c.grade)
        expected = entered = 0
        for cs in c.students:
            points = cs.primary.points if cs.primary else {}
            for point in term.primary_points:
                has_test = point in tests
                expected += 1 + has_test
                pa = points.get(point)
                mark = pa.subjects.get(cls_subject.code) if pa else None
                if mark is not None:
                    entered += (mark.level is not None) + (has_test and mark.score is not None)
        result.append(
            SubjectEntries(c.id, cls_subject.code, tuple(cls_subject.teachers), expected, entered)
        )
    return result
