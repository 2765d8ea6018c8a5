"""Bulk jobs over HTTP: render or archive a class or a school as a durable job, follow it, resume
or cancel it (docs/jobs.md).

Each route declares one action, so each kind has its own routes: a render job is submitted,
resumed and cancelled as ``record.render`` (confirmed data), an archive job as
``record.archive`` (locked records), over the job's school and classes. Import and sign jobs run
from the CLI (uploads go through ``POST /imports``; people sign with their own keys, two-phase).
With the in-process engine the job runs after the response, in this server process, one task
after another; with Dramatiq its tasks are queued for ``hsdt worker``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fastapi import APIRouter, BackgroundTasks
from pydantic import BaseModel, Field

from api.http.authz import Mode, guarded
from api.http.caller import Caller, CallerDep
from api.http.pagination import Page, PageDep
from api.http.problems import ApiProblem, problem_responses
from api.http.state import ApiState, StateDep
from api.routes import PREFIX
from service.authz import Action, RecordState, ResourceRef
from service.context import Context
from service.errors import HsdtError
from service.jobs import (
    JobKind,
    JobStatus,
    cancel_job,
    job_status,
    list_jobs,
    resume_job,
    run_job,
    submit_job,
)
from service.jobs.engines import InProcessEngine, engine_for

router = APIRouter(
    prefix=PREFIX, tags=["Công việc hàng loạt"], responses=problem_responses(401, 422, 500)
)

LIST_LIMIT = 1000  # newest jobs considered for a list

# the action of each kind offered over HTTP, and the records' state it acts on
_KINDS = {
    JobKind.RENDER: (Action.RECORD_RENDER, RecordState.CONFIRMED),
    JobKind.ARCHIVE: (Action.RECORD_ARCHIVE, RecordState.LOCKED),
}


class JobIn(BaseModel):
    school: str = Field(description="Mã trường.")
    year: str | None = Field(default=None, description="Năm học (mặc định: dữ liệu mới nhất).")
    classes: list[str] = Field(
        default_factory=list, max_length=200, description="Các lớp (trống: cả trường)."
    )

    model_config = {"json_schema_extra": {"examples": [{"school": "{school}", "year": "{year}"}]}}


class ProgressOut(BaseModel):
    total: int
    done: int
    failed: int
    running: int
    pending: int


class TaskOut(BaseModel):
    subject: str = Field(description="Mã hồ sơ (hoặc tệp nhập).")
    state: str = Field(description="pending, running, done, failed.")
    attempts: int
    outcome: str
    error: str | None = Field(description="Vì sao lỗi, khi lỗi.")


class JobOut(BaseModel):
    id: int
    kind: str = Field(description="import, render, sign, archive.")
    state: str = Field(description="queued, running, done, failed, cancelled.")
    school: str | None
    year: str | None
    classes: list[str]
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: ProgressOut
    tasks: list[TaskOut] = Field(description="Từng hồ sơ (chỉ khi xem một công việc).")


def job_out(status: JobStatus) -> JobOut:
    return JobOut(
        id=status.id,
        kind=status.kind.value,
        state=status.state.value,
        school=status.school_code,
        year=status.school_year,
        classes=list(status.class_ids),
        requested_by=status.requested_by,
        created_at=status.created_at,
        started_at=status.started_at,
        finished_at=status.finished_at,
        progress=ProgressOut(
            total=status.total,
            done=status.done,
            failed=status.failed,
            running=status.running,
            pending=status.pending,
        ),
        tasks=[
            TaskOut(
                subject=t.subject,
                state=t.state.value,
                attempts=t.attempts,
                outcome=t.outcome,
                error=t.error,
            )
            for t in status.tasks
        ],
    )


def _resources(
    state: ApiState,
    school: str | None,
    year: str | None,
    classes: Sequence[str],
    kind_state: RecordState | None,
) -> list[ResourceRef]:
    """One resource per class (the whole school when none), at the school's real place."""
    place = state.resources.school_place(school, year) if school else None
    if place is None:
        if school is None:  # a job without a school (a CLI import): the whole installation
            return [state.resources.installation()]
        raise ApiProblem(
            404,
            "dataset.not_found",
            f"Chưa có dữ liệu{f' năm học {year}' if year else ''} của trường {school}.",
            hint="Nhập dữ liệu của trường trước (POST /api/v1/imports).",
        )
    return [
        ResourceRef(
            place.province,
            place.district,
            place.school,
            year=place.year,
            class_id=c,
            state=kind_state,
        )
        for c in _classes_or_school(classes)
    ]


def _classes_or_school(classes: Sequence[str]) -> list[str | None]:
    """Each class, or ``None`` (the whole school) when the job names none."""
    return list(classes) or [None]


def _job(state: ApiState, job_id: int) -> JobStatus:
    try:
        return job_status(state.ctx, job_id)
    except HsdtError:
        raise ApiProblem(404, "job.not_found", f"Không có công việc số {job_id}.") from None


def _in_background(ctx: Context, tasks: BackgroundTasks, job_id: int, *, resume: bool) -> None:
    """In-process: run after the response, in this process, task after task (no fork inside a
    server); Dramatiq: queue the tasks now."""
    engine = engine_for(ctx)
    if not engine.runs_here:
        if resume:
            resume_job(ctx, job_id, engine=engine)
        else:
            run_job(ctx, job_id, engine=engine)
        return
    if resume:
        tasks.add_task(resume_job, ctx, job_id, engine=InProcessEngine(1))
    else:
        tasks.add_task(run_job, ctx, job_id, engine=InProcessEngine(1))


def _submit(
    kind: JobKind, body: JobIn, caller: Caller, state: ApiState, tasks: BackgroundTasks
) -> JobOut:
    action, kind_state = _KINDS[kind]
    for resource in _resources(state, body.school, body.year, body.classes, kind_state):
        caller.require(action, resource)
    job_id = submit_job(
        caller.ctx,
        kind,
        school=body.school,
        classes=body.classes,
        year=body.year,  # the year authorised above: an archive job covers only that one
        requested_by=caller.username,
    )
    _in_background(caller.ctx, tasks, job_id, resume=False)
    return job_out(job_status(caller.ctx, job_id, with_tasks=False))


def _act(kind: JobKind, job_id: int, caller: Caller, state: ApiState) -> JobStatus:
    """The job, once the caller may do ``kind``'s action over its school and classes."""
    job = _job(state, job_id)
    action, kind_state = _KINDS[kind]
    for resource in _resources(state, job.school_code, job.school_year, job.class_ids, kind_state):
        caller.require(action, resource)
    if job.kind is not kind:
        raise ApiProblem(
            404,
            "job.not_found",
            f"Công việc số {job_id} là công việc {job.kind.label}, không phải {kind.label}.",
            hint=f"Dùng /api/v1/jobs/{job.kind.value}/{job_id}/… cho công việc này.",
        )
    return job


_SUBMITTED = (
    "Công việc được ghi nhận (mỗi hồ sơ một việc) rồi chạy: đọc tiến độ bằng GET /jobs/{id}."
)


@router.post(
    "/jobs/render",
    status_code=201,
    summary="Kết xuất hàng loạt",
    description="Tạo công việc kết xuất hồ sơ của một lớp hoặc cả trường (dữ liệu đã được xác "
    "nhận). " + _SUBMITTED,
    response_model=JobOut,
    responses=problem_responses(400, 403, 404),
    openapi_extra=guarded(Action.RECORD_RENDER),
)
def post_render_job(
    body: JobIn, caller: CallerDep, state: StateDep, tasks: BackgroundTasks
) -> JobOut:
    return _submit(JobKind.RENDER, body, caller, state, tasks)


@router.post(
    "/jobs/archive",
    status_code=201,
    summary="Lưu trữ hàng loạt",
    description="Tạo công việc lưu trữ các hồ sơ đã khoá của một lớp hoặc cả trường. " + _SUBMITTED,
    response_model=JobOut,
    responses=problem_responses(400, 403, 404),
    openapi_extra=guarded(Action.RECORD_ARCHIVE),
)
def post_archive_job(
    body: JobIn, caller: CallerDep, state: StateDep, tasks: BackgroundTasks
) -> JobOut:
    return _submit(JobKind.ARCHIVE, body, caller, state, tasks)


@router.get(
    "/jobs",
    summary="Các công việc hàng loạt",
    description="Các công việc (mới trước) trong phạm vi bạn được xem, với tiến độ.",
    response_model=Page[JobOut],
    openapi_extra=guarded(Action.RECORD_VIEW, Mode.FILTER),
)
def get_jobs(caller: CallerDep, state: StateDep, page: PageDep) -> Page[JobOut]:
    jobs, _ = list_jobs(state.ctx, limit=LIST_LIMIT)
    visible = []
    for job in jobs:
        if job.school_code is None:
            continue  # not tied to a school (a CLI import): shown on the CLI only
        place = state.resources.school_place(job.school_code, job.school_year)
        if place is None:
            continue
        refs = [
            ResourceRef(place.province, place.district, place.school, year=place.year, class_id=c)
            for c in _classes_or_school(job.class_ids)
        ]
        if all(caller.allows(Action.RECORD_VIEW, r) for r in refs):
            visible.append(job_out(job))
    return page.slice(visible)


@router.get(
    "/jobs/{job_id}",
    summary="Chi tiết công việc",
    description="Tiến độ và kết quả từng hồ sơ của một công việc.",
    response_model=JobOut,
    responses=problem_responses(403, 404),
    openapi_extra=guarded(Action.RECORD_VIEW),
)
def get_job(job_id: int, caller: CallerDep, state: StateDep) -> JobOut:
    job = _job(state, job_id)
    for resource in _resources(state, job.school_code, job.school_year, job.class_ids, None):
        caller.require(Action.RECORD_VIEW, resource)
    return job_out(job)


def _resume(
    kind: JobKind, job_id: int, caller: Caller, state: ApiState, tasks: BackgroundTasks
) -> JobOut:
    _act(kind, job_id, caller, state)
    _in_background(caller.ctx, tasks, job_id, resume=True)
    return job_out(job_status(caller.ctx, job_id, with_tasks=False))


def _cancel(kind: JobKind, job_id: int, caller: Caller, state: ApiState) -> JobOut:
    _act(kind, job_id, caller, state)
    try:
        return job_out(cancel_job(caller.ctx, job_id))
    except HsdtError as exc:
        raise ApiProblem(409, "job.finished", exc.message, hint=exc.hint) from None


_RESUME = "Chạy lại các việc chưa xong: việc lỗi, và việc của máy xử lý đã dừng (hết hạn thuê)."
_CANCEL = "Dừng giao việc mới; việc đang chạy làm xong hồ sơ của mình."


@router.post(
    "/jobs/render/{job_id}/resume",
    summary="Chạy lại công việc kết xuất",
    description=_RESUME,
    response_model=JobOut,
    responses=problem_responses(403, 404),
    openapi_extra=guarded(Action.RECORD_RENDER),
)
def post_render_resume(
    job_id: int, caller: CallerDep, state: StateDep, tasks: BackgroundTasks
) -> JobOut:
    return _resume(JobKind.RENDER, job_id, caller, state, tasks)


@router.post(
    "/jobs/archive/{job_id}/resume",
    summary="Chạy lại công việc lưu trữ",
    description=_RESUME,
    response_model=JobOut,
    responses=problem_responses(403, 404),
    openapi_extra=guarded(Action.RECORD_ARCHIVE),
)
def post_archive_resume(
    job_id: int, caller: CallerDep, state: StateDep, tasks: BackgroundTasks
) -> JobOut:
    return _resume(JobKind.ARCHIVE, job_id, caller, state, tasks)


@router.post(
    "/jobs/render/{job_id}/cancel",
    summary="Huỷ công việc kết xuất",
    description=_CANCEL,
    response_model=JobOut,
    responses=problem_responses(403, 404, 409),
    openapi_extra=guarded(Action.RECORD_RENDER),
)
def post_render_cancel(job_id: int, caller: CallerDep, state: StateDep) -> JobOut:
    return _cancel(JobKind.RENDER, job_id, caller, state)


@router.post(
    "/jobs/archive/{job_id}/cancel",
    summary="Huỷ công việc lưu trữ",
    description=_CANCEL,
    response_model=JobOut,
    responses=problem_responses(403, 404, 409),
    openapi_extra=guarded(Action.RECORD_ARCHIVE),
)
def post_archive_cancel(job_id: int, caller: CallerDep, state: StateDep) -> JobOut:
    return _cancel(JobKind.ARCHIVE, job_id, caller, state)
