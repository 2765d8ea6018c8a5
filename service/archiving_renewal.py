"""Timestamp renewal: archived records stay verifiable after their TSA's certificate expires.

For each archived document (its newest version) whose last document timestamp's TSA certificate
expires within the given time, a renewal document timestamp is added (``signing.ltv``: validation
material for the last timestamp, then a new timestamp over everything, PAdES B-LTA). The renewed
bytes become a **new document version** (the archived version is never touched) and are archived
at once as a new package, which the index chains to the previous one.

The TSA is the one signing uses (``service.signing_env``): the configured ``[pki] tsa_url``, or in
demo mode the development PKI's, served by this command while it runs if nothing serves it yet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.orm import aliased

from service.archiving import (
    ARCHIVED_STATE,
    READY_STATES,
    ArchiveOutcome,
    ArchiveRunReport,
    archive_signed,
)
from service.archiving_config import ArchiveStores, open_archive
from service.context import Context
from service.db.models import DocumentRow
from service.errors import HsdtError
from service.files import write_atomic
from service.signing_env import SigningEnvironment, signing_environment
from signing.errors import SigningError
from signing.ltv import archival_timestamp_expiry, async_renew_timestamp

__all__ = ["RenewalOutcome", "RenewalReport", "RenewalStatus", "renew_timestamps"]

RENEWED_EVENT = "document.timestamp_renewed"


class RenewalStatus(StrEnum):
    RENEWED = "renewed"  # a new version with a renewal timestamp, archived (or waiting to be)
    NOT_DUE = "not-due"  # the TSA certificate outlives the window
    FAILED = "failed"


@dataclass(frozen=True)
class RenewalOutcome:
    document_id: str
    version: int  # the archived version examined
    status: RenewalStatus
    message: str
    expires: datetime | None  # its last timestamp's TSA certificate expiry
    new_version: int | None = None
    new_expires: datetime | None = None
    archive: ArchiveOutcome | None = None  # how archiving the new version went

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document_id,
            "version": self.version,
            "status": self.status.value,
            "message": self.message,
            "expires": self.expires.isoformat() if self.expires else None,
            "new_version": self.new_version,
            "new_expires": self.new_expires.isoformat() if self.new_expires else None,
            "archive": self.archive.to_json() if self.archive else None,
        }


@dataclass
class RenewalReport:
    within: timedelta
    documents: list[RenewalOutcome] = field(default_factory=list)
    archive: ArchiveRunReport | None = None

    def count(self, status: RenewalStatus) -> int:
        return sum(1 for d in self.documents if d.status is status)

    @property
    def ok(self) -> bool:
        return all(d.status is not RenewalStatus.FAILED for d in self.documents) and (
            self.archive is None or self.archive.ok
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "within_days": self.within.days,
            "counts": {s.value: self.count(s) for s in RenewalStatus},
            "documents": [d.to_json() for d in self.documents],
        }


@dataclass(frozen=True)
class _Archived:
    row_id: int
    document_id: str
    version: int
    pdf: bytes


def renew_timestamps(
    ctx: Context,
    *,
    within: timedelta,
    document_ids: Sequence[str] | None = None,
    stores: ArchiveStores | None = None,
) -> RenewalReport:
    """Renew every archived document whose archival timestamp's TSA certificate expires before
    ``now + within``, as new versions archived right away."""
    stores = stores or open_archive(ctx, replica_required=False)  # fail before touching the TSA
    report = RenewalReport(within)
    deadline = ctx.clock.now() + within
    due: list[tuple[_Archived, datetime]] = []
    for doc in _archived_newest(ctx, document_ids):
        try:
            expires = archival_timestamp_expiry(doc.pdf)
        except SigningError as exc:
            report.documents.append(_failed(doc, None, exc.message))
            continue
        if expires is None:
            message = "không có dấu thời gian lưu trữ (B-LTA) nào để gia hạn"
            report.documents.append(_failed(doc, None, message))
        elif expires > deadline:
            report.documents.append(
                RenewalOutcome(
                    doc.document_id,
                    doc.version,
                    RenewalStatus.NOT_DUE,
                    f"Chưa cần gia hạn: chứng thư TSA hết hạn {expires:%d/%m/%Y}.",
                    expires,
                )
            )
        else:
            due.append((doc, expires))
    if not due:
        return report
    with signing_environment(ctx) as environment:
        renewed = asyncio.run(_renew_all([doc for doc, _ in due], environment))
    outcomes: dict[str, RenewalOutcome] = {}
    for (doc, expires), result in zip(due, renewed, strict=True):
        if isinstance(result, str):
            outcomes[doc.document_id] = _failed(doc, expires, result)
            continue
        try:
            new_version = _store_new_version(ctx, doc, result, expires)
        except HsdtError as exc:
            outcomes[doc.document_id] = _failed(doc, expires, exc.message)
            continue
        outcomes[doc.document_id] = RenewalOutcome(
            doc.document_id,
            doc.version,
            RenewalStatus.RENEWED,
            f"Đã gia hạn dấu thời gian: phiên bản {new_version}.",
            expires,
            new_version=new_version,
            new_expires=archival_timestamp_expiry(result),
        )
    fresh = [d for d, o in outcomes.items() if o.status is RenewalStatus.RENEWED]
    if fresh:
        report.archive = archive_signed(ctx, document_ids=fresh, stores=stores)
        archived = {(a.document_id, a.version): a for a in report.archive.documents}
        for document_id in fresh:
            outcome = outcomes[document_id]
            result_of = archived.get((document_id, outcome.new_version or 0))
            outcomes[document_id] = _with_archive(outcome, result_of)
    report.documents.extend(outcomes[doc.document_id] for doc, _ in due)
    return report


async def _renew_all(
    docs: Sequence[_Archived], environment: SigningEnvironment
) -> list[bytes | str]:
    """Renewed bytes per document, or why it failed (one HTTP session for the whole run)."""
    results: list[bytes | str] = []
    async with environment.services() as services:
        for doc in docs:
            try:
                results.append(
                    await async_renew_timestamp(
                        doc.pdf,
                        timestamper=services.timestamper,
                        validation_context=services.validation_context(),
                    )
                )
            except SigningError as exc:
                results.append(exc.message)
    return results


def _store_new_version(ctx: Context, doc: _Archived, pdf: bytes, expires: datetime) -> int:
    """The renewed bytes as the document's next version, ready to archive (never an update of
    the archived one). Refused when a newer version appeared meanwhile."""
    try:
        with ctx.sessions.begin() as session:
            old = session.get(DocumentRow, doc.row_id)
            assert old is not None
            newest = session.scalar(
                select(func.max(DocumentRow.version)).where(
                    DocumentRow.document_id == doc.document_id
                )
            )
            if newest != doc.version:
                raise HsdtError(
                    f"{doc.document_id}: vừa có phiên bản {newest} mới hơn phiên bản "
                    f"{doc.version} đã lưu trữ; không gia hạn.",
                    hint="Lưu trữ phiên bản mới rồi chạy lại «hsdt archive renew».",
                )
            version = doc.version + 1
            old_path = PurePosixPath(old.pdf_path)
            path = old_path.with_name(f"{doc.document_id}.v{version}.pdf").as_posix()
            session.add(
                DocumentRow(
                    document_id=old.document_id,
                    version=version,
                    dataset_id=old.dataset_id,
                    record_type=old.record_type,
                    class_id=old.class_id,
                    student_code=old.student_code,
                    point=old.point,
                    content_hash=old.content_hash,
                    pdf_path=path,
                    pdf_sha256=old.pdf_sha256,  # the rendered base: a re-render sees no change
                    pages=old.pages,
                    state=READY_STATES[0],
                    created_at=ctx.clock.now(),
                    revision=old.revision + 1,
                    pdf=pdf,
                    signed_fields=old.signed_fields,
                )
            )
            session.flush()  # the unique (document, version) constraint decides races here
            write_atomic(ctx.home.absolute(path), pdf)
            new_expires = archival_timestamp_expiry(pdf)
            ctx.record_event(
                session,
                RENEWED_EVENT,
                doc.document_id,
                version=version,
                from_version=doc.version,
                previous_expiry=expires.isoformat(),
                expires=new_expires.isoformat() if new_expires else None,
            )
    except DbIntegrityError:
        raise HsdtError(
            f"{doc.document_id}: một tiến trình khác vừa tạo phiên bản {doc.version + 1}; "
            "không gia hạn lần nữa.",
            hint="Xem «hsdt archive show» rồi chạy lại nếu cần.",
        ) from None
    return version


def _archived_newest(ctx: Context, document_ids: Sequence[str] | None) -> list[_Archived]:
    newer = aliased(DocumentRow)
    query = (
        select(DocumentRow)
        .where(
            DocumentRow.state == ARCHIVED_STATE,
            ~select(newer.id)
            .where(
                newer.document_id == DocumentRow.document_id, newer.version > DocumentRow.version
            )
            .exists(),
        )
        .order_by(DocumentRow.document_id)
    )
    if document_ids is not None:
        query = query.where(DocumentRow.document_id.in_(list(document_ids)))
    with ctx.sessions() as session:
        return [
            _Archived(
                r.id,
                r.document_id,
                r.version,
                r.pdf if r.pdf is not None else ctx.home.absolute(r.pdf_path).read_bytes(),
            )
            for r in session.scalars(query)
        ]


def _failed(doc: _Archived, expires: datetime | None, why: str) -> RenewalOutcome:
    return RenewalOutcome(
        doc.document_id,
        doc.version,
        RenewalStatus.FAILED,
        f"Không gia hạn được: {why}",
        expires,
    )


def _with_archive(outcome: RenewalOutcome, archived: ArchiveOutcome | None) -> RenewalOutcome:
    if archived is None:
        note = " Phiên bản mới chưa được lưu trữ; chạy «hsdt archive run»."
        return replace(outcome, message=outcome.message + note)
    return replace(outcome, message=f"{outcome.message} {archived.message}", archive=archived)
