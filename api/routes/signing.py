"""Signing over HTTP: each person's queue, server-side signing (one record or a batch) and
two-phase signing (the hash goes out, the signature or CMS comes back).

Every signature is checked as ``record.sign`` with the slot from the record's plan: a person fills
only the slot the plan names them for (the clerk: the school seal), and only with a certificate
bound to their account.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from cryptography import x509
from fastapi import APIRouter, Body
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select

from api.http.authz import Mode, guarded
from api.http.caller import Caller, CallerDep
from api.http.pagination import Page, PageDep
from api.http.problems import ApiProblem, problem_responses
from api.http.resources import RecordInfo
from api.http.server_keys import server_key
from api.http.state import StateDep
from api.routes import PREFIX
from records.slots import SignatureSlot, SignerRole
from service.accounts import certificate_belongs_to
from service.authz import Action, Decision, Forbidden, Role, SlotRef
from service.db.models import DocumentRow, PendingSignatureRow
from service.signing import (
    BatchOutcome,
    DocumentOutcome,
    DocumentSelection,
    SignerIdentity,
    Status,
    finish_external,
    prepare_external,
    sign_batch,
)
from service.signing_plans import DocumentPlan, PlanCatalog
from signing.plans import PlanViolation, check_signature_allowed

router = APIRouter(prefix=PREFIX, tags=["Ký số"], responses=problem_responses(401, 422, 500))

MAX_BATCH = 500

# the slot each signing role fills (as in service.authz.checks)
_SLOT_OF_ROLE = {
    Role.SUBJECT_TEACHER: SignerRole.SUBJECT_TEACHER,
    Role.HOMEROOM_TEACHER: SignerRole.HOMEROOM_TEACHER,
    Role.PRINCIPAL: SignerRole.PRINCIPAL,
    Role.VICE_PRINCIPAL: SignerRole.PRINCIPAL,
    Role.CLERK: SignerRole.SCHOOL_SEAL,
}


class QueueItem(BaseModel):
    document_id: str
    record_type: str
    school: str
    school_year: str
    class_id: str
    student_code: str | None
    field: str = Field(description="Ô ký đến lượt của bạn.")
    label: str = Field(description="Tên ô ký trên hồ sơ.")
    signer_id: str = Field(description="Mã giáo viên (hoặc mã trường với con dấu) được phân.")
    revision: int


class SignIn(BaseModel):
    field: str | None = Field(
        default=None, description="Ô ký (mặc định: ô đến lượt đầu tiên của bạn)."
    )

    model_config = {"json_schema_extra": {"examples": [{"field": None}]}}


class BatchIn(BaseModel):
    document_ids: list[str] = Field(min_length=1, max_length=MAX_BATCH)
    field: str | None = Field(default=None, description="Chỉ ký ô này (ví dụ gvbm_TOAN).")

    model_config = {"json_schema_extra": {"examples": [{"document_ids": ["{document_id}"]}]}}


class OutcomeOut(BaseModel):
    document_id: str
    status: str = Field(description="signed, skipped, refused, failed.")
    message: str
    fields: list[str]
    revision: int | None
    timestamped: bool = Field(description="Đã thêm dấu thời gian lưu trữ (B-LTA).")
    code: str | None


class BatchOut(BaseModel):
    signer_id: str
    ok: bool
    signatures: int
    seconds: float
    documents: list[OutcomeOut]


class PrepareIn(BaseModel):
    field: str = Field(description="Ô ký, ví dụ gvbm_TOAN.")
    certificate_pem: str = Field(
        description="Chứng thư số của người ký (PEM), có thể kèm chuỗi CA phía sau."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [{"field": "{field}", "certificate_pem": "{certificate_pem}"}]
        }
    }


class PendingOut(BaseModel):
    pending_id: str
    document_id: str
    field: str
    signer_id: str
    revision: int
    algorithm: str
    digest_base64: str = Field(description="Mã băm cần ký (RSA/ECDSA thô).")
    document_digest_base64: str = Field(description="Mã băm tài liệu, cho ứng dụng tự tạo CMS.")
    expires_at: datetime
    finish: str = Field(description="Đường dẫn gửi chữ ký về.")


class FinishIn(BaseModel):
    signature_base64: str | None = Field(default=None, description="Chữ ký thô trên mã băm.")
    cms_base64: str | None = Field(default=None, description="CMS tách rời trên mã băm tài liệu.")

    @model_validator(mode="after")
    def _one(self) -> FinishIn:
        if (self.signature_base64 is None) == (self.cms_base64 is None):
            raise ValueError("đưa đúng một trong hai: signature_base64 hoặc cms_base64")
        return self

    model_config = {"json_schema_extra": {"examples": [{"signature_base64": "AAAA"}]}}


# ------------------------------------------------------------------------------ helpers


def signer_ids(caller: Caller, school: str) -> list[str]:
    """Whom the caller signs as at a school: their teacher ids, and the school code (seal) for
    a clerk."""
    ids: list[str] = []
    for g in caller.principal.grants:
        if g.scope.school not in (None, school):
            continue
        if g.person_id is not None:
            ids.append(g.person_id)
        elif g.role is Role.CLERK:
            ids.append(school)
    return list(dict.fromkeys(ids))


def _role_slots(caller: Caller) -> set[SignerRole]:
    return {_SLOT_OF_ROLE[g.role] for g in caller.principal.grants if g.role in _SLOT_OF_ROLE}


def choose_slot(
    caller: Caller, info: RecordInfo, plan: DocumentPlan, field: str | None
) -> SignatureSlot | None:
    """The slot a request is about: the named one; else the caller's first unsigned slot in plan
    order; else one of theirs already signed; else a slot of their role (whose refusal then
    names who the plan assigned)."""
    if field is not None:
        return plan.slot(field)
    mine = [s for s in plan.slots if s.signer_id in signer_ids(caller, info.place.school)]
    unsigned = [s for s in mine if s.field_name not in info.signed_fields]
    if unsigned or mine:
        return (unsigned or mine)[0]
    roles = _role_slots(caller)
    return next((s for s in plan.slots if s.role in roles), None)


def slot_ref(slot: SignatureSlot | None) -> SlotRef | None:
    return None if slot is None else SlotRef(slot.role, slot.signer_id, slot.subject)


def _plan(catalog: PlanCatalog, info: RecordInfo) -> DocumentPlan:
    return catalog.plan(info.dataset_id, info.class_id, info.document_id)


def require_bound(caller: Caller, certificate: x509.Certificate) -> None:
    if not certificate_belongs_to(caller.ctx, caller.username, certificate):
        raise ApiProblem(
            403,
            "signing.certificate_not_bound",
            "Chứng thư số này chưa được gắn với tài khoản của bạn: không ký thay người khác "
            "được (Điều 10).",
            hint="Nhờ quản trị viên gắn chứng thư số của bạn vào tài khoản rồi ký lại.",
        )


def outcome_out(o: DocumentOutcome) -> OutcomeOut:
    return OutcomeOut(
        document_id=o.document_id,
        status=o.status.value,
        message=o.message,
        fields=list(o.fields),
        revision=o.revision,
        timestamped=o.timestamped,
        code=o.code,
    )


# ------------------------------------------------------------------------------ queue


@router.get(
    "/me/signing-queue",
    summary="Hàng đợi ký của tôi",
    description="Các hồ sơ mà ô ký của bạn đã đến lượt (mọi ô phải ký trước đã được ký), theo "
    "vai trò và phạm vi được giao.",
    response_model=Page[QueueItem],
    openapi_extra=guarded(Action.RECORD_SIGN, Mode.FILTER),
)
def get_queue(caller: CallerDep, state: StateDep, page: PageDep) -> Page[QueueItem]:
    schools = sorted({g.scope.school for g in caller.principal.grants if g.scope.school})
    catalog = PlanCatalog(state.ctx)
    items: list[QueueItem] = []
    for school in schools:
        people = set(signer_ids(caller, school))
        if not people:
            continue
        for info in state.resources.records(school=school):
            if info.state.value not in ("confirmed", "signing"):
                continue
            plan = _plan(catalog, info)
            for slot in plan.slots:
                if slot.signer_id not in people or not _ready(plan, info, slot):
                    continue
                if caller.allows(Action.RECORD_SIGN, info.resource(slot=slot_ref(slot))):
                    items.append(_queue_item(info, slot))
    return page.slice(items)


def _ready(plan: DocumentPlan, info: RecordInfo, slot: SignatureSlot) -> bool:
    try:
        check_signature_allowed(
            plan.slots, set(info.signed_fields), slot.field_name, slot.signer_id or ""
        )
    except PlanViolation:
        return False
    return True


def _queue_item(info: RecordInfo, slot: SignatureSlot) -> QueueItem:
    return QueueItem(
        document_id=info.document_id,
        record_type=info.record_type,
        school=info.place.school,
        school_year=info.place.year,
        class_id=info.class_id,
        student_code=info.student_code,
        field=slot.field_name,
        label=slot.label,
        signer_id=slot.signer_id or "",
        revision=info.revision,
    )


# ------------------------------------------------------------------------------ server-side


@router.post(
    "/records/{document_id}/sign",
    summary="Ký phía máy chủ một hồ sơ",
    description="Ký ô của bạn bằng khoá máy chủ giữ cho bạn (chỉ ở chế độ thử; khi vận hành "
    "dùng ký hai bước). Trả 409 khi chưa đến lượt hoặc ô đã ký.",
    response_model=OutcomeOut,
    responses=problem_responses(403, 404, 409, 502),
    openapi_extra=guarded(Action.RECORD_SIGN),
)
def post_sign(
    document_id: str,
    caller: CallerDep,
    state: StateDep,
    body: Annotated[SignIn, Body()] = SignIn(),  # noqa: B008 - an immutable default
) -> OutcomeOut:
    batch = _sign(caller, state, [document_id], body.field)
    outcome = batch.documents[0]
    if outcome.status is Status.REFUSED:
        raise ApiProblem(409, outcome.code or "signing.refused", outcome.message)
    if outcome.status is Status.FAILED:
        raise ApiProblem(502, outcome.code or "signing.failed", outcome.message)
    return outcome_out(outcome)


@router.post(
    "/signing/batch",
    summary="Ký phía máy chủ nhiều hồ sơ",
    description="Ký ô của bạn trên nhiều hồ sơ bằng một lần mở khoá: mỗi hồ sơ được ghi riêng, "
    "hồ sơ đã ký được bỏ qua. Mọi hồ sơ phải trong quyền của bạn (nếu không: 403, không ký gì).",
    response_model=BatchOut,
    responses=problem_responses(403, 404, 409),
    openapi_extra=guarded(Action.RECORD_SIGN),
)
def post_batch(body: BatchIn, caller: CallerDep, state: StateDep) -> BatchOut:
    ids = list(dict.fromkeys(body.document_ids))
    outcome = _sign(caller, state, ids, body.field)
    return BatchOut(
        signer_id=outcome.person_id,
        ok=outcome.ok,
        signatures=outcome.signatures,
        seconds=round(outcome.seconds, 3),
        documents=[outcome_out(o) for o in outcome.documents],
    )


def _sign(caller: Caller, state: StateDep, ids: Sequence[str], field: str | None) -> BatchOutcome:
    catalog = PlanCatalog(state.ctx)
    signers: set[str] = set()
    for document_id in ids:
        info = state.resources.record(document_id)
        slot = choose_slot(caller, info, _plan(catalog, info), field)
        try:
            caller.require(Action.RECORD_SIGN, info.resource(slot=slot_ref(slot)))
        except Forbidden as refused:
            d = refused.decision
            raise Forbidden(Decision(False, f"Hồ sơ {document_id}: {d.reason}", d.rule)) from None
        assert slot is not None and slot.signer_id is not None  # allowed ⇒ a slot of theirs
        signers.add(slot.signer_id)
    if len(signers) > 1:
        raise ApiProblem(
            422,
            "signing.several_signers",
            "Các hồ sơ đã chọn cần chữ ký của nhiều người/vai trò khác nhau ("
            + ", ".join(sorted(signers))
            + "); mỗi lần ký chỉ dùng một khoá.",
            hint="Gửi riêng từng nhóm hồ sơ, hoặc chỉ rõ ô ký (field).",
        )
    (signer,) = signers
    key = server_key(state.ctx, signer)
    require_bound(caller, key.certificate)
    return sign_batch(
        caller.ctx,
        SignerIdentity(signer, key.backend),
        DocumentSelection(document_ids=tuple(ids)),
        field_name=field,
    )


# ------------------------------------------------------------------------------ two-phase


def _certificates(pem: str) -> tuple[x509.Certificate, tuple[x509.Certificate, ...]]:
    try:
        first, *chain = x509.load_pem_x509_certificates(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ApiProblem(
            422,
            "signing.certificate_unreadable",
            "«certificate_pem» không phải chứng thư số X.509 dạng PEM.",
            hint="Xuất chứng thư số của người ký (kèm chuỗi CA nếu có) ra dạng PEM.",
        ) from None
    return first, tuple(chain)


@router.post(
    "/records/{document_id}/signatures/prepare",
    summary="Ký hai bước: lấy mã băm",
    description="Bước một: kiểm tra lượt ký và chứng thư số, chuẩn bị ô ký, trả về mã băm cần ký "
    "và mã yêu cầu (hiệu lực 24 giờ). Hồ sơ đổi trước khi gửi chữ ký về thì phải lấy mã mới.",
    response_model=PendingOut,
    responses=problem_responses(403, 404, 409),
    openapi_extra=guarded(Action.RECORD_SIGN),
)
def post_prepare(
    document_id: str, body: PrepareIn, caller: CallerDep, state: StateDep
) -> PendingOut:
    info = state.resources.record(document_id)
    plan = _plan(PlanCatalog(state.ctx), info)
    slot = plan.slot(body.field)
    caller.require(Action.RECORD_SIGN, info.resource(slot=slot_ref(slot)))
    assert slot is not None and slot.signer_id is not None
    certificate, chain = _certificates(body.certificate_pem)
    require_bound(caller, certificate)
    pending = prepare_external(
        caller.ctx, info.document_id, slot.field_name, slot.signer_id, certificate, chain
    )
    return PendingOut(
        pending_id=pending.id,
        document_id=pending.document_id,
        field=pending.field_name,
        signer_id=pending.person_id,
        revision=pending.revision,
        algorithm=pending.algorithm,
        digest_base64=base64.b64encode(pending.digest).decode("ascii"),
        document_digest_base64=base64.b64encode(pending.document_digest).decode("ascii"),
        expires_at=pending.expires_at,
        finish=f"{PREFIX}/signatures/{pending.id}/finish",
    )


def _b64(text: str | None, name: str) -> bytes | None:
    if text is None:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiProblem(422, "request.bad_base64", f"«{name}» không phải base64 hợp lệ.") from None


@router.post(
    "/signatures/{pending_id}/finish",
    summary="Ký hai bước: gửi chữ ký về",
    description="Bước hai: nhận chữ ký thô hoặc CMS, kiểm tra lại chứng thư số, ghi chữ ký và dấu "
    "thời gian vào hồ sơ. 409 khi hồ sơ đã đổi sau khi lấy mã băm (lấy mã mới và ký lại).",
    response_model=OutcomeOut,
    responses=problem_responses(403, 404, 409, 410),
    openapi_extra=guarded(Action.RECORD_SIGN),
)
def post_finish(pending_id: str, body: FinishIn, caller: CallerDep, state: StateDep) -> OutcomeOut:
    signature = _b64(body.signature_base64, "signature_base64")
    cms = _b64(body.cms_base64, "cms_base64")
    with state.ctx.sessions() as s:
        found = s.execute(
            select(DocumentRow.document_id, PendingSignatureRow.field_name)
            .join(DocumentRow, DocumentRow.id == PendingSignatureRow.document_row)
            .where(PendingSignatureRow.id == pending_id)
        ).one_or_none()
    if found is not None:
        info = state.resources.record(found.document_id)
        slot = _plan(PlanCatalog(state.ctx), info).slot(found.field_name)
        caller.require(Action.RECORD_SIGN, info.resource(slot=slot_ref(slot)))
    # an unknown, used or discarded request changes nothing: the use case says which it is
    outcome = finish_external(caller.ctx, pending_id, signature=signature, cms=cms)
    return outcome_out(outcome)
