"""The clerk's pages: archive status and the last fixity audit, the export register, issuing a
student's bundle."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form
from fastapi.responses import RedirectResponse, Response

from api.http.resources import SchoolPlace
from api.web import data
from api.web.render import WebRoute, page
from api.web.session import User, UserDep, check_csrf
from service.archiving_status import archive_status
from service.authz import Action, Forbidden, RecordState, authorize
from service.errors import HsdtError
from service.exports import ExportRequest, export_bundle
from service.exports_register import export_register
from service.jobs import JobKind, run_job, submit_job
from service.jobs.engines import InProcessEngine, engine_for

router = APIRouter(route_class=WebRoute)
CsrfField = Annotated[str, Form(max_length=64)]


def _archive_reader(user: User) -> None:
    """Archive status is counts only: for those who audit the archive, and for those who
    archive (the clerk keeps the archive running, Điều 12.3)."""
    resource = user.state.resources.installation()
    audit = authorize(user.principal, Action.ARCHIVE_AUDIT, resource)
    if audit.allowed:
        return
    locked = dataclasses.replace(resource, state=RecordState.LOCKED)
    archiving = authorize(user.principal, Action.RECORD_ARCHIVE, locked)
    if not archiving.allowed:
        raise Forbidden(audit)


@router.get("/luu-tru")
def archive(user: UserDep) -> Response:
    _archive_reader(user)
    status = archive_status(user.ctx)
    schools = [
        s
        for s in data.school_refs(user)
        if authorize(
            user.principal,
            Action.RECORD_ARCHIVE,
            data.school_ref(s[1], state=RecordState.LOCKED),
        ).allowed
    ]
    return page(
        "archive.html", user, archive=status, schools=schools, state_labels=data.STATE_LABELS
    )


@router.post("/luu-tru")
def archive_school(
    user: UserDep,
    tasks: BackgroundTasks,
    school: Annotated[str, Form(max_length=32)],
    csrf: CsrfField = "",
) -> Response:
    """Archive the school's locked records as a job (followed on the job page)."""
    check_csrf(user, csrf)
    found = [s for s in data.school_refs(user) if s[1].school == school]
    if not found:
        raise HsdtError(f"Không có trường «{school}» trong phạm vi của bạn.")
    ref = data.school_ref(found[0][1], state=RecordState.LOCKED)
    decision = authorize(user.principal, Action.RECORD_ARCHIVE, ref)
    if not decision.allowed:
        raise Forbidden(decision)
    job_id = submit_job(user.ctx, JobKind.ARCHIVE, school=school, requested_by=user.username)
    engine = engine_for(user.ctx)
    if engine.runs_here:
        tasks.add_task(run_job, user.ctx, job_id, engine=InProcessEngine(1))
    else:
        run_job(user.ctx, job_id, engine=engine)
    return RedirectResponse(f"/cong-viec/{job_id}", status_code=303)


def _export_schools(user: User) -> list[tuple[int, SchoolPlace, str]]:
    return [
        s
        for s in data.school_refs(user)
        if authorize(
            user.principal,
            Action.EXPORT_ISSUE,
            data.school_ref(s[1], year=False, state=RecordState.ARCHIVED),
        ).allowed
    ]


@router.get("/xuat-ban")
def exports(user: UserDep) -> Response:
    schools = _export_schools(user)
    if not schools:
        place = data.school_refs(user)
        ref = data.school_ref(place[0][1], state=RecordState.ARCHIVED) if place else None
        if ref is None:
            raise HsdtError("Chưa có dữ liệu của trường nào trong phạm vi của bạn.")
        raise Forbidden(authorize(user.principal, Action.EXPORT_ISSUE, ref))
    entries = [e for s in schools for e in export_register(user.ctx, school_code=s[1].school)]
    entries.sort(key=lambda e: e.issued_at, reverse=True)
    return page("exports.html", user, entries=entries)


@router.post("/xuat-ban")
def issue_bundle(
    user: UserDep,
    student: Annotated[str, Form(max_length=32)],
    recipient: Annotated[str, Form(max_length=200)],
    purpose: Annotated[str, Form(max_length=200)],
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    if not _export_schools(user):
        raise HsdtError("Bạn không cấp được bản xuất hồ sơ ở trường nào.")
    # the use case checks export.issue over every record of the student it bundles
    issued = export_bundle(
        user.ctx,
        user.principal,
        ExportRequest(student.strip(), recipient.strip(), purpose.strip()),
    )
    return Response(
        issued.data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{issued.entry.export_id}.zip"',
        },
    )
