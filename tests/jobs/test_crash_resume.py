"""A job whose process is killed (SIGKILL) mid-way, then resumed: every document done exactly
once, nothing partial — and tasks held by the dead workers are taken over only after their lease.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from jobs.conftest import HSDT, make_home, write_jobs_config
from jobs.helpers import assert_documents_whole, documents, events, per_subject
from records.canonical import dataset_to_json
from records.model import Dataset
from records.sample import generate_school
from service.context import Context
from service.jobs import JobState, TaskState, job_status, list_jobs, resume_job

STUDENTS = 7  # eight record books: enough to be killed in the middle of


def _class_of_ten() -> Dataset:
    ds = generate_school(seed=2026, primary_classes=0, secondary_classes=1)
    c = ds.classes[0]
    cut = c.model_copy(update={"students": c.students[:STUDENTS]})
    return ds.model_copy(update={"classes": [cut]})


@pytest.fixture
def crash_home(
    database_url: str, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Context:
    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    dataset = _class_of_ten()
    source = tmp_path / "school.json"
    source.write_bytes(dataset_to_json(dataset))
    root = tmp_path / "home"
    make_home(root, source, dataset).close()
    write_jobs_config(root, engine="inprocess", namespace=namespace, lease=2)
    return Context.open(root)


def test_killed_job_resumes_to_every_document_exactly_once(crash_home: Context) -> None:
    ctx = crash_home
    school = documents_school(ctx)
    process = subprocess.Popen(
        [*HSDT, "--home", str(ctx.home.root), "jobs", "submit", "render", "--school", school],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2],
        start_new_session=True,  # the command and its pool's workers: one process group
    )
    deadline = time.monotonic() + 60
    try:
        while True:  # kill the command and its workers once a few documents are done
            jobs, _ = list_jobs(ctx)
            if jobs and jobs[0].done >= 2:
                break
            assert process.poll() is None, "the job finished before it could be killed"
            assert time.monotonic() < deadline, "the job did not start"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    job = jobs[0].id
    killed = job_status(ctx, job)
    assert killed.state is JobState.RUNNING and killed.done < killed.total == STUDENTS + 1
    held = killed.running  # tasks the dead workers were in the middle of
    assert held >= 1  # each worker takes its next document the moment it finishes one

    # right away, the dead workers' leases still run: their tasks are left alone
    first = resume_job(ctx, job)
    assert (first.reclaimed, first.held) == (0, held)
    assert first.status.state is JobState.RUNNING and first.status.running == held
    time.sleep(2.1)  # the lease (2 s in this home) runs out: now they are taken over
    second = resume_job(ctx, job)
    assert (second.reclaimed, second.held) == (held, 0)
    final = job_status(ctx, job)
    assert final.state is JobState.DONE and final.done == final.total
    assert all(t.state is TaskState.DONE for t in final.tasks)
    assert Counter(t.attempts for t in final.tasks)[2] == held  # taken over: one more attempt

    # exactly once: one version per document, one «rendered» event each, whole files
    rows = documents(ctx)
    assert len(rows) == final.total and {r.version for r in rows} == {1}
    assert set(per_subject(ctx, "document.rendered").values()) == {1}
    assert_documents_whole(ctx)
    resumed = [d for s, d in events(ctx, "job.resumed") if s == f"job:{job}"]
    assert sum(d["reclaimed"] for d in resumed) == held
    ctx.close()


def documents_school(ctx: Context) -> str:
    from sqlalchemy import select

    from service.db.models import DatasetRow

    with ctx.sessions() as session:
        code = session.scalar(select(DatasetRow.school_code))
    assert code is not None
    return code
