"""What the archive and the versions table say about one document, for the public pages.

Only exact look-ups: by the SHA-256 of an uploaded file, or by a document id someone already
has (printed on the record, in its QR code). Nothing here lists documents, and every answer is
about that one document, so one school's records can never show up on another's query.

The facts are public by design (see docs/verification.md, "What a look-up reveals"): the record
type, the school, the school year, version numbers and states, archive times, the roles that
signed and when. Never a student's or a teacher's name: with only an id, there is no file whose
contents the visitor already holds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.documents import RecordType
from service.context import Context
from service.db.archive_models import ArchiveIngestRow
from service.db.models import DatasetRow, DocumentRow

__all__ = ["ArchivedSignature", "DocumentStatus", "VersionInfo", "document_status"]

ARCHIVED = "archived"


@dataclass(frozen=True)
class ArchivedSignature:
    role: str | None
    time: datetime | None


@dataclass(frozen=True)
class VersionInfo:
    version: int
    state: str
    content_hash: str
    sha256: str | None  # of the version's current bytes (None if the bytes are not at hand)
    archived_at: datetime | None
    archived_sha256: str | None

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


@dataclass(frozen=True)
class DocumentStatus:
    document_id: str
    record_type: str  # display name, Vietnamese
    school_name: str
    school_year: str
    versions: tuple[VersionInfo, ...]  # ascending
    signatures: tuple[ArchivedSignature, ...]  # of the newest archived version, roles only

    @property
    def current(self) -> VersionInfo:
        return self.versions[-1]

    def version_of_sha256(self, sha256: str) -> VersionInfo | None:
        for v in self.versions:
            if sha256 in (v.sha256, v.archived_sha256):
                return v
        return None

    def version_of_short_hash(self, short_hash: str) -> VersionInfo | None:
        matches = [v for v in self.versions if v.content_hash.startswith(short_hash)]
        return matches[-1] if matches else None

    def correction_after(self, version: VersionInfo) -> VersionInfo | None:
        """The newest version whose content differs from ``version``'s: a correction.

        A later version with the same content is a timestamp renewal, not a correction.
        """
        later = [v for v in self.versions if v.version > version.version]
        changed = [v for v in later if v.content_hash != version.content_hash]
        return changed[-1] if changed else None

    def to_json(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "record_type": self.record_type,
            "school": self.school_name,
            "school_year": self.school_year,
            "current_version": self.current.version,
            "versions": [
                {
                    "version": v.version,
                    "state": v.state,
                    "archived_at": v.archived_at.isoformat() if v.archived_at else None,
                    "archived_sha256": v.archived_sha256,
                    "content_check_code": v.content_hash[:12],
                }
                for v in self.versions
            ],
            "signatures": [
                {"role": s.role, "time": s.time.isoformat() if s.time else None}
                for s in self.signatures
            ],
        }


def archived_document_id(ctx: Context, sha256: str) -> str | None:
    """The document whose archived version has exactly these bytes, if any."""
    with ctx.sessions() as session:
        return session.scalar(
            select(ArchiveIngestRow.document_id)
            .where(
                ArchiveIngestRow.pdf_sha256 == sha256, ArchiveIngestRow.completed_at.is_not(None)
            )
            .limit(1)
        )


def document_status(ctx: Context, document_id: str) -> DocumentStatus | None:
    with ctx.sessions() as session:
        rows = list(
            session.scalars(
                select(DocumentRow)
                .where(DocumentRow.document_id == document_id)
                .order_by(DocumentRow.version)
            )
        )
        if not rows:
            return None
        ingests = {
            i.version: i
            for i in session.scalars(
                select(ArchiveIngestRow).where(
                    ArchiveIngestRow.document_id == document_id,
                    ArchiveIngestRow.completed_at.is_not(None),
                )
            )
        }
        versions = tuple(_version(ctx, r, ingests.get(r.version)) for r in rows)
        newest_archived = max(ingests, default=None)
        signatures = _signatures(ingests[newest_archived].verification) if newest_archived else ()
        school, year = _school(session, rows[-1].dataset_id)
        return DocumentStatus(
            document_id=document_id,
            record_type=_record_type(rows[-1].record_type),
            school_name=school,
            school_year=year,
            versions=versions,
            signatures=signatures,
        )


def _version(ctx: Context, row: DocumentRow, ingest: ArchiveIngestRow | None) -> VersionInfo:
    pdf = row.pdf
    if pdf is None:
        path = ctx.home.absolute(row.pdf_path)
        pdf = path.read_bytes() if path.exists() else None
    return VersionInfo(
        version=row.version,
        state=row.state,
        content_hash=row.content_hash,
        sha256=hashlib.sha256(pdf).hexdigest() if pdf is not None else None,
        archived_at=ingest.archived_at if ingest else None,
        archived_sha256=ingest.pdf_sha256 if ingest else None,
    )


def _record_type(value: str) -> str:
    try:
        return RecordType(value).display_name
    except ValueError:
        return "Hồ sơ"


def _school(session: Session, dataset_id: int) -> tuple[str, str]:
    row = session.get(DatasetRow, dataset_id)
    if row is None:
        return "", ""
    try:
        data = json.loads(row.canonical)
        return str(data["school"]["name"]), str(data.get("school_year") or row.school_year)
    except (ValueError, KeyError, TypeError):
        return row.school_code, row.school_year


def _signatures(verification: str) -> tuple[ArchivedSignature, ...]:
    """Roles and trusted times from the report stored at ingest — names deliberately dropped."""
    try:
        report = json.loads(verification)
    except ValueError:
        return ()
    out: list[ArchivedSignature] = []
    for sig in report.get("signatures", []):
        stamp = (sig.get("timestamp") or {}).get("time")
        out.append(
            ArchivedSignature(
                role=sig.get("role"),
                time=datetime.fromisoformat(stamp) if isinstance(stamp, str) else None,
            )
        )
    return tuple(out)
