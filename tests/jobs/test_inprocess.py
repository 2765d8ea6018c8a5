"""The in-process engine end to end: render and sign a small school's class, on both databases."""

from __future__ import annotations

import pytest

from jobs.conftest import School
from jobs.helpers import assert_documents_whole, events, per_subject, task_workers
from service.context import Context
from service.errors import HsdtError
from service.jobs import (
    JobKind,
    JobState,
    KeyRef,
    TaskState,
    cancel_job,
    job_status,
    list_jobs,
    resume_job,
    run_job,
    submit_job,
)


def _subject_teacher(school: School) -> str:
    """A subject teacher who is neither the homeroom teacher nor the principal."""
    c = school.dataset.classes[0]
    return next(
        t
        for s in c.subjects
        for t in s.teachers
        if t not in (c.homeroom_teacher, school.dataset.school.principal)
    )


def test_render_then_sign_a_class(home: Context, school: School) -> None:
    render = submit_job(home, JobKind.RENDER, school=school.code, classes=[school.class_id])
    status = run_job(home, render)
    assert status.state is JobState.DONE
    assert (status.total, status.done, status.failed) == (3, 3, 0)
    assert all(t.state is TaskState.DONE and t.attempts == 1 for t in status.tasks)
    assert len({w.split(":")[1] for w in task_workers(home, render)}) == 2  # the pool's 2 workers
    assert sorted(per_subject(home, "document.rendered").values()) == [1, 1, 1]
    assert_documents_whole(home)

    teacher = _subject_teacher(school)
    sign = submit_job(
        home, JobKind.SIGN, classes=[school.class_id], person_id=teacher, key=KeyRef("dev-pki")
    )
    status = run_job(home, sign)
    assert status.state is JobState.DONE, status.to_json()
    assert status.done == status.total == 3
    signed = events(home, "document.signed")
    assert len(signed) == 3 and {d["signer"] for _, d in signed} == {teacher}
    assert {t.subject for t in status.tasks} == {s for s, _ in signed}
    assert_documents_whole(home)

    # the job's life is in the audit log: created, finished (not every task)
    created = [d for s, d in events(home, "job.created") if s == f"job:{sign}"]
    finished = [d for s, d in events(home, "job.finished") if s == f"job:{sign}"]
    assert created[0]["total"] == 3 and created[0]["kind"] == "sign"
    assert finished == [{"state": "done", "done": 3, "failed": 0}]

    # resuming a finished job re-runs nothing: every task stays done after one attempt
    again = resume_job(home, sign)
    assert (again.retried, again.reclaimed) == (0, 0)
    assert [t.attempts for t in job_status(home, sign).tasks] == [1, 1, 1]
    assert len(events(home, "document.signed")) == 3


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_refused_documents_fail_their_task_and_resume_retries_them(
    home: Context, school: School
) -> None:
    run_job(home, submit_job(home, JobKind.RENDER, school=school.code))
    seal = submit_job(
        home, JobKind.SIGN, school=school.code, person_id=school.code, key=KeyRef("dev-pki")
    )
    status = run_job(home, seal)
    assert status.state is JobState.FAILED
    assert status.failed == status.total == 2  # the two học bạ carry the seal's slot
    for task in status.tasks:
        assert task.error is not None and "Chưa thể ký" in task.error  # Vietnamese, says why
    assert len(events(home, "job.task_failed")) == 2
    again = resume_job(home, seal)
    assert again.retried == 2
    assert again.status.state is JobState.FAILED  # still refused: the teachers have not signed
    assert [t.attempts for t in again.status.tasks] == [2, 2]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_refusals_before_anything_is_created(home: Context, school: School) -> None:
    with pytest.raises(HsdtError, match="không có lớp 9Z"):
        submit_job(home, JobKind.RENDER, school=school.code, classes=["9Z"])
    with pytest.raises(HsdtError, match="cần phạm vi"):
        submit_job(home, JobKind.ARCHIVE)
    with pytest.raises(HsdtError, match="sẵn sàng lưu trữ"):  # nothing locked yet
        submit_job(home, JobKind.ARCHIVE, school=school.code)
    assert list_jobs(home)[1] == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cancel_stops_handing_out_tasks(home: Context, school: School) -> None:
    job = submit_job(home, JobKind.RENDER, school=school.code)
    cancelled = cancel_job(home, job)
    assert cancelled.state is JobState.CANCELLED
    status = run_job(home, job)  # a worker receiving its messages now claims nothing
    assert status.pending == 3 and status.done == 0
    with pytest.raises(HsdtError, match="không huỷ được"):
        cancel_job(home, job)
    resumed = resume_job(home, job)  # resuming a cancelled job runs what is left
    assert resumed.status.state is JobState.DONE and resumed.status.done == 3


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_archive_job_refuses_records_that_do_not_verify(home: Context, school: School) -> None:
    """Locked records whose signatures are missing (marked signed by hand): each archive task
    fails with the archive's own reason, and nothing is archived."""
    from sqlalchemy import update

    from service.db.models import DocumentRow
    from service.locks import LockScope, LockTerm, open_lock

    run_job(home, submit_job(home, JobKind.RENDER, school=school.code))
    with home.sessions.begin() as s:
        s.execute(update(DocumentRow).values(state="signed"))
    ds = school.dataset
    open_lock(
        home,
        None,
        LockScope(ds.province.code, ds.district.code, ds.school.code),
        year=ds.school_year,
        term=LockTerm.YEAR,
        reason="Khoá sổ cuối năm",
    )
    job = submit_job(home, JobKind.ARCHIVE, school=school.code)
    status = run_job(home, job)
    assert status.state is JobState.FAILED and status.failed == status.total == 3
    assert all(t.error and "nội bộ" not in t.error for t in status.tasks)
    assert events(home, "document.archived") == []
