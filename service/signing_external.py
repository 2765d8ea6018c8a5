"""Two-phase signing (remote-signing services, signing apps), with the pending state in the home.

Phase one, :func:`prepare_external`: the plan allows the slot, the certificate the signer declared
passes the pre-signing check, the PDF-level preparation (``signing.external``) runs on the
document's current revision, and the state between the phases is stored in ``pending_signatures``
with that revision. Out goes a :class:`PendingSignature`: an id and the hash to sign.

Phase two, :func:`finish_external`, from any process within :data:`PENDING_TTL`: refused when the
pending entry is unknown, expired or already used, or when the document moved to another revision
("Hồ sơ đã thay đổi sau khi lấy mã băm, hãy ký lại"); the certificate is checked again (it may
have been revoked meanwhile); the signature is verified before anything is embedded; the B-T
timestamp is added, then the document timestamp if this completes the plan; and the new revision
is committed by compare-and-swap in the same transaction that consumes the pending entry.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from cryptography import x509
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from records.slots import SignatureSlot
from service.context import Context
from service.db.models import EventRow, PendingSignatureRow
from service.errors import HsdtError
from service.locks import ensure_document_writable, ensure_row_writable
from service.signing_batch import DocumentOutcome, Status, finish_plan, state_after
from service.signing_env import SigningEnvironment, signing_environment
from service.signing_plans import DocumentPlan, PlanCatalog, expected_signer
from service.signing_revisions import (
    Event,
    Snapshot,
    commit_revision,
    find_documents,
    read_snapshot,
)
from signing.certcheck import async_check_signer
from signing.external import (
    DocumentChangedError,
    PreparedSignature,
    async_finish_external_signature,
    async_prepare_external_signature,
)
from signing.pades import FieldLocks
from signing.plans import check_signature_allowed

__all__ = [
    "PENDING_TTL",
    "PendingSignature",
    "PendingSignatureError",
    "finish_external",
    "prepare_external",
]

# Phase one embeds the revocation answers it fetched; they must still be current when phase two's
# signature timestamp is taken (the development PKI's OCSP answers are valid for one day).
PENDING_TTL = timedelta(hours=24)

STALE_MESSAGE = "Hồ sơ đã thay đổi sau khi lấy mã băm, hãy ký lại"


class PendingSignatureError(HsdtError):
    """The pending two-phase signature cannot be finished (unknown, expired or used)."""

    def __init__(self, code: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


@dataclass(frozen=True)
class PendingSignature:
    """What phase one hands out. ``digest`` is what a remote signer signs (raw RSA/ECDSA over
    this hash); apps that build the CMS themselves sign ``document_digest`` instead."""

    id: str
    document_id: str
    field_name: str
    person_id: str
    revision: int
    digest: bytes
    document_digest: bytes
    algorithm: str
    expires_at: datetime


def prepare_external(
    ctx: Context,
    document_id: str,
    field_name: str,
    person_id: str,
    certificate: x509.Certificate,
    chain: tuple[x509.Certificate, ...] = (),
) -> PendingSignature:
    """Phase one. Raises PlanViolation / CertificateRejectedError before storing anything."""
    (ref,) = find_documents(ctx, document_ids=(document_id,))
    plan = PlanCatalog(ctx).plan(ref.dataset_id, ref.class_id, ref.document_id)
    snapshot = read_snapshot(ctx, ref.row_id)
    ensure_document_writable(ctx, ref.row_id)  # locked or frozen: refused, nothing stored
    slot = check_signature_allowed(plan.slots, set(snapshot.signed), field_name, person_id)
    with signing_environment(ctx) as environment:
        prepared = asyncio.run(_prepare(ctx, environment, snapshot, slot, certificate, chain))
    pending_id = secrets.token_hex(10)
    created = ctx.clock.now()
    with ctx.sessions.begin() as session:
        session.add(
            PendingSignatureRow(
                id=pending_id,
                document_row=snapshot.row_id,
                revision=snapshot.revision,
                base_sha256=prepared.base_sha256,
                field_name=field_name,
                signer_id=person_id,
                state=prepared.to_bytes(),
                created_at=created,
            )
        )
        ctx.record_event(
            session,
            "signature.prepared",
            document_id,
            pending=pending_id,
            field=field_name,
            signer=person_id,
            revision=snapshot.revision,
        )
    return PendingSignature(
        pending_id,
        document_id,
        field_name,
        person_id,
        snapshot.revision,
        prepared.digest_to_sign,
        prepared.document_digest,
        prepared.md_algorithm,
        created + PENDING_TTL,
    )


async def _prepare(
    ctx: Context,
    environment: SigningEnvironment,
    snapshot: Snapshot,
    slot: SignatureSlot,
    certificate: x509.Certificate,
    chain: tuple[x509.Certificate, ...],
) -> PreparedSignature:
    now = ctx.clock.now()
    check = await async_check_signer(
        certificate,
        chain,
        trust_roots=environment.trust_roots,
        at=now,
        expected=expected_signer(slot),
    )
    check.raise_if_failed()
    async with environment.services() as services:
        return await async_prepare_external_signature(
            snapshot.pdf,
            field_name=slot.field_name,
            certificate=certificate,
            chain=chain,
            signer_name=slot.signer_name,
            role_label=slot.label,
            timestamper=services.timestamper,
            validation_context=services.validation_context(certificate),
            field_locks=FieldLocks(slot.locks),
            signing_time=now,
        )


def finish_external(
    ctx: Context,
    pending_id: str,
    *,
    signature: bytes | None = None,
    cms: bytes | None = None,
) -> DocumentOutcome:
    """Phase two: embed ``signature`` (raw) or ``cms`` and commit the document's next revision."""
    with ctx.sessions() as session:
        row = session.get(PendingSignatureRow, pending_id)
        if row is not None:
            session.expunge(row)
    if row is None:
        raise _gone(ctx, pending_id)
    if _aware(row.created_at) + PENDING_TTL < ctx.clock.now():
        _discard(ctx, pending_id, "expired")
        raise PendingSignatureError(
            "pending.expired",
            f"Yêu cầu ký {pending_id} đã hết hạn (quá {_hours(PENDING_TTL)} giờ kể từ khi lấy "
            "mã băm).",
            hint="Lấy mã băm mới bằng «hsdt sign prepare» rồi ký lại.",
        )
    snapshot = read_snapshot(ctx, row.document_row)
    if snapshot.revision != row.revision or not snapshot.newest:
        _discard(ctx, pending_id, "document_changed")
        raise DocumentChangedError(_stale(snapshot.document_id, row.field_name))
    ensure_document_writable(ctx, row.document_row)  # refused; the pending entry stays
    prepared = PreparedSignature.from_bytes(row.state)
    (ref,) = find_documents(ctx, document_ids=(snapshot.document_id,))
    plan = PlanCatalog(ctx).plan(ref.dataset_id, ref.class_id, ref.document_id)
    slot = plan.slot(row.field_name)
    if slot is None:  # the plan changed since phase one
        _discard(ctx, pending_id, "plan_changed")
        raise DocumentChangedError(_stale(snapshot.document_id, row.field_name))
    signed = [*snapshot.signed, slot.field_name]
    with signing_environment(ctx) as environment:
        pdf, timestamped, serial = asyncio.run(
            _finish(ctx, environment, snapshot, plan, signed, slot, prepared, signature, cms)
        )
    events: list[Event] = [
        (
            "document.signed",
            {
                "field": slot.field_name,
                "signer": row.signer_id,
                "role": slot.role.value,
                "certificate_serial": serial,
                "revision": snapshot.revision + 1,
                "pending": pending_id,
            },
        )
    ]
    if timestamped:
        events.append(("document.timestamped", {"revision": snapshot.revision + 1}))
    revision = commit_revision(
        ctx,
        snapshot,
        pdf,
        signed,
        state=state_after(plan, signed),
        events=events,
        also=lambda session: _consume_writable(ctx, session, pending_id, snapshot),
    )
    if revision is None:
        with ctx.sessions() as session:
            still_pending = session.get(PendingSignatureRow, pending_id) is not None
        if not still_pending:  # another process finished this very request first
            raise _gone(ctx, pending_id)
        _discard(ctx, pending_id, "document_changed")
        raise DocumentChangedError(_stale(snapshot.document_id, row.field_name))
    done = " và thêm dấu thời gian lưu trữ (B-LTA)" if timestamped else ""
    return DocumentOutcome(
        snapshot.document_id,
        Status.SIGNED,
        f"Đã ký «{slot.label}»{done}.",
        fields=(slot.field_name,),
        revision=revision,
        timestamped=timestamped,
        attempts=1,
    )


async def _finish(
    ctx: Context,
    environment: SigningEnvironment,
    snapshot: Snapshot,
    plan: DocumentPlan,
    signed: list[str],
    slot: SignatureSlot,
    prepared: PreparedSignature,
    signature: bytes | None,
    cms: bytes | None,
) -> tuple[bytes, bool, str]:
    certificate = x509.load_der_x509_certificate(prepared.certificate)
    chain = tuple(x509.load_der_x509_certificate(c) for c in prepared.chain)
    # Checked again: the certificate may have been revoked since phase one.
    check = await async_check_signer(
        certificate,
        chain,
        trust_roots=environment.trust_roots,
        at=ctx.clock.now(),
        expected=expected_signer(slot),
    )
    check.raise_if_failed()
    async with environment.services() as services:
        pdf = await async_finish_external_signature(
            snapshot.pdf,
            prepared,
            timestamper=services.timestamper,
            signature=signature,
            cms=cms,
        )
        pdf, timestamped = await finish_plan(pdf, plan, signed, services)
    return pdf, timestamped, check.serial_number


def _consume_writable(ctx: Context, session: Session, pending_id: str, snapshot: Snapshot) -> None:
    # checked again in the committing transaction: a window may have opened meanwhile
    ensure_row_writable(session, snapshot.row_id, now=ctx.clock.now())
    _consume(ctx, session, pending_id, snapshot.document_id)


def _consume(ctx: Context, session: Session, pending_id: str, document_id: str) -> None:
    result = cast(
        CursorResult[Any],
        session.execute(delete(PendingSignatureRow).where(PendingSignatureRow.id == pending_id)),
    )
    if result.rowcount != 1:
        raise _gone(ctx, pending_id)
    ctx.record_event(session, "signature.finished", f"pending:{pending_id}", document=document_id)


def _discard(ctx: Context, pending_id: str, reason: str) -> None:
    with ctx.sessions.begin() as session:
        result = cast(
            CursorResult[Any],
            session.execute(
                delete(PendingSignatureRow).where(PendingSignatureRow.id == pending_id)
            ),
        )
        if result.rowcount == 1:
            ctx.record_event(session, "signature.discarded", f"pending:{pending_id}", reason=reason)


def _gone(ctx: Context, pending_id: str) -> PendingSignatureError:
    """Why a pending id is not (or no longer) there, from the audit trail."""
    with ctx.sessions() as session:
        event = session.scalars(
            select(EventRow)
            .where(EventRow.subject == f"pending:{pending_id}")
            .order_by(EventRow.id.desc())
        ).first()
    hint = "Lấy mã băm mới bằng «hsdt sign prepare» nếu cần ký lại."
    if event is None:
        return PendingSignatureError(
            "pending.unknown",
            f"Không có yêu cầu ký nào mang mã {pending_id}.",
            hint="Kiểm tra lại mã yêu cầu ký do «hsdt sign prepare» in ra.",
        )
    when = _aware(event.at).strftime("%d/%m/%Y %H:%M UTC")
    if event.action == "signature.finished":
        return PendingSignatureError(
            "pending.used",
            f"Yêu cầu ký {pending_id} đã được dùng lúc {when}: chữ ký đã nằm trong hồ sơ, "
            "không ghi lần nữa.",
        )
    reasons = {
        "expired": "đã hết hạn",
        "document_changed": "hồ sơ đã thay đổi sau khi lấy mã băm",
        "plan_changed": "kế hoạch ký đã thay đổi",
    }
    reason = reasons.get(_detail(event).get("reason", ""), "đã bị huỷ")
    return PendingSignatureError(
        "pending.discarded", f"Yêu cầu ký {pending_id} đã bị huỷ lúc {when}: {reason}.", hint=hint
    )


def _detail(event: EventRow) -> dict[str, str]:
    data = json.loads(event.detail or "{}")
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _stale(document_id: str, field_name: str) -> str:
    return (
        f"{STALE_MESSAGE}: hồ sơ {document_id} đã có chữ ký khác được ghi sau khi lấy mã băm cho "
        f"ô «{field_name}». Hãy lấy mã băm mới («hsdt sign prepare») và ký lại."
    )


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)
