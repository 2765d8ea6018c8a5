"""What the archive holds: counts for ``hsdt archive status``, one document's packages for
``hsdt archive show``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from archive import ArchiveError, IndexEntry, StoreFailure, package_history
from service.archiving_audit import AUDIT_EVENT
from service.archiving_config import ArchiveStores, archive_config, describe_store, open_archive
from service.archiving_report import aware
from service.context import Context
from service.db.archive_models import ArchiveIngestRow, FixityCheckRow
from service.db.models import DocumentRow, EventRow
from service.errors import HsdtError

__all__ = [
    "ArchiveStatus",
    "ArchivedPackage",
    "DocumentHistory",
    "LastAudit",
    "archive_status",
    "document_history",
]


@dataclass(frozen=True)
class LastAudit:
    at: datetime
    ok: bool
    selection: str
    packages: int
    counts: dict[str, int]
    repaired: int


@dataclass(frozen=True)
class ArchiveStatus:
    primary: str
    replica: str | None
    retention_years: int
    legal_hold: bool
    states: dict[str, int]  # the newest version of each document, by state
    packages: int  # archived packages (one per archived version)
    in_progress: int  # ingests begun and not finished: an interrupted run, resumed by the next
    awaiting_replication: int
    never_audited: int
    last_audit: LastAudit | None

    def to_json(self) -> dict[str, Any]:
        audit = self.last_audit
        return {
            "primary": self.primary,
            "replica": self.replica,
            "retention_years": self.retention_years,
            "legal_hold": self.legal_hold,
            "documents_by_state": self.states,
            "packages": self.packages,
            "in_progress": self.in_progress,
            "awaiting_replication": self.awaiting_replication,
            "never_audited": self.never_audited,
            "last_audit": None
            if audit is None
            else {
                "at": audit.at.isoformat(),
                "ok": audit.ok,
                "selection": audit.selection,
                "packages": audit.packages,
                "counts": audit.counts,
                "repaired": audit.repaired,
            },
        }


def archive_status(ctx: Context) -> ArchiveStatus:
    """Counts from the database only: no store is contacted (``hsdt archive audit`` does that)."""
    config = archive_config(ctx.home)
    newer = aliased(DocumentRow)
    newest = (
        ~select(newer.id)
        .where(newer.document_id == DocumentRow.document_id, newer.version > DocumentRow.version)
        .exists()
    )
    done = ArchiveIngestRow.completed_at.is_not(None)
    with ctx.sessions() as session:
        by_state = session.execute(
            select(DocumentRow.state, func.count(DocumentRow.id))
            .where(newest)
            .group_by(DocumentRow.state)
            .order_by(DocumentRow.state)
        )
        states = {str(state): int(count) for state, count in by_state}
        packages = session.scalar(select(func.count(ArchiveIngestRow.id)).where(done)) or 0
        in_progress = session.scalar(select(func.count(ArchiveIngestRow.id)).where(~done)) or 0
        waiting = (
            session.scalar(
                select(func.count(ArchiveIngestRow.id)).where(
                    done, ArchiveIngestRow.replicated_at.is_(None)
                )
            )
            or 0
        )
        audited = select(FixityCheckRow.index_key)
        never = (
            session.scalar(
                select(func.count(ArchiveIngestRow.id)).where(
                    done, ArchiveIngestRow.index_key.not_in(audited)
                )
            )
            or 0
        )
        last = session.scalars(
            select(EventRow).where(EventRow.action == AUDIT_EVENT).order_by(EventRow.id.desc())
        ).first()
        last_audit = None if last is None else _last_audit(last)
    return ArchiveStatus(
        primary=describe_store(config.primary, ctx.home),
        replica=describe_store(config.replica, ctx.home) if config.replica else None,
        retention_years=config.retention.years,
        legal_hold=config.retention.legal_hold,
        states=states,
        packages=packages,
        in_progress=in_progress,
        awaiting_replication=waiting if config.replica else 0,
        never_audited=never,
        last_audit=last_audit,
    )


def _last_audit(event: EventRow) -> LastAudit:
    detail: dict[str, Any] = json.loads(event.detail)
    return LastAudit(
        at=aware(event.at),
        ok=bool(detail.get("ok")),
        selection=str(detail.get("selection", "")),
        packages=int(detail.get("packages", 0)),
        counts={str(k): int(v) for k, v in detail.get("counts", {}).items()},
        repaired=int(detail.get("repaired", 0)),
    )


@dataclass(frozen=True)
class ArchivedPackage:
    entry: IndexEntry
    replicated: bool | None  # None: no replica configured, or it could not be read
    last_checked: datetime | None
    fixity_ok: bool | None

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        return {
            "index_key": e.key,
            "sequence": e.sequence,
            "version": e.document_version,
            "archived_at": e.archived_at.isoformat(),
            "bag_id": e.bag_id,
            "prefix": e.prefix,
            "files": len(e.files),  # objects of the bag (the index entry is one more)
            "bytes": sum(f.size for f in e.files),
            "retain_until": e.retention.retain_until.isoformat(),
            "legal_hold": e.retention.legal_hold,
            "previous": e.previous_key,
            "replicated": self.replicated,
            "last_checked": self.last_checked.isoformat() if self.last_checked else None,
            "fixity_ok": self.fixity_ok,
        }


@dataclass(frozen=True)
class DocumentHistory:
    document_id: str
    store: str
    packages: tuple[ArchivedPackage, ...]  # oldest first, as chained in the index
    versions: tuple[tuple[int, str], ...]  # (version, state) of every stored version
    replica_problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document_id,
            "store": self.store,
            "versions": [{"version": v, "state": s} for v, s in self.versions],
            "packages": [p.to_json() for p in self.packages],
            "replica_problem": self.replica_problem,
        }


def document_history(
    ctx: Context, document_id: str, *, stores: ArchiveStores | None = None
) -> DocumentHistory:
    """Every archived package of a document, read from the primary store's verified index."""
    with ctx.sessions() as session:
        rows = session.execute(
            select(DocumentRow.version, DocumentRow.state)
            .where(DocumentRow.document_id == document_id)
            .order_by(DocumentRow.version)
        )
        versions = tuple((int(version), str(state)) for version, state in rows)
        checks = {
            row.index_key: row
            for row in session.scalars(
                select(FixityCheckRow).where(FixityCheckRow.document_id == document_id)
            )
        }
    stores = stores or open_archive(ctx, replica_required=False)
    entries = package_history(stores.primary, document_id)
    if not versions and not entries:
        raise HsdtError(
            f"Không có hồ sơ {document_id} trong hệ thống lẫn trong kho lưu trữ.",
            hint="Kiểm tra lại mã hồ sơ (ví dụ HB-10082256-2025-…); «hsdt archive status» cho "
            "biết số hồ sơ đã lưu trữ.",
        )
    replicated, problem = _on_replica(stores, document_id)
    packages = tuple(
        ArchivedPackage(
            entry,
            None if replicated is None else (entry.key, entry.bag_id) in replicated,
            aware(checks[entry.key].checked_at) if entry.key in checks else None,
            checks[entry.key].ok if entry.key in checks else None,
        )
        for entry in entries
    )
    return DocumentHistory(
        document_id,
        stores.primary.name,
        packages,
        versions,
        replica_problem=problem or stores.replica_problem,
    )


def _on_replica(
    stores: ArchiveStores, document_id: str
) -> tuple[set[tuple[str, str]] | None, str | None]:
    if stores.replica is None:
        return None, None
    try:
        return {(e.key, e.bag_id) for e in package_history(stores.replica, document_id)}, None
    except StoreFailure as exc:
        return None, exc.message
    except ArchiveError as exc:  # a damaged index on the replica: the audit reports and repairs it
        return set(), exc.message
