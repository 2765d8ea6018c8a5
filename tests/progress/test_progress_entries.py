"""Entered vs expected assessments, computed from the dataset alone (records.progress)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from records.model import Dataset
from records.progress import SubjectEntries, Term, entry_progress
from records.rules import secondary_rules

PRIMARY, SECONDARY = "5A", "8A"


def _entry(entries: list[SubjectEntries], class_id: str, subject: str) -> SubjectEntries:
    return next(e for e in entries if e.class_id == class_id and e.subject == subject)


def _missing(entries: list[SubjectEntries]) -> dict[tuple[str, str], int]:
    return {
        (e.class_id, e.subject): e.expected - e.entered for e in entries if e.entered != e.expected
    }


@pytest.mark.parametrize("term", list(Term))
def test_the_complete_sample_is_fully_entered(school: Dataset, term: Term) -> None:
    entries = entry_progress(school, term)
    assert entries and _missing(entries) == {}
    # one row per subject taught in each class, teachers as the class lists them
    assert len(entries) == sum(len(c.subjects) for c in school.classes)
    khtn = _entry(entries, SECONDARY, "KHTN")
    assert khtn.teachers == ("GV014", "GV015", "GV016")


def test_secondary_expects_the_required_scores_per_term(school: Dataset) -> None:
    c = next(c for c in school.classes if c.id == SECONDARY)
    toan = next(s for s in c.subjects if s.code == "TOAN")
    regular = secondary_rules(c.grade, school.school_year).required_regular_count(
        toan.periods_per_year
    )
    students = len(c.students)
    term1 = _entry(entry_progress(school, Term.TERM1), SECONDARY, "TOAN")
    year = _entry(entry_progress(school, Term.YEAR), SECONDARY, "TOAN")
    assert term1.expected == students * (regular + 2)  # ĐĐGtx + ĐĐGgk + ĐĐGck
    assert year.expected == 2 * term1.expected
    # comment-only subject: one level per student per term
    assert _entry(entry_progress(school, Term.TERM2), SECONDARY, "GDTC").expected == students


def test_primary_expects_a_level_per_point_and_the_catalogued_tests(school: Dataset) -> None:
    students = len(next(c for c in school.classes if c.id == PRIMARY).students)
    term1 = entry_progress(school, Term.TERM1)
    # Toán has a test at GK1 and CK1 in grade 5; Đạo đức never has one
    assert _entry(term1, PRIMARY, "TOAN").expected == students * 2 * 2
    assert _entry(term1, PRIMARY, "DAO_DUC").expected == students * 2
    # Ngoại ngữ 1: test at CK1 only
    assert _entry(term1, PRIMARY, "NN1").expected == students * 3


def test_gaps_count_per_term(gappy_school: Dataset) -> None:
    assert _missing(entry_progress(gappy_school, Term.TERM1)) == {
        (SECONDARY, "TOAN"): 2,  # ĐĐGgk and ĐĐGck of student 0
        (PRIMARY, "TOAN"): 2,  # CK1 level and test score
    }
    assert _missing(entry_progress(gappy_school, Term.TERM2)) == {(SECONDARY, "GDTC"): 1}
    assert _missing(entry_progress(gappy_school, Term.YEAR)) == {
        (SECONDARY, "TOAN"): 2,
        (SECONDARY, "GDTC"): 1,
        (PRIMARY, "TOAN"): 2,
    }


def _with_toan_regular(ds: Dataset, term1: int, term2: int) -> Dataset:
    """Student 0 of the secondary class with ``term1``/``term2`` ĐĐGtx in Toán."""
    c = next(c for c in ds.classes if c.id == SECONDARY)
    cs = c.students[0]
    assert cs.secondary is not None
    toan = cs.secondary.subjects["TOAN"]
    assert toan.term1 is not None and toan.term2 is not None
    toan = toan.model_copy(
        update={
            "term1": toan.term1.model_copy(update={"regular": [Decimal("7.0")] * term1}),
            "term2": toan.term2.model_copy(update={"regular": [Decimal("7.0")] * term2}),
        }
    )
    year = cs.secondary.model_copy(update={"subjects": {**cs.secondary.subjects, "TOAN": toan}})
    students = [cs.model_copy(update={"secondary": year}), *c.students[1:]]
    classes = [c.model_copy(update={"students": students}) if k is c else k for k in ds.classes]
    return ds.model_copy(update={"classes": classes})


def test_extra_regular_scores_make_up_for_nothing(school: Dataset) -> None:
    # four ĐĐGtx are required for Toán (140 periods): one in term 1, ten in term 2
    ds = _with_toan_regular(school, term1=1, term2=10)
    assert _missing(entry_progress(ds, Term.YEAR)) == {(SECONDARY, "TOAN"): 3}
    assert _missing(entry_progress(ds, Term.TERM2)) == {}


def test_a_student_without_assessments_counts_as_nothing_entered(school: Dataset) -> None:
    classes = []
    for c in school.classes:
        if c.id == SECONDARY:
            first = c.students[0].model_copy(update={"secondary": None})
            c = c.model_copy(update={"students": [first]})
        classes.append(c)
    ds = school.model_copy(update={"classes": classes})
    toan = _entry(entry_progress(ds, Term.YEAR), SECONDARY, "TOAN")
    assert toan.entered == 0 and toan.expected > 0
