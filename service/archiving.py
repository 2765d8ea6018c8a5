"""Archiving use cases: every signed record version into the archive, with its second copy.

For each document version ready to archive (``READY_STATES``), in document and version order:

1. **Ingest snapshot.** The canonical JSON is extracted from the signed PDF, the PDF is verified
   (a document that does not verify is refused, with the reasons, and nothing is stored), the
   provenance is taken from the events table, and the archive time and who archives are fixed.
   All of it is written to ``archive_ingests`` *before* the first attempt.
2. **Package.** The BagIt package is built from the stored bytes and the snapshot and archived
   (``archive.archive_package``: create-only, verified, index entry last). A retry after a crash
   rebuilds the very same bytes from the snapshot and resumes the same package.
3. **Done.** The document becomes "archived" and a ``document.archived`` event records the index
   key and the package's SHA-256 (its bag id).
4. **Second copy.** With a replica configured, the package is replicated and
   ``document.replicated`` recorded; a replica that is down leaves the package waiting, and the
   next run copies it (packages archived but not yet replicated are picked up every run).

Beside this module: ``archiving_ingest`` (what goes into a package), ``archiving_replication``
(the second copy), ``archiving_report`` (outcomes), ``archiving_config`` (the stores),
``archiving_audit``, ``archiving_renewal`` and ``archiving_status`` (the other commands).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.exc import IntegrityError as DbIntegrityError

from archive import (
    ArchiveError,
    IndexEntry,
    PackageInput,
    StoreFailure,
    archive_package,
    build_package,
)
from archive.provenance import canonical_json
from service.archiving_config import ArchiveStores, open_archive
from service.archiving_ingest import (
    IngestRefused,
    StoredEvent,
    describe_record,
    events_from_json,
    events_to_json,
    lineage,
    provenance_events,
    record_payload,
    verification_at_ingest,
    verified_event,
)
from service.archiving_replication import awaiting_replication, replicate_backlog, second_copy
from service.archiving_report import ArchiveOutcome, ArchiveRunReport, Progress, Status, aware, iso
from service.context import Context
from service.corrections_links import Supersession, supersession_of
from service.db.archive_models import ArchiveIngestRow
from service.db.models import DocumentRow, EventRow
from service.errors import HsdtError
from service.locks import lock_completed
from service.trust import TrustStore, trust_store
from service.worker_pool import forked_map
from signing.verify import VerificationReport, verify_pdf

__all__ = [
    "ARCHIVED_STATE",
    "READY_STATES",
    "ArchiveOutcome",
    "ArchiveRunReport",
    "Progress",
    "Status",
    "archive_signed",
    "aware",
    "ready_to_archive",
]

# The one predicate deciding what is archived: records a lock window locked (service.locks).
# Timestamp renewal creates its new versions in READY_STATES[0]: a renewal of an archived record
# is as final as the record itself, and is archived by the next run.
READY_STATES: tuple[str, ...] = ("locked",)
ARCHIVED_STATE = "archived"


WORKERS = 2  # documents archived at once, each in a worker process (2-core machines)
TASKS_PER_WORKER = 40  # documents per worker process before a fresh one takes over (memory)


def ready_to_archive() -> ColumnElement[bool]:
    return DocumentRow.state.in_(READY_STATES)


def archive_signed(
    ctx: Context,
    *,
    document_ids: Sequence[str] | None = None,
    progress: Progress | None = None,
    stores: ArchiveStores | None = None,
) -> ArchiveRunReport:
    """Archive every document version ready to archive (or those of ``document_ids``), then make
    the second copies still missing. Per-document refusals and failures are outcomes; a store
    that cannot be used at all raises ``StoreFailure`` (what was archived before stays archived,
    and running again resumes)."""
    started = time.perf_counter()
    if document_ids is not None:
        _check_known(ctx, document_ids)
    own_stores = stores is None  # opened here from the home's settings: workers open theirs
    stores = stores or open_archive(ctx, replica_required=False)
    report = ArchiveRunReport(
        stores.primary.name,
        stores.replica.name if stores.replica is not None else None,
        stores.replica_problem,
    )
    lock_completed(ctx)  # versions signed under an open window (corrections) are locked now
    pending = _ready_rows(ctx, document_ids)
    backlog = awaiting_replication(ctx, document_ids) if stores.replica is not None else []
    total = len(pending) + len(backlog)
    trust = trust_store(ctx.home) if pending else None
    replica = _Replica(stores.replica_problem)
    n = 0
    for outcome in _outcomes(ctx, stores, trust, pending, replica, in_workers=own_stores):
        n += 1
        if outcome is None:  # archived by another run meanwhile
            continue
        report.documents.append(outcome)
        if progress is not None:
            progress(n, total, outcome)
    done = {d.index_key for d in report.documents}
    for n, ingest_id in enumerate(backlog, start=len(pending) + 1):
        outcome, replica.down = replicate_backlog(ctx, stores, ingest_id, replica.down, done)
        if outcome is None:
            continue
        report.documents.append(outcome)
        if progress is not None:
            progress(n, total, outcome)
    report.seconds = time.perf_counter() - started
    return report


# ------------------------------------------------------------------------- many documents


@dataclass
class _Replica:
    down: str | None  # why the replica cannot be used now: later packages wait for the next run


def _outcomes(
    ctx: Context,
    stores: ArchiveStores,
    trust: TrustStore | None,
    pending: Sequence[int],
    replica: _Replica,
    *,
    in_workers: bool,
) -> Iterator[ArchiveOutcome | None]:
    """Each pending version archived (and copied), in order. With stores opened from the home's
    settings and two or more documents, every step of a document runs in a worker process
    (``service.worker_pool``); otherwise here, with verification computed ahead in workers."""
    if trust is None:
        return
    groups = _by_document(ctx, pending)
    workers = min(WORKERS, os.cpu_count() or 1)
    if in_workers and workers >= 2 and len(groups) >= 2:
        # one task per document (its versions in order: a correction's package names the version
        # before it); each worker opens its own stores and keeps its own view of the replica
        for outcomes in forked_map(
            ctx, _archive_document, groups, workers=workers, tasks_per_worker=TASKS_PER_WORKER
        ):
            yield from outcomes
        return
    reports = _verified_ahead(ctx, trust, pending)
    for row_id, verified in zip(pending, reports, strict=False):
        yield _archive_and_copy(ctx, stores, trust, row_id, replica, verified)


def _archive_document(ctx: Context, row_ids: tuple[int, ...]) -> list[ArchiveOutcome | None]:
    """In a worker: every pending version of one document, archived and copied."""
    global _worker_stores
    if _worker_stores is None:
        stores = open_archive(ctx, replica_required=False)
        _worker_stores = (stores, trust_store(ctx.home), _Replica(stores.replica_problem))
    stores, trust, replica = _worker_stores
    return [_archive_and_copy(ctx, stores, trust, row_id, replica) for row_id in row_ids]


_worker_stores: tuple[ArchiveStores, TrustStore, _Replica] | None = None  # per worker process


def _archive_and_copy(
    ctx: Context,
    stores: ArchiveStores,
    trust: TrustStore,
    row_id: int,
    replica: _Replica,
    verified: VerificationReport | None = None,
) -> ArchiveOutcome | None:
    outcome = _archive_one(ctx, stores, trust, row_id, verified)
    if (
        outcome is not None
        and outcome.status is Status.ARCHIVED
        and (stores.replica or stores.replica_problem)
    ):
        outcome, replica.down = second_copy(ctx, stores, outcome, replica.down)
    return outcome


def _by_document(ctx: Context, row_ids: Sequence[int]) -> list[tuple[int, ...]]:
    """``row_ids`` grouped by document, in their order (they come sorted by document, version)."""
    with ctx.sessions() as session:
        rows = session.execute(
            select(DocumentRow.id, DocumentRow.document_id).where(DocumentRow.id.in_(list(row_ids)))
        ).all()
    owner = {row_id: document_id for row_id, document_id in rows}
    groups: dict[str, list[int]] = {}
    for row_id in row_ids:
        groups.setdefault(owner.get(row_id, f"#{row_id}"), []).append(row_id)
    return [tuple(g) for g in groups.values()]


# ---------------------------------------------------------------------------- one document


@dataclass(frozen=True)
class _Version:
    row_id: int
    document_id: str
    version: int
    pdf: bytes
    content_hash: str


def _verify_job(job: tuple[bytes, tuple[bytes, ...], bool]) -> VerificationReport:
    pdf, roots, demo = job
    certificates = [x509.load_der_x509_certificate(r) for r in roots]
    return verify_pdf(pdf, trust_roots=certificates, demo_mode=demo)


def _verified_ahead(
    ctx: Context, trust: TrustStore, row_ids: Sequence[int]
) -> Iterator[VerificationReport | None]:
    """Verification reports for ``row_ids``, in order, computed a few documents ahead in worker
    processes (verification is ~95 % of archiving and CPU-bound). ``None`` where a version is
    already ingested (its stored report counts) or went away."""
    workers = min(WORKERS, os.cpu_count() or 1)
    if workers < 2 or len(row_ids) < 2:
        yield from (None for _ in row_ids)
        return
    roots = tuple(r.public_bytes(Encoding.DER) for r in trust.roots)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        window: deque[Future[VerificationReport] | None] = deque()
        ahead = iter(row_ids)

        def submit_next() -> None:
            row_id = next(ahead, None)
            if row_id is None:
                return
            doc = None if _read_ingest(ctx, row_id) is not None else _read_version(ctx, row_id)
            window.append(
                pool.submit(_verify_job, (doc.pdf, roots, trust.demo_mode)) if doc else None
            )

        for _ in range(2 * workers):
            submit_next()
        while window:
            future = window.popleft()
            submit_next()
            yield future.result() if future is not None else None


def _archive_one(
    ctx: Context,
    stores: ArchiveStores,
    trust: TrustStore,
    row_id: int,
    verified: VerificationReport | None = None,
) -> ArchiveOutcome | None:
    doc = _read_version(ctx, row_id)
    if doc is None:
        return None
    try:
        payload = record_payload(doc.pdf, doc.document_id, doc.content_hash)
        ingest = _ingest(ctx, trust, doc, payload, verified)
        package = build_package(_package_input(doc, payload, ingest, _supersession(ctx, doc)))
        entry = archive_package(
            stores.primary, package, retention=stores.retention.retention_for(ingest.archived_at)
        )
    except IngestRefused as refusal:
        with ctx.sessions.begin() as session:
            ctx.record_event(
                session,
                "document.archive_refused",
                doc.document_id,
                version=doc.version,
                reason=refusal.code,
                message=refusal.message,
            )
        return ArchiveOutcome(
            doc.document_id, doc.version, Status.REFUSED, str(refusal), code=refusal.code
        )
    except StoreFailure:
        raise
    except ArchiveError as error:
        return ArchiveOutcome(
            doc.document_id, doc.version, Status.FAILED, str(error), code=error.code
        )
    if not _mark_archived(ctx, doc, ingest.id, entry, stores.primary.name):
        return None  # another run built the same package and recorded it first: its outcome
    return ArchiveOutcome(
        doc.document_id,
        doc.version,
        Status.ARCHIVED,
        f"Đã lưu trữ phiên bản {doc.version} ({entry.key}).",
        index_key=entry.key,
        bag_id=entry.bag_id,
        archived_at=entry.archived_at,
    )


def _read_version(ctx: Context, row_id: int) -> _Version | None:
    with ctx.sessions() as session:
        row = session.get(DocumentRow, row_id)
        if row is None or row.state not in READY_STATES:
            return None
        # rows rendered before migration 0002 keep their bytes only in the working copy
        pdf = row.pdf if row.pdf is not None else ctx.home.absolute(row.pdf_path).read_bytes()
        return _Version(row.id, row.document_id, row.version, pdf, row.content_hash)


@dataclass(frozen=True)
class _Ingest:
    id: int
    pdf_sha256: str
    archived_at: datetime
    archived_by: str
    verification: dict[str, Any]
    provenance: str


def _ingest(
    ctx: Context,
    trust: TrustStore,
    doc: _Version,
    payload: bytes,
    verified: VerificationReport | None = None,
) -> _Ingest:
    """The persisted snapshot of this version's ingest: the first attempt writes it, every retry
    reads it back (so the package bytes, which include the archive time, do not change)."""
    sha256 = hashlib.sha256(doc.pdf).hexdigest()
    ingest = _read_ingest(ctx, doc.row_id)
    if ingest is None:
        report = verification_at_ingest(doc.pdf, trust, doc.document_id, doc.version, verified)
        history = lineage(_document_events(ctx, doc.document_id), doc.version)
        archived_at = _archive_time(ctx.clock.now(), [e.at for e in history])
        events = [*provenance_events(history, report), verified_event(report, archived_at)]
        try:
            with ctx.sessions.begin() as session:
                session.add(
                    ArchiveIngestRow(
                        document_row=doc.row_id,
                        document_id=doc.document_id,
                        version=doc.version,
                        pdf_sha256=sha256,
                        archived_at=archived_at,
                        archived_by=ctx.actor,
                        verification=canonical_json(report).decode("utf-8"),
                        provenance=events_to_json(events),
                    )
                )
        except DbIntegrityError:
            pass  # another run began this ingest first: use its snapshot
        ingest = _read_ingest(ctx, doc.row_id)
        assert ingest is not None
    if ingest.pdf_sha256 != sha256:
        raise IngestRefused(
            f"{doc.document_id} phiên bản {doc.version}: tệp đã thay đổi kể từ lần lưu trữ đầu "
            f"tiên ({ingest.archived_at:%d/%m/%Y %H:%M} UTC); không lưu trữ.",
            hint="Một phiên bản đã ký không được thay đổi; báo cho cán bộ phụ trách hồ sơ.",
            code="ingest.changed",
        )
    return ingest


def _archive_time(now: datetime, recorded: Sequence[datetime]) -> datetime:
    """Whole seconds (the package's text is stable), rounded up and never before an event the
    package records: provenance is ordered by time, so "archived" must come after "signed"."""
    latest = max(aware(t) for t in [now, *recorded]).astimezone(UTC)
    whole = latest.replace(microsecond=0)
    return whole if whole == latest else whole + timedelta(seconds=1)


def _read_ingest(ctx: Context, row_id: int) -> _Ingest | None:
    with ctx.sessions() as session:
        row = session.scalar(
            select(ArchiveIngestRow).where(ArchiveIngestRow.document_row == row_id)
        )
        if row is None:
            return None
        return _Ingest(
            row.id,
            row.pdf_sha256,
            aware(row.archived_at),
            row.archived_by,
            json.loads(row.verification),
            row.provenance,
        )


def _supersession(ctx: Context, doc: _Version) -> Supersession | None:
    """A version made by a correction names what it supersedes in its package (immutable link,
    so a retry builds the same bytes)."""
    with ctx.sessions() as session:
        return supersession_of(session, doc.row_id)


def _package_input(
    doc: _Version, payload: bytes, ingest: _Ingest, link: Supersession | None = None
) -> PackageInput:
    organization, title = describe_record(payload)
    return PackageInput(
        document_id=doc.document_id,
        version=doc.version,
        pdf=doc.pdf,
        canonical_json=payload,
        verification_report=ingest.verification,
        events=events_from_json(ingest.provenance),
        archived_at=ingest.archived_at,
        archived_by=ingest.archived_by,
        organization=organization,
        title=title,
        supersedes_version=link.supersedes_version if link is not None else None,
        correction=str(link.correction_id) if link is not None else "",
    )


def _document_events(ctx: Context, document_id: str) -> list[StoredEvent]:
    with ctx.sessions() as session:
        rows = session.scalars(
            select(EventRow).where(EventRow.subject == document_id).order_by(EventRow.id)
        ).all()
        return [StoredEvent(r.action, aware(r.at), r.actor, json.loads(r.detail)) for r in rows]


def _mark_archived(
    ctx: Context, doc: _Version, ingest_id: int, entry: IndexEntry, store: str
) -> bool:
    """Record the package; False when a concurrent run recorded the same package first."""
    with ctx.sessions.begin() as session:
        ingest = session.get(ArchiveIngestRow, ingest_id)
        assert ingest is not None
        ingest.index_key = entry.key
        ingest.bag_id = entry.bag_id
        ingest.completed_at = ctx.clock.now()
        mark = (
            update(DocumentRow)
            .where(DocumentRow.id == doc.row_id, ready_to_archive())
            .values(state=ARCHIVED_STATE)
        )
        marked = cast(CursorResult[Any], session.execute(mark))
        if marked.rowcount == 0:  # a concurrent run finished the same package first
            return False
        ctx.record_event(
            session,
            "document.archived",
            doc.document_id,
            version=doc.version,
            index_key=entry.key,
            bag_id=entry.bag_id,
            package_sha256=entry.bag_id,
            prefix=entry.prefix,
            store=store,
            archived_at=iso(entry.archived_at),
        )
        return True


# ---------------------------------------------------------------------------- queries


def _ready_rows(ctx: Context, document_ids: Sequence[str] | None) -> list[int]:
    query = (
        select(DocumentRow.id)
        .where(ready_to_archive())
        .order_by(DocumentRow.document_id, DocumentRow.version)
    )
    if document_ids is not None:
        query = query.where(DocumentRow.document_id.in_(list(document_ids)))
    with ctx.sessions() as session:
        return list(session.scalars(query))


def _check_known(ctx: Context, document_ids: Sequence[str]) -> None:
    with ctx.sessions() as session:
        known = set(
            session.scalars(
                select(DocumentRow.document_id).where(
                    DocumentRow.document_id.in_(list(document_ids))
                )
            )
        )
    unknown = sorted(set(document_ids) - known)
    if unknown:
        raise HsdtError(
            f"Không có hồ sơ {', '.join(unknown)} trong hệ thống.",
            hint="Kiểm tra lại mã hồ sơ; «hsdt archive status» cho biết số hồ sơ theo trạng thái.",
        )
