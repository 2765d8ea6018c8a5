"""The principal's pages: the school's progress, countersigning a class or the whole school in
one batch (a durable sign job, followed by a progress bar), approving corrections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.http.problems import ApiProblem
from api.http.resources import RecordInfo, SchoolPlace
from api.http.server_keys import server_key
from api.web import data
from api.web.render import WebRoute, page
from api.web.session import User, UserDep, check_csrf
from service.accounts import certificate_belongs_to
from service.authz import Action, RecordState, Role, authorize, require
from service.corrections import (
    CorrectionState,
    CorrectionView,
    apply_correction,
    approve_correction,
    reject_correction,
    witness_correction,
)
from service.corrections_history import list_corrections
from service.corrections_workflow import correction_parties
from service.errors import HsdtError
from service.jobs import JobKind, JobStatus, job_status, run_job, submit_job
from service.jobs.engines import InProcessEngine, engine_for
from service.jobs.keys import KeyRef
from service.progress import GroupBy, progress_report

router = APIRouter(route_class=WebRoute)
CsrfField = Annotated[str, Form(max_length=64)]
LEADERS = {Role.PRINCIPAL, Role.VICE_PRINCIPAL}

TASK_LABELS = {"pending": "Chờ", "running": "Đang ký", "done": "Xong", "failed": "Lỗi"}
JOB_LABELS = {
    "queued": "Đang chờ",
    "running": "Đang chạy",
    "done": "Hoàn tất",
    "failed": "Hoàn tất, có hồ sơ lỗi",
    "cancelled": "Đã huỷ",
}


def _school(user: User, school: str | None) -> tuple[int, SchoolPlace, str]:
    schools = data.school_refs(user)
    for found in schools:
        if school is None or found[1].school == school:
            return found
    raise ApiProblem(
        404,
        "dataset.not_found",
        "Chưa có dữ liệu của trường nào trong phạm vi của bạn."
        if school is None
        else f"Chưa có dữ liệu của trường {school}.",
        hint="Nhập dữ liệu của trường trước.",
    )


@router.get("/tien-do")
def progress(user: UserDep, truong: str | None = None) -> Response:
    dataset_id, place, name = _school(user, truong)
    require(user.principal, Action.PROGRESS_VIEW, data.school_ref(place))
    report = progress_report(user.ctx, dataset_id=dataset_id, by=GroupBy.CLASS)
    leader = _leader_id(user, place.school) is not None
    return page("progress.html", user, report=report, place=place, name=name, leader=leader)


def _leader_id(user: User, school: str) -> str | None:
    """The teacher id the user countersigns as at the school (principal or vice principal)."""
    for g in user.principal.grants:
        if g.role in LEADERS and g.scope.school in (None, school) and g.person_id:
            return g.person_id
    return None


def _pending(user: User, place: SchoolPlace, class_id: str | None) -> tuple[str, list[Any]]:
    """The leader's id and the records of the scope still waiting for their signature, each
    checked against the matrix (a refusal stops everything: nothing is submitted)."""
    person = _leader_id(user, place.school)
    if person is None:
        raise ApiProblem(
            403,
            "deny.role",
            "Chỉ Hiệu trưởng (hoặc Phó Hiệu trưởng được phân công) ký duyệt hồ sơ.",
        )
    waiting = []
    from service.signing_plans import PlanCatalog

    catalog = PlanCatalog(user.ctx)
    infos = user.state.resources.records(school=place.school, year=place.year, class_id=class_id)
    for info in infos:
        plan = catalog.plan(info.dataset_id, info.class_id, info.document_id)
        for slot in plan.slots_of(person):
            if slot.field_name in info.signed_fields:
                continue
            if info.state in (RecordState.CONFIRMED, RecordState.SIGNING):
                require(user.principal, Action.RECORD_SIGN, info.resource(slot=data.slot_ref(slot)))
                ready = data.ready(plan.slots, set(info.signed_fields), slot)
                waiting.append((info, slot, ready))
    return person, waiting


@router.get("/ky-duyet")
def countersign_form(user: UserDep, lop: str | None = None, truong: str | None = None) -> Response:
    _, place, name = _school(user, truong)
    person, waiting = _pending(user, place, lop or None)
    return page(
        "countersign.html",
        user,
        place=place,
        name=name,
        class_id=lop or "",
        person=person,
        waiting=waiting,
        ready=sum(1 for w in waiting if w[2]),
    )


@router.post("/ky-duyet")
def countersign(
    user: UserDep,
    tasks: BackgroundTasks,
    lop: Annotated[str, Form(max_length=32)] = "",
    truong: Annotated[str, Form(max_length=32)] = "",
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    _, place, _ = _school(user, truong or None)
    person, waiting = _pending(user, place, lop or None)
    if not waiting:
        raise HsdtError(
            "Không có hồ sơ nào chờ bạn ký duyệt" + (f" ở lớp {lop}." if lop else " ở trường này."),
            hint="Hồ sơ chỉ chờ ký duyệt khi đã được xác nhận và chưa khoá.",
        )
    # the server holds the leader's key (demo mode; production answers with two-phase signing)
    key = server_key(user.ctx, person)
    if not certificate_belongs_to(user.ctx, user.username, key.certificate):
        raise ApiProblem(
            403,
            "signing.certificate_not_bound",
            "Chứng thư số của khoá này chưa được gắn với tài khoản của bạn (Điều 10).",
            hint="Nhờ quản trị viên gắn chứng thư số của bạn vào tài khoản rồi ký lại.",
        )
    job_id = submit_job(
        user.ctx,
        JobKind.SIGN,
        school=place.school,
        classes=[lop] if lop else [],
        year=place.year,  # this year's books only (last year's are locked)
        person_id=person,
        key=KeyRef("dev-pki"),
        requested_by=user.username,
    )
    engine = engine_for(user.ctx)
    if engine.runs_here:  # after the response, in this process: the page follows its progress
        tasks.add_task(run_job, user.ctx, job_id, engine=InProcessEngine(1))
    else:
        run_job(user.ctx, job_id, engine=engine)  # queued for «hsdt worker»
    return RedirectResponse(f"/cong-viec/{job_id}", status_code=303)


def _job(user: User, job_id: int) -> JobStatus:
    try:
        job = job_status(user.ctx, job_id)
    except HsdtError:
        raise ApiProblem(404, "job.not_found", f"Không có công việc số {job_id}.") from None
    place = (
        user.state.resources.school_place(job.school_code, job.school_year)
        if job.school_code
        else None
    )
    if place is None:
        raise ApiProblem(404, "job.not_found", f"Không có công việc số {job_id}.")
    for class_id in job.class_ids or (None,):
        require(user.principal, Action.RECORD_VIEW, data.school_ref(place, class_id=class_id))
    return job


def job_json(job: JobStatus) -> dict[str, Any]:
    percent = 100 * (job.done + job.failed) // job.total if job.total else 100
    return {
        "id": job.id,
        "state": job.state.value,
        "state_label": JOB_LABELS.get(job.state.value, job.state.value),
        "finished": job.finished,
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "percent": percent,
        "tasks": [
            {
                "subject": t.subject,
                "state": t.state.value,
                "label": TASK_LABELS.get(t.state.value, t.state.value),
                "outcome": t.error or t.outcome,
            }
            for t in job.tasks
        ],
    }


@router.get("/cong-viec/{job_id}")
def job_page(user: UserDep, job_id: int) -> Response:
    job = _job(user, job_id)
    return page("job.html", user, job=job, live=job_json(job))


@router.get("/cong-viec/{job_id}/trang-thai")
def job_state(user: UserDep, job_id: int) -> Response:
    return JSONResponse(job_json(_job(user, job_id)), headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------------------- corrections


@dataclass(frozen=True)
class CorrectionCard:
    view: CorrectionView
    can_decide: bool  # the principal's approval or rejection
    can_witness: bool  # a board member or the class's homeroom teacher, not yet witnessed
    can_apply: bool  # witnessed, and the user is one of its parties


def _card(user: User, view: CorrectionView, info: RecordInfo) -> CorrectionCard:
    parties = correction_parties(user.ctx, view.id)
    resource = info.resource(subject=parties.subject, correction=parties.ref)
    p = user.principal
    state = view.state
    return CorrectionCard(
        view,
        state is CorrectionState.REQUESTED
        and authorize(p, Action.CORRECTION_APPROVE, resource).allowed,
        state is CorrectionState.APPROVED
        and user.username not in parties.ref.witnessed_by
        and authorize(p, Action.CORRECTION_WITNESS, resource).allowed,
        state is CorrectionState.WITNESSED
        and user.username
        in {parties.ref.requested_by, parties.ref.approved_by, *parties.ref.witnessed_by},
    )


@router.get("/dinh-chinh")
def corrections(user: UserDep) -> Response:
    shown = []
    for c in reversed(list_corrections(user.ctx)):
        try:
            info = user.state.resources.record(c.document_id)
        except HsdtError:
            continue
        if authorize(user.principal, Action.RECORD_VIEW, info.resource()).allowed:
            shown.append(_card(user, c, info))
    return page("corrections.html", user, corrections=shown)


@router.post("/dinh-chinh/{correction_id}")
def decide(
    user: UserDep,
    correction_id: int,
    decision: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=500)] = "",
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    if decision == "duyet":
        approve_correction(user.ctx, user.principal, correction_id, note=note)
    elif decision == "tu-choi":
        reject_correction(user.ctx, user.principal, correction_id, reason=note)
    elif decision == "chung-kien":
        witness_correction(user.ctx, user.principal, correction_id, note=note)
    elif decision == "ap-dung":
        apply_correction(user.ctx, user.principal, correction_id)
    else:
        raise HsdtError(f"Không rõ quyết định «{decision}».")
    return RedirectResponse(f"/dinh-chinh#dinh-chinh-{correction_id}", status_code=303)
