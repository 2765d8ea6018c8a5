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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.documents import RecordType
from service.context import Context
from service.db.archive_models import ArchiveIngestRow
from service.db.export_models import ExportRow, ExtractDocumentRow
from service.db.models import DatasetRow, DocumentRow

__all__ = [
    "ArchivedSignature",
    "DocumentStatus",
    "ExtractStatus",
    "VersionInfo",
    "document_status",
    "extract_of_sha256",
    "extract_status",
    "is_extract_id",
]

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


# ---------------------------------------------------------------------------- extracts


@dataclass(frozen=True)
class ExtractStatus:
    """An extract (trích lục, "TL-…"): a document issued by the school from an archived original.

    Public facts only: what it is, which school and year, when it was issued and archived, and
    which original it was made from — never the student, the recipient or the purpose."""

    document_id: str
    school_name: str
    school_year: str
    issued_at: datetime
    content_hash: str
    pdf_sha256: str
    archived_at: datetime | None
    original_id: str
    original_version: int
    original: DocumentStatus | None  # None: the original is not in this installation any more

    @property
    def original_superseded_by(self) -> int | None:
        """The correction that replaced the version this extract was made from, if any."""
        version = self._source_version()
        if self.original is None or version is None:
            return None
        correction = self.original.correction_after(version)
        return correction.version if correction is not None else None

    @property
    def original_current(self) -> bool:
        return self.original is not None and self.original_superseded_by is None

    def _source_version(self) -> VersionInfo | None:
        if self.original is None:
            return None
        found = [v for v in self.original.versions if v.version == self.original_version]
        return found[0] if found else None

    def to_json(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "kind": "extract",
            "record_type": "Trích lục học bạ",
            "school": self.school_name,
            "school_year": self.school_year,
            "issued_at": self.issued_at.isoformat(),
            "sealed_by": "Nhà trường (chữ ký số của tổ chức)",
            "archived": self.archived_at is not None,
            "archived_at": self.archived_at.isoformat() if self.archived_at else None,
            "content_check_code": self.content_hash[:12],
            "original": {
                "document_id": self.original_id,
                "version": self.original_version,
                "current_version": self.original.current.version if self.original else None,
                "current": self.original_current,
                "superseded_by": self.original_superseded_by,
            },
        }


def is_extract_id(document_id: str) -> bool:
    return document_id.startswith("TL-")


def extract_status(ctx: Context, document_id: str) -> ExtractStatus | None:
    extract = ExtractDocumentRow
    with ctx.sessions() as session:
        row = session.execute(
            select(
                extract.created_at,
                extract.content_hash,
                extract.pdf_sha256,
                extract.archived_at,
                extract.source_document_id,
                extract.source_version,
                ExportRow.school_year,
            )
            .join(ExportRow, ExportRow.id == extract.export_id)
            .where(extract.document_id == document_id)
        ).one_or_none()
    if row is None:
        return None
    original = document_status(ctx, row.source_document_id)
    return ExtractStatus(
        document_id=document_id,
        school_name=original.school_name if original else "",
        school_year=row.school_year or (original.school_year if original else ""),
        issued_at=_aware(row.created_at),
        content_hash=row.content_hash,
        pdf_sha256=row.pdf_sha256,
        archived_at=_aware(row.archived_at) if row.archived_at is not None else None,
        original_id=row.source_document_id,
        original_version=row.source_version,
        original=original,
    )


def extract_of_sha256(ctx: Context, sha256: str) -> str | None:
    """The extract whose signed bytes are exactly these, if this installation issued one."""
    with ctx.sessions() as session:
        return session.scalar(
            select(ExtractDocumentRow.document_id)
            .where(ExtractDocumentRow.pdf_sha256 == sha256)
            .limit(1)
        )


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
