"""Jobs and tasks in the database: create, claim under a lease, complete, finish, resume, cancel.

Every transition is a compare-and-swap ``UPDATE … WHERE state = …``: two workers can never both
hold a task, a late worker whose lease was taken over cannot overwrite the new holder's result,
and exactly one worker finishes a job (and records ``job.finished``). On SQLite the UPDATE is
each transaction's first write, so it takes the database's write lock at once (WAL and a busy
timeout let the other processes wait for it, see service/db/engine.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update

from service.context import Context
from service.db.job_models import JobRow, JobTaskRow
from service.errors import HsdtError
from service.jobs.model import JobKind, JobState, JobStatus, TaskState, TaskView

__all__ = [
    "Claimed",
    "TaskResult",
    "cancel",
    "claim",
    "complete",
    "finish_if_complete",
    "insert_job",
    "job_status",
    "list_jobs",
    "next_pending",
    "pending_task_ids",
    "requeue",
]

_ACTIVE = (JobState.QUEUED.value, JobState.RUNNING.value)


@dataclass(frozen=True)
class Claimed:
    """A task held by this worker until ``lease_until`` (or until it completes)."""

    task_id: int
    job_id: int
    kind: JobKind
    subject: str
    parameters: dict[str, Any]
    requested_by: str
    token: str
    reclaimed_from: str | None  # the worker whose lease expired, when taken over


@dataclass(frozen=True)
class TaskResult:
    ok: bool
    outcome: str  # Vietnamese: what was done (or found already done)
    error: str | None = None  # Vietnamese: why it failed and what to do


def utc_now(ctx: Context) -> datetime:
    return ctx.clock.now().astimezone(UTC)


def aware(at: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything stored is UTC."""
    if at is None:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _job(session: Any, job_id: int) -> JobRow:
    row = session.get(JobRow, job_id)
    if row is None:
        raise HsdtError(
            f"Không có công việc số {job_id}.",
            hint="«hsdt jobs status» liệt kê các công việc đã tạo.",
        )
    return cast(JobRow, row)


def insert_job(
    ctx: Context,
    *,
    kind: JobKind,
    school: str | None,
    year: str | None,
    classes: Sequence[str],
    parameters: dict[str, Any],
    requested_by: str,
    subjects: Sequence[str],
) -> int:
    """The job and one pending task per subject, in one transaction (with ``job.created``)."""
    now = utc_now(ctx)
    with ctx.sessions.begin() as session:
        job = JobRow(
            kind=kind.value,
            school_code=school,
            school_year=year,
            class_ids=",".join(classes),
            parameters=json.dumps(parameters, ensure_ascii=False, sort_keys=True),
            requested_by=requested_by,
            state=JobState.QUEUED.value,
            total=len(subjects),
            done=0,
            failed=0,
            created_at=now,
        )
        session.add(job)
        session.flush()
        session.add_all(
            JobTaskRow(job_id=job.id, seq=n, subject=s, state=TaskState.PENDING.value, attempts=0)
            for n, s in enumerate(subjects)
        )
        ctx.record_event(
            session,
            "job.created",
            f"job:{job.id}",
            kind=kind.value,
            school=school,
            year=year,
            classes=list(classes),
            total=len(subjects),
            requested_by=requested_by,
        )
        return job.id


def claim(ctx: Context, task_id: int, *, worker: str, lease_seconds: int) -> Claimed | None:
    """Take a task: pending, or running under an expired lease (its worker died). ``None`` when
    it is done, held by a live worker, or its job is not active (cancelled, finished)."""
    now = utc_now(ctx)
    token = uuid.uuid4().hex
    with ctx.sessions.begin() as session:
        before = session.execute(
            select(JobTaskRow.state, JobTaskRow.worker).where(JobTaskRow.id == task_id)
        ).one_or_none()
        if before is None:
            return None
        active_jobs = select(JobRow.id).where(JobRow.state.in_(_ACTIVE))
        taken = cast(
            CursorResult[Any],
            session.execute(
                update(JobTaskRow)
                .where(
                    JobTaskRow.id == task_id,
                    or_(
                        JobTaskRow.state == TaskState.PENDING.value,
                        and_(
                            JobTaskRow.state == TaskState.RUNNING.value,
                            JobTaskRow.lease_until < now,
                        ),
                    ),
                    JobTaskRow.job_id.in_(active_jobs),
                )
                .values(
                    state=TaskState.RUNNING.value,
                    attempts=JobTaskRow.attempts + 1,
                    claim=token,
                    worker=worker,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    started_at=now,
                    error=None,
                )
                .execution_options(synchronize_session=False)
            ),
        )
        if taken.rowcount != 1:
            return None
        task = session.get(JobTaskRow, task_id)
        assert task is not None
        job = _job(session, task.job_id)
        if job.state == JobState.QUEUED.value:
            job.state = JobState.RUNNING.value
            job.started_at = job.started_at or now
        reclaimed = before[1] if before[0] == TaskState.RUNNING.value else None
        if reclaimed is not None:
            ctx.record_event(
                session,
                "job.task_reclaimed",
                f"job:{job.id}",
                task=task.subject,
                from_worker=reclaimed,
                worker=worker,
            )
        return Claimed(
            task.id,
            job.id,
            JobKind(job.kind),
            task.subject,
            json.loads(job.parameters or "{}"),
            job.requested_by,
            token,
            reclaimed,
        )


def complete(ctx: Context, claimed: Claimed, result: TaskResult) -> bool:
    """Record the result; ``False`` (nothing written) when the lease was taken over meanwhile."""
    now = utc_now(ctx)
    state = TaskState.DONE if result.ok else TaskState.FAILED
    with ctx.sessions.begin() as session:
        written = cast(
            CursorResult[Any],
            session.execute(
                update(JobTaskRow)
                .where(
                    JobTaskRow.id == claimed.task_id,
                    JobTaskRow.claim == claimed.token,
                    JobTaskRow.state == TaskState.RUNNING.value,
                )
                .values(
                    state=state.value,
                    outcome=result.outcome,
                    error=result.error,
                    claim=None,
                    lease_until=None,
                    finished_at=now,
                )
                .execution_options(synchronize_session=False)
            ),
        )
        if written.rowcount != 1:
            return False
        if not result.ok:
            ctx.record_event(
                session,
                "job.task_failed",
                f"job:{claimed.job_id}",
                task=claimed.subject,
                error=result.error,
            )
        return True


def _counts(session: Any, job_id: int) -> dict[str, int]:
    rows = session.execute(
        select(JobTaskRow.state, func.count())
        .where(JobTaskRow.job_id == job_id)
        .group_by(JobTaskRow.state)
    ).all()
    counts = {s.value: 0 for s in TaskState}
    counts.update({str(state): int(n) for state, n in rows})
    return counts


def finish_if_complete(ctx: Context, job_id: int) -> JobState | None:
    """When no task is pending or running any more: the job's final state (once, by CAS)."""
    now = utc_now(ctx)
    with ctx.sessions.begin() as session:
        counts = _counts(session, job_id)
        if counts[TaskState.PENDING.value] or counts[TaskState.RUNNING.value]:
            return None
        done, failed = counts[TaskState.DONE.value], counts[TaskState.FAILED.value]
        final = JobState.FAILED if failed else JobState.DONE
        finished = cast(
            CursorResult[Any],
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.state.in_(_ACTIVE))
                .values(state=final.value, done=done, failed=failed, finished_at=now)
                .execution_options(synchronize_session=False)
            ),
        )
        if finished.rowcount != 1:
            return None
        ctx.record_event(
            session, "job.finished", f"job:{job_id}", state=final.value, done=done, failed=failed
        )
        return final


def requeue(ctx: Context, job_id: int, *, force: bool = False) -> tuple[int, int, int]:
    """Make a job's unfinished tasks pending again: failed ones (a retry), and running ones whose
    lease expired (their worker died) — with ``force``, every running one (the operator knows
    the workers are gone). Returns (retried, reclaimed, still held by live workers)."""
    now = utc_now(ctx)
    with ctx.sessions.begin() as session:
        job = _job(session, job_id)
        stale = JobTaskRow.state == TaskState.RUNNING.value
        if not force:
            stale = and_(stale, JobTaskRow.lease_until < now)
        reset = {"state": TaskState.PENDING.value, "claim": None, "lease_until": None}
        retried = cast(
            CursorResult[Any],
            session.execute(
                update(JobTaskRow)
                .where(JobTaskRow.job_id == job_id, JobTaskRow.state == TaskState.FAILED.value)
                .values(**reset)
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        reclaimed = cast(
            CursorResult[Any],
            session.execute(
                update(JobTaskRow)
                .where(JobTaskRow.job_id == job_id, stale)
                .values(**reset)
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        counts = _counts(session, job_id)
        held = counts[TaskState.RUNNING.value]
        if counts[TaskState.PENDING.value] or held:
            job.state = JobState.QUEUED.value if not held else JobState.RUNNING.value
            job.finished_at = None
        ctx.record_event(
            session,
            "job.resumed",
            f"job:{job_id}",
            retried=retried,
            reclaimed=reclaimed,
            pending=counts[TaskState.PENDING.value],
            held=held,
            force=force,
        )
        return retried, reclaimed, held


def cancel(ctx: Context, job_id: int) -> bool:
    """Stop handing out the job's tasks; ``False`` when it had already finished."""
    with ctx.sessions.begin() as session:
        _job(session, job_id)
        stopped = cast(
            CursorResult[Any],
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.state.in_(_ACTIVE))
                .values(state=JobState.CANCELLED.value, finished_at=utc_now(ctx))
                .execution_options(synchronize_session=False)
            ),
        )
        if stopped.rowcount != 1:
            return False
        counts = _counts(session, job_id)
        ctx.record_event(
            session,
            "job.cancelled",
            f"job:{job_id}",
            done=counts[TaskState.DONE.value],
            pending=counts[TaskState.PENDING.value],
            running=counts[TaskState.RUNNING.value],
        )
        return True


def pending_task_ids(ctx: Context, job_id: int) -> list[int]:
    with ctx.sessions() as session:
        return list(
            session.scalars(
                select(JobTaskRow.id)
                .where(JobTaskRow.job_id == job_id, JobTaskRow.state == TaskState.PENDING.value)
                .order_by(JobTaskRow.seq)
            )
        )


def next_pending(ctx: Context, job_id: int) -> int | None:
    ids = pending_task_ids(ctx, job_id)
    return ids[0] if ids else None


def _status(row: JobRow, counts: dict[str, int], tasks: Sequence[JobTaskRow]) -> JobStatus:
    created = aware(row.created_at)
    assert created is not None
    return JobStatus(
        id=row.id,
        kind=JobKind(row.kind),
        state=JobState(row.state),
        school_code=row.school_code,
        school_year=row.school_year,
        class_ids=tuple(c for c in (row.class_ids or "").split(",") if c),
        requested_by=row.requested_by,
        created_at=created,
        started_at=aware(row.started_at),
        finished_at=aware(row.finished_at),
        total=row.total,
        done=counts[TaskState.DONE.value],
        failed=counts[TaskState.FAILED.value],
        running=counts[TaskState.RUNNING.value],
        pending=counts[TaskState.PENDING.value],
        parameters=json.loads(row.parameters or "{}"),
        tasks=tuple(
            TaskView(
                t.id, t.seq, t.subject, TaskState(t.state), t.attempts, t.outcome, t.error, t.worker
            )
            for t in tasks
        ),
    )


def job_status(ctx: Context, job_id: int, *, with_tasks: bool = True) -> JobStatus:
    with ctx.sessions() as session:
        row = _job(session, job_id)
        tasks: Sequence[JobTaskRow] = ()
        if with_tasks:
            tasks = session.scalars(
                select(JobTaskRow).where(JobTaskRow.job_id == job_id).order_by(JobTaskRow.seq)
            ).all()
        return _status(row, _counts(session, job_id), tasks)


def list_jobs(ctx: Context, *, limit: int = 20, offset: int = 0) -> tuple[list[JobStatus], int]:
    """The newest jobs first, a page at a time; and how many there are in all."""
    with ctx.sessions() as session:
        total = int(session.scalar(select(func.count()).select_from(JobRow)) or 0)
        rows = session.scalars(
            select(JobRow).order_by(JobRow.id.desc()).limit(limit).offset(offset)
        ).all()
        return [_status(r, _counts(session, r.id), ()) for r in rows], total
