"""Extracts into the archive: each signed extract (trích lục) becomes its own archival package.

Same machinery, format and retention as a record version (``archive.build_package``,
``hsdt-package/1``, the primary store's WORM retention from ``[archive]``): the package is
``packages/TL-…/v0001/<bag id>/`` with the signed PDF, the extract's JSON (which names the
original: document id, version, PDF SHA-256, archive index key and package SHA-256), the
verification report made at issue time and the provenance (rendered from the original, sealed by
the school, verified, archived). ``bag-info.txt`` names the original too (External-Description).

Written before the register: a failed write raises ``ExtractNotArchived`` and nothing is
registered. The index entry is written last, so an interrupted write leaves no package, only
unindexed objects that ``hsdt archive audit`` reports as orphans (WORM keeps them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from archive import ArchiveError, IndexEntry, PackageInput, archive_package, build_package
from archive.provenance import EventType, ProvenanceEvent
from archive.replication import replicate
from service.archiving_config import ArchiveStores, open_archive
from service.archiving_ingest import SOFTWARE, record_payload, verified_event
from service.context import Context
from service.errors import HsdtError
from service.exports_select import ArchivedOriginal
from signing.verify import VerificationReport

EXTRACT_VERSION = 1  # an extract is never corrected: a new extract gets a new id


class ExtractNotArchived(HsdtError):
    """The archive could not take the extract: it is not issued."""


@dataclass(frozen=True)
class ExtractArchive:
    index_key: str
    package_sha256: str  # the bag id
    archived_at: datetime
    store: str
    replicated: bool


def archive_extract(
    ctx: Context,
    *,
    document_id: str,
    content_hash: str,
    signed: bytes,
    report: VerificationReport,
    original: ArchivedOriginal,
    school_name: str,
    school_year: str,
) -> ExtractArchive:
    """Archive the signed extract as package ``document_id``/v1; returns where it is."""
    try:
        payload = record_payload(signed, document_id, content_hash)
        stores = open_archive(ctx, replica_required=False)
        archived_at = _whole_second(ctx.clock.now())
        package = build_package(
            PackageInput(
                document_id=document_id,
                version=EXTRACT_VERSION,
                pdf=signed,
                canonical_json=payload,
                verification_report=report.to_json(),
                events=_events(ctx, original, school_name, report.to_json(), archived_at),
                archived_at=archived_at,
                archived_by=ctx.actor,
                organization=school_name,
                title=f"Trích lục học bạ năm học {school_year} — {_original_text(original)}",
            )
        )
        entry = archive_package(
            stores.primary, package, retention=stores.retention.retention_for(archived_at)
        )
    except (ArchiveError, HsdtError) as exc:
        raise ExtractNotArchived(
            f"Không lưu trữ được trích lục {document_id} ({exc}); chưa cấp trích lục, sổ đăng "
            "ký không ghi gì.",
            hint="Kiểm tra kho lưu trữ («hsdt archive status») rồi cấp lại trích lục.",
        ) from exc
    return ExtractArchive(
        entry.key, entry.bag_id, entry.archived_at, stores.primary.name, _second_copy(stores, entry)
    )


def _second_copy(stores: ArchiveStores, entry: IndexEntry) -> bool:
    """Best effort: a replica that is down does not stop the issue (the primary holds the WORM
    package); the run's replication backlog does not retry extracts yet (docs/exports.md)."""
    if stores.replica is None:
        return False
    try:
        return bool(replicate(stores.primary, stores.replica, document_ids=[entry.document_id]).ok)
    except ArchiveError:
        return False


def _original_text(original: ArchivedOriginal) -> str:
    return (
        f"bản gốc {original.document_id} phiên bản {original.version} "
        f"(SHA-256 {original.pdf_sha256}, gói {original.index_key})"
    )


def _events(
    ctx: Context,
    original: ArchivedOriginal,
    school_name: str,
    report: dict[str, Any],
    archived_at: datetime,
) -> list[ProvenanceEvent]:
    issued = _whole_second(ctx.clock.now())
    return [
        ProvenanceEvent(
            EventType.RENDERED,
            issued,
            SOFTWARE,
            "software",
            detail=f"Trích lục từ {_original_text(original)}",
        ),
        ProvenanceEvent(
            EventType.SIGNED,
            issued,
            school_name,
            "Nhà trường (chữ ký số của tổ chức)",
            detail="Ô ký con_dau, PAdES B-LT, dấu thời gian tài liệu (B-LTA)",
        ),
        verified_event(report, archived_at),
    ]


def _whole_second(at: datetime) -> datetime:
    """Whole seconds, rounded up (the package's text is stable; "archived" after "signed")."""
    at = at.astimezone(UTC)
    whole = at.replace(microsecond=0)
    return whole if whole == at else whole + timedelta(seconds=1)
