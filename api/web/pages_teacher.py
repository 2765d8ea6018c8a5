"""Teachers' pages: my classes, a class (records, who has not signed, confirming the data,
uploading a score sheet), a record's preview, my signing queue and signing."""

from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path, PurePath
from typing import Annotated

from cryptography import x509
from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from api.http.problems import ApiProblem
from api.http.server_keys import server_key
from api.routes.imports import _resource as import_resource
from api.web import data
from api.web.menu import roles
from api.web.pages_corrections import may_request
from api.web.render import WebRoute, page
from api.web.session import User, UserDep, check_csrf
from records.check import check_file
from service.accounts import certificate_belongs_to
from service.authz import Action, RecordState, Role, authorize, require
from service.corrections_history import record_history
from service.db.models import DocumentRow, PendingSignatureRow
from service.errors import HsdtError
from service.importing import RejectedImport, import_file
from service.lifecycle import confirm_class
from service.signing import DocumentSelection, SignerIdentity, finish_external, prepare_external
from service.signing_batch import sign_batch
from service.signing_plans import PlanCatalog

router = APIRouter(route_class=WebRoute)

SUFFIXES = (".json", ".xlsx", ".csv")
CsrfField = Annotated[str, Form(max_length=64)]

STEP_LABELS = {
    "request": "Đề nghị",
    "approve": "Phê duyệt",
    "reject": "Từ chối",
    "witness": "Chứng kiến",
    "apply": "Áp dụng",
}
HISTORY_STATES = {**data.STATE_LABELS, "rendered": "Đã tạo", "superseded": "Đã bị thay thế"}

NOTICES = {
    "xac-nhan": "Đã xác nhận dữ liệu của lớp.",
    "da-xac-nhan": "Dữ liệu này đã được xác nhận trước đó.",
}


def class_or_404(user: User, class_id: str) -> data.ClassView:
    view = data.find_class(user, class_id)
    if view is None:
        raise ApiProblem(
            404,
            "class.not_found",
            f"Không có lớp «{class_id}» trong năm học hiện tại.",
            hint="Chọn lớp từ trang «Lớp của tôi».",
        )
    return view


@router.get("/lop")
def classes(user: UserDep) -> Response:
    return page("classes.html", user, classes=data.visible_classes(user))


@router.get("/lop/{class_id}")
def class_page(user: UserDep, class_id: str, tb: str | None = None) -> Response:
    view = class_or_404(user, class_id)
    require(user.principal, Action.RECORD_VIEW, view.ref())
    return _class_page(user, view, notice=NOTICES.get(tb or ""))


def _class_page(
    user: User, view: data.ClassView, *, status: int = 200, **extra: object
) -> Response:
    rows = data.record_rows(user, view)
    state = data.data_state(user.ctx, view)
    p = user.principal
    most = max((r.info.state for r in rows), key=_ORDER.index, default=state)
    missing: dict[str, list[str]] = {}
    for r in rows:
        for slot in r.unsigned:
            missing.setdefault(slot.signer_name or slot.signer_id or "?", []).append(r.title)
    return page(
        "class.html",
        user,
        status=status,
        view=view,
        rows=rows,
        data_state=state,
        state_labels=data.STATE_LABELS,
        missing=sorted(missing.items()),
        can_confirm=authorize(p, Action.DATASET_CONFIRM, view.ref(state=state)).allowed,
        can_import=authorize(p, Action.DATASET_IMPORT, view.ref(state=most)).allowed,
        can_countersign=bool(roles(user) & {Role.PRINCIPAL, Role.VICE_PRINCIPAL})
        and any(
            authorize(p, Action.RECORD_SIGN, r.info.resource(slot=data.slot_ref(s))).allowed
            for r in rows
            for s, done in r.slots
            if not done and s.signer_id in data.signer_ids(user, view.place.school)
        ),
        **extra,
    )


_ORDER = list(RecordState)


@router.post("/lop/{class_id}/xac-nhan")
def confirm(user: UserDep, class_id: str, csrf: CsrfField = "") -> Response:
    check_csrf(user, csrf)
    view = class_or_404(user, class_id)
    require(user.principal, Action.DATASET_CONFIRM, view.ref(state=data.data_state(user.ctx, view)))
    done = confirm_class(
        user.ctx, user.principal, class_id, year=view.place.year, school=view.place.school
    )
    notice = "xac-nhan" if done.created else "da-xac-nhan"
    return RedirectResponse(f"/lop/{class_id}?tb={notice}", status_code=303)


@router.post("/lop/{class_id}/nhap")
def upload(
    user: UserDep,
    class_id: str,
    file: Annotated[UploadFile, File()],
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    view = class_or_404(user, class_id)
    name = PurePath(file.filename or "").name
    if not name.lower().endswith(SUFFIXES):
        raise ApiProblem(
            415,
            "import.unsupported_file",
            f"Tệp «{name or '(không tên)'}» không phải .xlsx, .csv hay .json.",
            hint="Dùng mẫu sổ lớp (.xlsx) hoặc bảng điểm môn (.csv) từ «hsdt template».",
        )
    with tempfile.TemporaryDirectory(prefix="hsdt-web-") as tmp:
        path = Path(tmp) / name  # the importer reads the kind from the suffix
        with path.open("wb") as out:
            while chunk := file.file.read(1024 * 1024):
                out.write(chunk)
        report = check_file(path)
        if report.dataset is None and report.sheet is None:
            return _class_page(user, view, status=422, findings=report.findings, file=name)
        resource, _ = import_resource(user.state.resources, report)
        require(user.principal, Action.DATASET_IMPORT, resource)
        try:
            outcome = import_file(user.ctx, path)
        except RejectedImport as exc:
            return _class_page(
                user, view, status=422, findings=exc.report.findings, file=name, rejected=True
            )
    return _class_page(user, view, imported=outcome, findings=outcome.warnings, file=name)


@router.get("/ho-so/{document_id}")
def record(user: UserDep, document_id: str) -> Response:
    info = user.state.resources.record(document_id)
    require(user.principal, Action.RECORD_VIEW, info.resource())
    plan = PlanCatalog(user.ctx).plan(info.dataset_id, info.class_id, info.document_id)
    signed = set(info.signed_fields)
    return page(
        "record.html",
        user,
        info=info,
        title=data.RECORD_TITLES.get(info.record_type, info.record_type),
        state=data.STATE_LABELS.get(info.state.value, info.state.value),
        slots=[(s, s.field_name in signed) for s in plan.slots],
        history=record_history(user.ctx, info.document_id),
        state_labels=HISTORY_STATES,
        step_labels=STEP_LABELS,
        role_labels={"board_member": "Ban quản trị", "homeroom_teacher": "GV chủ nhiệm"},
        can_correct=may_request(user, info).allowed,
    )


@router.get("/ho-so/{document_id}/pdf")
def record_pdf(user: UserDep, document_id: str) -> Response:
    info = user.state.resources.record(document_id)
    require(user.principal, Action.RECORD_VIEW, info.resource())
    pdf = user.ctx.home.root / info.pdf_path
    if not pdf.is_file():
        raise ApiProblem(404, "record.pdf_missing", f"Chưa có tệp PDF của hồ sơ {document_id}.")
    return Response(
        pdf.read_bytes(),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{document_id}.pdf"'},
    )


@router.get("/ky")
def queue(user: UserDep) -> Response:
    return page("queue.html", user, items=data.signing_queue(user), server_keys=_server_keys(user))


def _server_keys(user: User) -> bool:
    return user.ctx.settings.pki_mode == "demo"


@router.post("/ky")
def sign_selected(
    user: UserDep,
    document_ids: Annotated[list[str] | None, Form()] = None,
    csrf: CsrfField = "",
) -> Response:
    """Sign the chosen records with the key the server holds for the user (demo mode; a school
    that keeps its staff's PKCS#12 on the server configures it the same way)."""
    check_csrf(user, csrf)
    if not document_ids:
        raise HsdtError(
            "Chưa chọn hồ sơ nào để ký.", hint="Đánh dấu các hồ sơ cần ký rồi bấm «Ký»."
        )
    ids = list(dict.fromkeys(document_ids))[:500]
    queue = {(q.info.document_id): q for q in data.signing_queue(user)}
    chosen = []
    for document_id in ids:
        entry = queue.get(document_id)
        if entry is None:
            info = user.state.resources.record(document_id)
            # not in the queue: say why (a refusal by the matrix, or not this person's turn)
            require(user.principal, Action.RECORD_SIGN, info.resource())
            raise HsdtError(
                f"Hồ sơ {document_id} chưa đến lượt ký của bạn, hoặc bạn đã ký.",
                hint="Tải lại hàng đợi ký để xem các hồ sơ đang chờ bạn.",
            )
        require(
            user.principal, Action.RECORD_SIGN, entry.info.resource(slot=data.slot_ref(entry.slot))
        )
        chosen.append(entry)
    signers = {e.slot.signer_id for e in chosen}
    if len(signers) != 1:
        raise HsdtError(
            "Chọn các hồ sơ cùng một ô ký của bạn (mỗi lần ký dùng một khoá).",
            hint="Ký riêng từng nhóm: ví dụ các học bạ trước, con dấu sau.",
        )
    (signer,) = signers
    assert signer is not None
    key = server_key(user.ctx, signer)
    if not certificate_belongs_to(user.ctx, user.username, key.certificate):
        raise _unbound_certificate()
    outcome = sign_batch(
        user.ctx,
        SignerIdentity(signer, key.backend),
        DocumentSelection(document_ids=tuple(e.info.document_id for e in chosen)),
    )
    return page("sign_result.html", user, outcome=outcome)


def _unbound_certificate() -> HsdtError:
    return ApiProblem(
        403,
        "signing.certificate_not_bound",
        "Chứng thư số của khoá này chưa được gắn với tài khoản của bạn: không ký thay người khác "
        "được (Điều 10).",
        hint="Nhờ quản trị viên gắn chứng thư số của bạn vào tài khoản rồi ký lại.",
    )


@router.post("/ky/{document_id}/hai-buoc")
def prepare(
    user: UserDep,
    document_id: str,
    field: Annotated[str, Form(max_length=64)],
    certificate_pem: Annotated[str, Form(max_length=20000)],
    csrf: CsrfField = "",
) -> Response:
    """Two-phase signing, step one: the hash to sign with a USB token or a remote service."""
    check_csrf(user, csrf)
    info = user.state.resources.record(document_id)
    plan = PlanCatalog(user.ctx).plan(info.dataset_id, info.class_id, info.document_id)
    slot = plan.slot(field)
    if slot is None:
        raise HsdtError(f"Hồ sơ {document_id} không có ô ký «{field}».")
    require(user.principal, Action.RECORD_SIGN, info.resource(slot=data.slot_ref(slot)))
    try:
        first, *chain = x509.load_pem_x509_certificates(certificate_pem.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise HsdtError(
            "Nội dung dán vào không phải chứng thư số X.509 dạng PEM.",
            hint="Xuất chứng thư số từ token (dạng PEM, bắt đầu bằng «-----BEGIN CERTIFICATE»).",
        ) from None
    if not certificate_belongs_to(user.ctx, user.username, first):
        raise _unbound_certificate()
    assert slot.signer_id is not None
    pending = prepare_external(
        user.ctx, info.document_id, slot.field_name, slot.signer_id, first, tuple(chain)
    )
    return page(
        "prepare.html",
        user,
        pending=pending,
        digest=base64.b64encode(pending.digest).decode("ascii"),
        document_digest=base64.b64encode(pending.document_digest).decode("ascii"),
    )


@router.post("/ky/hai-buoc/{pending_id}")
def finish(
    user: UserDep,
    pending_id: str,
    signature: Annotated[str, Form(max_length=100_000)] = "",
    kind: Annotated[str, Form(max_length=16)] = "signature",
    csrf: CsrfField = "",
) -> Response:
    """Two-phase signing, step two: the signature (raw, or a detached CMS) comes back."""
    check_csrf(user, csrf)
    try:
        raw = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise HsdtError("Chữ ký dán vào không phải base64 hợp lệ.") from None
    with user.ctx.sessions() as s:
        found = s.execute(
            select(DocumentRow.document_id, PendingSignatureRow.field_name)
            .join(DocumentRow, DocumentRow.id == PendingSignatureRow.document_row)
            .where(PendingSignatureRow.id == pending_id)
        ).one_or_none()
    if found is not None:  # an unknown or used request: the use case says which
        info = user.state.resources.record(found.document_id)
        plan = PlanCatalog(user.ctx).plan(info.dataset_id, info.class_id, info.document_id)
        slot = plan.slot(found.field_name)
        require(
            user.principal,
            Action.RECORD_SIGN,
            info.resource(slot=data.slot_ref(slot) if slot else None),
        )
    outcome = finish_external(
        user.ctx,
        pending_id,
        signature=raw if kind == "signature" else None,
        cms=raw if kind == "cms" else None,
    )
    return page("sign_result.html", user, single=outcome, outcome=None)
