"""Durable bulk jobs: import a school, render, sign or archive a class or a school.

A job is a row with one task row per document (or imported file), enumerated when it is created.
Tasks run on the configured engine (``[jobs] engine``: in this process's pool, or on Dramatiq
workers over Redis), are claimed under a lease, and wrap the existing idempotent use cases, so a
job can always be resumed: done tasks are skipped, failed ones retried, tasks of a dead worker
taken over. See docs/jobs.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from service.context import Context
from service.errors import HsdtError
from service.jobs import store
from service.jobs.engines import JobEngine, Tick, engine_for
from service.jobs.keys import KeyRef
from service.jobs.kinds import Plan, plan_archive, plan_import, plan_render, plan_sign
from service.jobs.model import JobKind, JobState, JobStatus, TaskState, TaskView

__all__ = [
    "JobKind",
    "JobState",
    "JobStatus",
    "KeyRef",
    "ResumeOutcome",
    "TaskState",
    "TaskView",
    "cancel_job",
    "job_status",
    "list_jobs",
    "resume_job",
    "run_job",
    "submit_job",
]


def submit_job(
    ctx: Context,
    kind: JobKind,
    *,
    school: str | None = None,
    classes: Sequence[str] = (),
    year: str | None = None,
    dataset_id: int | None = None,
    person_id: str | None = None,
    key: KeyRef | None = None,
    level: str = "B-LT",
    files: Sequence[Path] = (),
    requested_by: str | None = None,
) -> int:
    """Create a job and its tasks (nothing runs yet: see ``run_job``); the job's id.

    Refuses (``HsdtError``, nothing stored) an empty scope, an unknown class, a sign job whose
    key cannot be opened. The caller has authorised the request for the scope.

    ``year`` narrows sign and archive jobs to one school year. A sign job defaults to each
    school's newest year (the year being signed); an archive job to every year.
    """
    classes = tuple(dict.fromkeys(classes))
    if kind is not JobKind.IMPORT and not school and not classes:
        raise HsdtError(
            f"Công việc {kind.label} cần phạm vi: một trường (--school) hoặc lớp (--class).",
            hint="Ví dụ: «hsdt jobs submit render --school 10082256 --class 8A1».",
        )
    plan: Plan
    if kind is JobKind.IMPORT:
        plan = plan_import(ctx, files, school)
    elif kind is JobKind.RENDER:
        plan = plan_render(ctx, school, classes, dataset_id)
    elif kind is JobKind.SIGN:
        if not person_id or key is None:
            raise HsdtError(
                "Công việc ký cần người ký (--as) và khoá của người đó (--p12 hoặc --dev-pki).",
                hint="Ví dụ: «hsdt jobs submit sign --class 8A1 --as GV001 --p12 GV001.p12 "
                "--passphrase-file mat-khau.txt».",
            )
        plan = plan_sign(ctx, school, classes, person_id, key, level, year)
    else:
        plan = plan_archive(ctx, school, classes, year)
    return store.insert_job(
        ctx,
        kind=kind,
        school=plan.school,
        year=plan.year,
        classes=plan.classes,
        parameters=plan.parameters,
        requested_by=requested_by or ctx.actor,
        subjects=plan.subjects,
    )


def run_job(
    ctx: Context, job_id: int, *, engine: JobEngine | None = None, tick: Tick | None = None
) -> JobStatus:
    """Hand the job's pending tasks to the engine. In-process: they run before this returns;
    Dramatiq: they are queued for the workers. The job's status afterwards."""
    status = store.job_status(ctx, job_id, with_tasks=False)
    if status.state.active:
        pending = store.pending_task_ids(ctx, job_id)
        if status.kind.sequential and status.running:
            pending = []  # a live worker holds the chain; it sends the next file itself
        if pending:
            (engine or engine_for(ctx)).dispatch(ctx, job_id, status.kind, pending, tick)
        if not pending or not status.total:
            store.finish_if_complete(ctx, job_id)
    return store.job_status(ctx, job_id)


class ResumeOutcome:
    def __init__(self, retried: int, reclaimed: int, held: int, status: JobStatus) -> None:
        self.retried, self.reclaimed, self.held, self.status = retried, reclaimed, held, status


def resume_job(
    ctx: Context,
    job_id: int,
    *,
    force: bool = False,
    engine: JobEngine | None = None,
    tick: Tick | None = None,
) -> ResumeOutcome:
    """Re-queue a job's unfinished tasks (failed ones, and running ones whose worker died: lease
    expired, or any with ``force``) and hand every pending task to the engine again."""
    retried, reclaimed, held = store.requeue(ctx, job_id, force=force)
    status = run_job(ctx, job_id, engine=engine, tick=tick)
    return ResumeOutcome(retried, reclaimed, held, status)


def cancel_job(ctx: Context, job_id: int) -> JobStatus:
    """Stop the job: no further task starts (running ones finish their document)."""
    if not store.cancel(ctx, job_id):
        status = store.job_status(ctx, job_id, with_tasks=False)
        raise HsdtError(
            f"Công việc số {job_id} đã kết thúc ({status.state.value}), không huỷ được.",
            hint="Chỉ huỷ được công việc đang chờ hoặc đang chạy.",
        )
    return store.job_status(ctx, job_id)


job_status = store.job_status
list_jobs = store.list_jobs
