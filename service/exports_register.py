"""The export register (sổ đăng ký bản xuất): every bundle and extract issued — who, when, what,
for whom, why, how delivered — each item traceable to its archived original (package key and
SHA-256), and each extract to its own archive package. Written in one transaction with the
audit event ``export.issued``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.archiving_report import aware, iso
from service.context import Context
from service.db.export_models import ExportItemRow, ExportRow, ExtractDocumentRow
from service.exports_select import ArchivedOriginal


def new_export_id(at: datetime) -> str:
    """ "XK-20261128-3F9A1C2B": the issue date and 32 random bits (unguessable, sortable by day)."""
    return f"XK-{at:%Y%m%d}-{secrets.token_hex(4).upper()}"


@dataclass(frozen=True)
class RegisterItem:
    role: str  # "copy" | "source"
    document_id: str
    version: int
    pdf_sha256: str
    index_key: str
    package_sha256: str

    @staticmethod
    def of(original: ArchivedOriginal, role: str) -> RegisterItem:
        return RegisterItem(
            role,
            original.document_id,
            original.version,
            original.pdf_sha256,
            original.index_key,
            original.package_sha256,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "document_id": self.document_id,
            "version": self.version,
            "sha256": self.pdf_sha256,
            "archive": {"index_key": self.index_key, "package_sha256": self.package_sha256},
        }


@dataclass(frozen=True)
class RegisterEntry:
    export_id: str
    kind: str
    school_code: str
    student_code: str
    school_year: str | None
    recipient: str
    purpose: str
    delivery: str
    issued_by: str
    issued_at: datetime
    authorized_by: str
    file_name: str
    file_sha256: str
    file_size: int
    items: tuple[RegisterItem, ...]
    extract_document_id: str | None = None
    extract_index_key: str | None = None  # the extract's own archive package
    extract_package_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "export_id": self.export_id,
            "kind": self.kind,
            "school": self.school_code,
            "student": self.student_code,
            "school_year": self.school_year,
            "recipient": self.recipient,
            "purpose": self.purpose,
            "delivery": self.delivery,
            "issued_by": self.issued_by,
            "issued_at": iso(self.issued_at),
            "authorized_by": self.authorized_by,
            "file": {"name": self.file_name, "sha256": self.file_sha256, "size": self.file_size},
            "extract_document_id": self.extract_document_id,
            "extract_archive": (
                {"index_key": self.extract_index_key, "package_sha256": self.extract_package_sha256}
                if self.extract_index_key is not None
                else None
            ),
            "items": [i.to_json() for i in self.items],
        }


def record_export(ctx: Context, session: Session, entry: RegisterEntry) -> None:
    """The register rows and the audit event, in the caller's transaction."""
    session.add(
        ExportRow(
            id=entry.export_id,
            kind=entry.kind,
            school_code=entry.school_code,
            student_code=entry.student_code,
            school_year=entry.school_year,
            recipient=entry.recipient,
            purpose=entry.purpose,
            delivery=entry.delivery,
            issued_by=entry.issued_by,
            issued_at=entry.issued_at,
            authorized_by=entry.authorized_by,
            file_name=entry.file_name,
            file_sha256=entry.file_sha256,
            file_size=entry.file_size,
        )
    )
    session.flush()  # the items reference the export row (PostgreSQL checks at once)
    for item in entry.items:
        session.add(
            ExportItemRow(
                export_id=entry.export_id,
                role=item.role,
                document_id=item.document_id,
                version=item.version,
                pdf_sha256=item.pdf_sha256,
                index_key=item.index_key,
                package_sha256=item.package_sha256,
            )
        )
    ctx.record_event(
        session,
        "export.issued",
        entry.export_id,
        kind=entry.kind,
        student=entry.student_code,
        school=entry.school_code,
        school_year=entry.school_year,
        recipient=entry.recipient,
        purpose=entry.purpose,
        delivery=entry.delivery,
        authorized_by=entry.authorized_by,
        file_sha256=entry.file_sha256,
        extract=entry.extract_document_id,
        extract_archive=entry.extract_index_key,
        extract_package_sha256=entry.extract_package_sha256,
        documents=[i.to_json() for i in entry.items],
    )


def export_register(
    ctx: Context, *, student_code: str | None = None, school_code: str | None = None
) -> list[RegisterEntry]:
    """The register, oldest first (optionally one student's or one school's exports)."""
    with ctx.sessions() as session:
        query = select(ExportRow).order_by(ExportRow.issued_at, ExportRow.id)
        if student_code is not None:
            query = query.where(ExportRow.student_code == student_code)
        if school_code is not None:
            query = query.where(ExportRow.school_code == school_code)
        rows = session.scalars(query).all()
        items = _items(session, [r.id for r in rows])
        found = session.execute(
            select(
                ExtractDocumentRow.export_id,
                ExtractDocumentRow.document_id,
                ExtractDocumentRow.index_key,
                ExtractDocumentRow.package_sha256,
            ).where(ExtractDocumentRow.export_id.in_([r.id for r in rows]))
        )
        extracts = {export_id: (doc, key, bag) for export_id, doc, key, bag in found}
        return [
            RegisterEntry(
                export_id=r.id,
                kind=r.kind,
                school_code=r.school_code,
                student_code=r.student_code,
                school_year=r.school_year,
                recipient=r.recipient,
                purpose=r.purpose,
                delivery=r.delivery,
                issued_by=r.issued_by,
                issued_at=aware(r.issued_at),
                authorized_by=r.authorized_by,
                file_name=r.file_name,
                file_sha256=r.file_sha256,
                file_size=r.file_size,
                items=tuple(items.get(r.id, ())),
                extract_document_id=extracts.get(r.id, (None, None, None))[0],
                extract_index_key=extracts.get(r.id, (None, None, None))[1],
                extract_package_sha256=extracts.get(r.id, (None, None, None))[2],
            )
            for r in rows
        ]


def _items(session: Session, export_ids: Sequence[str]) -> dict[str, list[RegisterItem]]:
    found: dict[str, list[RegisterItem]] = {}
    rows = session.scalars(
        select(ExportItemRow)
        .where(ExportItemRow.export_id.in_(list(export_ids)))
        .order_by(ExportItemRow.id)
    )
    for row in rows:
        found.setdefault(row.export_id, []).append(
            RegisterItem(
                row.role,
                row.document_id,
                row.version,
                row.pdf_sha256,
                row.index_key,
                row.package_sha256,
            )
        )
    return found
