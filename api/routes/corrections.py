"""Corrections after lock (Điều 11.4): request, approve or reject, witness, apply, read.

The use cases (``service.corrections``) check the permission themselves with the parties so far;
the routes check first through the caller on the same resource — the record's place and state,
the subject of the edits, the ``CorrectionRef`` — so every refusal is the API's one problem
response. Applying is not a decision of its own (it carries out the recorded ones): the route
declares ``record.view`` and the use case admits only the correction's parties
(``deny.correction.not_party``). See docs/corrections.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.http.authz import Mode, guarded
from api.http.caller import CallerDep
from api.http.pagination import Page, PageDep
from api.http.problems import ApiProblem, problem_response, problem_responses
from api.http.state import StateDep
from api.routes import PREFIX
from service.authz import Action, ResourceRef
from service.corrections import (
    CorrectionState,
    CorrectionView,
    FieldEdit,
    InvalidCorrection,
    StaleEdit,
    WitnessPart,
    apply_correction,
    approve_correction,
    list_corrections,
    reject_correction,
    request_correction,
    show_correction,
    witness_correction,
)
from service.corrections_workflow import (
    CorrectionConflict,
    CorrectionNotFound,
    CorrectionParties,
    correction_parties,
)

router = APIRouter(
    prefix=PREFIX, tags=["Đính chính hồ sơ"], responses=problem_responses(401, 422, 500)
)


class EditIn(BaseModel):
    student: str = Field(description="Mã học sinh.")
    subject: str | None = Field(default=None, description="Mã môn (TOAN…); trống: cả năm học.")
    point: str | None = Field(default=None, description="Tiểu học: GK1, CK1, GK2, CN.")
    field: str = Field(description="Trường dữ liệu, ví dụ term1.final, conduct_year.")
    old: str = Field(description="Giá trị đang lưu (trống: chưa có).")
    new: str = Field(description="Giá trị đúng (trống: xoá).")


class RequestIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Lý do đính chính.")
    changes: list[EditIn] = Field(min_length=1, max_length=200)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "reason": "Nhập nhầm điểm cuối kì I môn Toán",
                    "changes": [
                        {
                            "student": "HS0001",
                            "subject": "TOAN",
                            "field": "term1.final",
                            "old": "6,5",
                            "new": "9",
                        }
                    ],
                }
            ]
        }
    }


class NoteIn(BaseModel):
    note: str = Field(default="", max_length=2000, description="Ghi chú (ghi vào hồ sơ).")

    model_config = {"json_schema_extra": {"examples": [{"note": "Đã xem bài kiểm tra gốc"}]}}


class RejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Lý do từ chối.")

    model_config = {"json_schema_extra": {"examples": [{"reason": "Thiếu minh chứng"}]}}


class WitnessIn(BaseModel):
    part: WitnessPart | None = Field(
        default=None,
        description="board_member hoặc homeroom_teacher; trống: theo vai trò của tài khoản.",
    )
    note: str = Field(default="", max_length=2000)

    model_config = {"json_schema_extra": {"examples": [{"note": "Có mặt khi đính chính"}]}}


class StepOut(BaseModel):
    step: str = Field(description="request, approve, reject, witness, apply.")
    actor: str
    part: str = Field(description="Quy tắc phân quyền cho phép bước này.")
    role: str | None = Field(description="Người chứng kiến: board_member, homeroom_teacher.")
    note: str
    at: datetime


class CorrectionOut(BaseModel):
    id: int
    document_id: str
    version: int = Field(description="Phiên bản được đề nghị đính chính.")
    class_id: str
    state: str = Field(description="requested, approved, rejected, witnessed, applied, done.")
    state_label: str
    reason: str
    changes: list[EditIn]
    requested_by: str
    requested_at: datetime
    steps: list[StepOut]
    new_versions: list[dict[str, Any]] = Field(description="Phiên bản mới do đính chính tạo.")


def correction_out(v: CorrectionView) -> CorrectionOut:
    return CorrectionOut(
        id=v.id,
        document_id=v.document_id,
        version=v.version,
        class_id=v.class_id,
        state=v.state.value,
        state_label=v.state.label,
        reason=v.reason,
        changes=[EditIn.model_validate(e.to_json()) for e in v.edits],
        requested_by=v.requested_by,
        requested_at=v.requested_at,
        steps=[StepOut.model_validate(s, from_attributes=True) for s in v.steps],
        new_versions=[{"document_id": d, "version": n} for d, n in v.new_versions],
    )


def _parties(caller: CallerDep, correction_id: int) -> CorrectionParties:
    try:
        return correction_parties(caller.ctx, correction_id)
    except CorrectionNotFound as exc:
        raise ApiProblem(404, exc.code, exc.message, hint=exc.hint) from None


def _resource(state: StateDep, parties: CorrectionParties) -> ResourceRef:
    info = state.resources.record(parties.document_id)
    return info.resource(subject=parties.subject, correction=parties.ref)


def _problem(request: Request, exc: Exception) -> JSONResponse:
    """Our refusals with their status: stale and out-of-order steps are conflicts, an invalid
    change lists its findings (nothing was stored)."""
    if isinstance(exc, InvalidCorrection):
        findings = [f.to_json() for f in exc.findings]
        return problem_response(
            request, 422, exc.code, exc.message, hint=exc.hint, findings=findings
        )
    assert isinstance(exc, StaleEdit | CorrectionConflict)
    return problem_response(request, 409, exc.code, exc.message, hint=exc.hint)


_REFUSALS = (InvalidCorrection, StaleEdit, CorrectionConflict)


@router.post(
    "/records/{document_id}/corrections",
    summary="Đề nghị đính chính hồ sơ",
    description="Giáo viên chủ nhiệm hoặc giáo viên bộ môn (môn của mình) đề nghị đính chính hồ "
    "sơ đã khoá hoặc đã lưu trữ: lý do và các thay đổi trên dữ liệu (giá trị cũ → giá trị mới). "
    "Giá trị cũ phải khớp dữ liệu đang lưu (409 correction.stale); dữ liệu sau khi sửa phải hợp "
    "lệ (422 correction.invalid, kèm các lỗi). Không lưu gì nếu bị từ chối.",
    response_model=CorrectionOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
    openapi_extra=guarded(Action.CORRECTION_REQUEST),
)
def post_correction(
    document_id: str, body: RequestIn, request: Request, caller: CallerDep, state: StateDep
) -> Any:
    edits = tuple(FieldEdit.from_json(e.model_dump()) for e in body.changes)
    subjects = {e.subject for e in edits}
    info = state.resources.record(document_id)
    subject = next(iter(subjects)) if len(subjects) == 1 else None
    caller.require(Action.CORRECTION_REQUEST, info.resource(subject=subject))
    try:
        correction_id = request_correction(
            caller.ctx, caller.principal, document_id, reason=body.reason, edits=edits
        )
    except _REFUSALS as exc:
        return _problem(request, exc)
    return correction_out(show_correction(caller.ctx, correction_id))


@router.get(
    "/corrections",
    summary="Các đề nghị đính chính",
    description="Các đề nghị đính chính (cũ trước) của các hồ sơ bạn được xem.",
    response_model=Page[CorrectionOut],
    openapi_extra=guarded(Action.RECORD_VIEW, Mode.FILTER),
)
def get_corrections(
    caller: CallerDep,
    state: StateDep,
    page: PageDep,
    document_id: Annotated[str | None, Query(description="Chỉ hồ sơ này.")] = None,
    status: Annotated[CorrectionState | None, Query(description="Chỉ trạng thái này.")] = None,
) -> Page[CorrectionOut]:
    views = list_corrections(caller.ctx, document_id=document_id, state=status)
    visible = [
        correction_out(v)
        for v in views
        if caller.allows(Action.RECORD_VIEW, state.resources.record(v.document_id).resource())
    ]
    return page.slice(visible)


@router.get(
    "/corrections/{correction_id}",
    summary="Chi tiết đề nghị đính chính",
    description="Các thay đổi và từng bước: ai, lúc nào, với vai trò gì, vì sao.",
    response_model=CorrectionOut,
    responses=problem_responses(403, 404),
    openapi_extra=guarded(Action.RECORD_VIEW),
)
def get_correction(correction_id: int, caller: CallerDep, state: StateDep) -> CorrectionOut:
    parties = _parties(caller, correction_id)
    caller.require(Action.RECORD_VIEW, state.resources.record(parties.document_id).resource())
    return correction_out(show_correction(caller.ctx, correction_id))


@router.post(
    "/corrections/{correction_id}/approval",
    summary="Phê duyệt đề nghị đính chính",
    description="Hiệu trưởng cho phép đính chính (Điều 11.4); không phải người đề nghị.",
    response_model=CorrectionOut,
    responses=problem_responses(403, 404, 409),
    openapi_extra=guarded(Action.CORRECTION_APPROVE),
)
def post_approval(
    correction_id: int, body: NoteIn, request: Request, caller: CallerDep, state: StateDep
) -> Any:
    caller.require(Action.CORRECTION_APPROVE, _resource(state, _parties(caller, correction_id)))
    try:
        approve_correction(caller.ctx, caller.principal, correction_id, note=body.note)
    except _REFUSALS as exc:
        return _problem(request, exc)
    return correction_out(show_correction(caller.ctx, correction_id))


@router.post(
    "/corrections/{correction_id}/rejection",
    summary="Từ chối đề nghị đính chính",
    description="Hiệu trưởng từ chối, ghi lý do; hồ sơ giữ nguyên.",
    response_model=CorrectionOut,
    responses=problem_responses(403, 404, 409),
    openapi_extra=guarded(Action.CORRECTION_REJECT),
)
def post_rejection(
    correction_id: int, body: RejectIn, request: Request, caller: CallerDep, state: StateDep
) -> Any:
    caller.require(Action.CORRECTION_REJECT, _resource(state, _parties(caller, correction_id)))
    try:
        reject_correction(caller.ctx, caller.principal, correction_id, reason=body.reason)
    except _REFUSALS as exc:
        return _problem(request, exc)
    return correction_out(show_correction(caller.ctx, correction_id))


@router.post(
    "/corrections/{correction_id}/witnesses",
    summary="Chứng kiến việc đính chính",
    description="Thành viên Ban quản trị của trường và giáo viên chủ nhiệm của lớp chứng kiến "
    "(cả hai, thứ tự nào cũng được) sau khi Hiệu trưởng phê duyệt.",
    response_model=CorrectionOut,
    responses=problem_responses(403, 404, 409),
    openapi_extra=guarded(Action.CORRECTION_WITNESS),
)
def post_witness(
    correction_id: int, body: WitnessIn, request: Request, caller: CallerDep, state: StateDep
) -> Any:
    caller.require(Action.CORRECTION_WITNESS, _resource(state, _parties(caller, correction_id)))
    try:
        witness_correction(
            caller.ctx, caller.principal, correction_id, part=body.part, note=body.note
        )
    except _REFUSALS as exc:
        return _problem(request, exc)
    return correction_out(show_correction(caller.ctx, correction_id))


@router.post(
    "/corrections/{correction_id}/application",
    summary="Áp dụng đính chính",
    description="Khi đã đủ hai người chứng kiến: tạo dữ liệu và phiên bản hồ sơ mới (thay thế "
    "phiên bản cũ, phiên bản cũ vẫn được lưu trữ); phiên bản mới cần được ký lại theo quy trình "
    "ký. Chỉ người đề nghị, người phê duyệt hoặc người chứng kiến thực hiện.",
    response_model=CorrectionOut,
    responses=problem_responses(403, 404, 409),
    openapi_extra=guarded(Action.RECORD_VIEW),
)
def post_application(
    correction_id: int, request: Request, caller: CallerDep, state: StateDep
) -> Any:
    parties = _parties(caller, correction_id)
    caller.require(Action.RECORD_VIEW, state.resources.record(parties.document_id).resource())
    try:
        apply_correction(caller.ctx, caller.principal, correction_id)
    except _REFUSALS as exc:
        return _problem(request, exc)
    return correction_out(show_correction(caller.ctx, correction_id))
