"""A sign job covers one school year: the school's newest by default, or the one asked for."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from jobs.conftest import School
from records.canonical import dataset_to_json
from service.context import Context
from service.db.models import DatasetRow
from service.errors import HsdtError
from service.importing import import_file
from service.jobs import JobKind, JobState, KeyRef, job_status, run_job, submit_job
from service.lifecycle import confirm_class

LAST_YEAR = "2024-2025"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sign_job_covers_one_school_year(home: Context, school: School, tmp_path: Path) -> None:
    ds = school.dataset
    # last year's books imported after this year's: "newest" is the year, not the import
    source = tmp_path / "last-year.json"
    source.write_bytes(dataset_to_json(ds.model_copy(update={"school_year": LAST_YEAR})))
    last = import_file(home, source).dataset_id
    confirm_class(home, None, school.class_id, school=school.code, year=LAST_YEAR)
    with home.sessions() as s:
        this = s.scalar(select(DatasetRow.id).where(DatasetRow.school_year == ds.school_year))
    assert this is not None
    for dataset_id in (this, last):
        render = submit_job(home, JobKind.RENDER, school=school.code, dataset_id=dataset_id)
        assert run_job(home, render).state is JobState.DONE

    teacher = ds.classes[0].subjects[0].teachers[0]
    newest = submit_job(
        home, JobKind.SIGN, classes=[school.class_id], person_id=teacher, key=KeyRef("dev-pki")
    )
    chosen = submit_job(
        home,
        JobKind.SIGN,
        classes=[school.class_id],
        year=LAST_YEAR,
        person_id=teacher,
        key=KeyRef("dev-pki"),
    )
    now, then = job_status(home, newest), job_status(home, chosen)
    assert (now.school_year, now.total) == (ds.school_year, 3)
    assert (then.school_year, then.total) == (LAST_YEAR, 3)
    assert not {t.subject for t in now.tasks} & {t.subject for t in then.tasks}
    with pytest.raises(HsdtError, match="năm học 2019-2020"):
        submit_job(
            home,
            JobKind.SIGN,
            classes=[school.class_id],
            year="2019-2020",
            person_id=teacher,
            key=KeyRef("dev-pki"),
        )
