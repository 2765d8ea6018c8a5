"""A small sample school, complete and with known gaps, shared by the progress tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from records.model import (
    AssessmentPoint,
    ClassStudent,
    Dataset,
    PrimarySubjectMark,
    TermComment,
)
from records.sample import generate_school

PRIMARY, SECONDARY = "5A", "8A"


@pytest.fixture(scope="session")
def school() -> Dataset:
    return generate_school(primary_classes=1, secondary_classes=1)


def edit_student(
    ds: Dataset, class_id: str, index: int, change: Callable[[ClassStudent], ClassStudent]
) -> Dataset:
    classes = []
    for c in ds.classes:
        if c.id == class_id:
            students = list(c.students)
            students[index] = change(students[index])
            c = c.model_copy(update={"students": students})
        classes.append(c)
    return ds.model_copy(update={"classes": classes})


def _secondary_subject(cs: ClassStudent, code: str, **update: object) -> ClassStudent:
    assert cs.secondary is not None
    subjects = dict(cs.secondary.subjects)
    subjects[code] = subjects[code].model_copy(update=update)
    return cs.model_copy(
        update={"secondary": cs.secondary.model_copy(update={"subjects": subjects})}
    )


def _drop_toan_term1(cs: ClassStudent) -> ClassStudent:
    """No ĐĐGgk and no ĐĐGck yet in term 1 of Toán (the ĐĐGtx are all there: the importer
    refuses a term with fewer or more than the required number)."""
    assert cs.secondary is not None
    t1 = cs.secondary.subjects["TOAN"].term1
    assert t1 is not None
    return _secondary_subject(
        cs, "TOAN", term1=t1.model_copy(update={"midterm": None, "final": None})
    )


def _drop_gdtc_term2(cs: ClassStudent) -> ClassStudent:
    return _secondary_subject(cs, "GDTC", comment2=TermComment(level=None))


def _drop_toan_ck1(cs: ClassStudent) -> ClassStudent:
    """Neither level nor test score in Toán at the end of term 1."""
    assert cs.primary is not None
    points = dict(cs.primary.points)
    ck1 = points[AssessmentPoint.CK1]
    subjects = {**ck1.subjects, "TOAN": PrimarySubjectMark()}
    points[AssessmentPoint.CK1] = ck1.model_copy(update={"subjects": subjects})
    return cs.model_copy(update={"primary": cs.primary.model_copy(update={"points": points})})


@pytest.fixture(scope="session")
def gappy_school(school: Dataset) -> Dataset:
    """The same school with gaps the importer accepts: 8A student 0 has no ĐĐGgk and ĐĐGck in
    Toán, term 1; 8A student 1 no GDTC level in term 2; 5A student 0 neither level nor test score
    in Toán at CK1."""
    ds = edit_student(school, SECONDARY, 0, _drop_toan_term1)
    ds = edit_student(ds, SECONDARY, 1, _drop_gdtc_term2)
    return edit_student(ds, PRIMARY, 0, _drop_toan_ck1)
