"""Correction requests from the pages (Điều 11.4): a teacher asks to correct a locked or
archived record — a reason and field edits against the data (``service.corrections_edits``);
an invalid change comes back on the same form with its findings, nothing stored. Approving,
witnessing and applying are on ``/dinh-chinh`` (pages_principal); a record's whole chain is on
its page (``record_history``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from api.http.resources import RecordInfo
from api.web import data
from api.web.render import WebRoute, page
from api.web.session import User, UserDep, check_csrf
from service.authz import Action, Decision, authorize, require
from service.corrections import FieldEdit, InvalidCorrection, StaleEdit, request_correction
from service.corrections_workflow import CorrectionConflict

router = APIRouter(route_class=WebRoute)
CsrfField = Annotated[str, Form(max_length=64)]
Column = Annotated[list[str] | None, Form()]
ROWS = 5  # edit rows on the form; a longer correction is several requests or the API


def may_request(user: User, info: RecordInfo) -> Decision:
    """Whether the user may request a correction of the record: for the whole record (the
    homeroom teacher) or for a subject they teach (a subject teacher's grant names it)."""
    taught = {g.scope.subject for g in user.principal.grants if g.scope.subject is not None}
    subjects: list[str | None] = [None, *sorted(taught)]
    decisions = [
        authorize(user.principal, Action.CORRECTION_REQUEST, info.resource(subject=s))
        for s in subjects
    ]
    return next((d for d in decisions if d.allowed), decisions[0])


def _form(user: User, document_id: str, *, status: int = 200, **extra: object) -> Response:
    info = user.state.resources.record(document_id)
    require(user.principal, Action.RECORD_VIEW, info.resource())
    decision = may_request(user, info)
    blank = dict.fromkeys(("student", "subject", "point", "field", "old", "new"), "")
    rows = extra.pop("rows", None) or [
        {**blank, "student": info.student_code or ""} for _ in range(ROWS)
    ]
    return page(
        "correction_new.html",
        user,
        status=status,
        info=info,
        title=data.RECORD_TITLES.get(info.record_type, info.record_type),
        allowed=decision.allowed,
        refusal=decision.reason,
        rows=rows,
        **extra,
    )


@router.get("/ho-so/{document_id}/dinh-chinh")
def correction_form(user: UserDep, document_id: str) -> Response:
    return _form(user, document_id)


@router.post("/ho-so/{document_id}/dinh-chinh")
def request(
    user: UserDep,
    document_id: str,
    reason: Annotated[str, Form(max_length=1000)] = "",
    student: Column = None,
    subject: Column = None,
    point: Column = None,
    field: Column = None,
    old: Column = None,
    new: Column = None,
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    columns = [student or [], subject or [], point or [], field or [], old or [], new or []]
    size = max(len(c) for c in columns)
    rows = [
        dict(
            zip(
                ("student", "subject", "point", "field", "old", "new"),
                (c[i].strip() if i < len(c) else "" for c in columns),
                strict=True,
            )
        )
        for i in range(min(size, ROWS))
    ]
    edits = tuple(
        FieldEdit(
            r["student"],
            r["field"],
            r["old"],
            r["new"],
            subject=r["subject"].upper() or None,
            point=r["point"].upper() or None,
        )
        for r in rows
        if r["field"]
    )
    info = user.state.resources.record(document_id)
    subjects = {e.subject for e in edits}
    subject_ref = next(iter(subjects)) if len(subjects) == 1 else None
    require(user.principal, Action.CORRECTION_REQUEST, info.resource(subject=subject_ref))
    try:
        correction_id = request_correction(
            user.ctx, user.principal, document_id, reason=reason, edits=edits
        )
    except InvalidCorrection as exc:  # the findings in place, nothing stored
        found = exc.findings
        return _form(
            user, document_id, status=422, rows=rows, reason=reason, error=exc, findings=found
        )
    except (StaleEdit, CorrectionConflict) as exc:
        return _form(user, document_id, status=409, rows=rows, reason=reason, error=exc)
    return RedirectResponse(f"/dinh-chinh#dinh-chinh-{correction_id}", status_code=303)
