"""Tables of the export register (migration 0010): every bundle and extract issued, what it
contained, and the extracts themselves (new documents signed by the school).

Kept beside ``models.py`` (same ``Base``) so the register can be read on its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.models import Base


class ExportRow(Base):
    """One export issued: who, when, what kind, for whom, why and how it was delivered."""

    __tablename__ = "exports"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "XK-20261128-3F9A1C2B"
    kind: Mapped[str] = mapped_column(String(16))  # "bundle" | "extract"
    school_code: Mapped[str] = mapped_column(String(64), index=True)
    student_code: Mapped[str] = mapped_column(String(64), index=True)
    school_year: Mapped[str | None] = mapped_column(String(16), nullable=True)  # --year filter
    recipient: Mapped[str] = mapped_column(String(256))
    purpose: Mapped[str] = mapped_column(Text)
    delivery: Mapped[str] = mapped_column(String(64))
    issued_by: Mapped[str] = mapped_column(String(128))  # the actor (account id / operator)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    authorized_by: Mapped[str] = mapped_column(String(128))  # the permission rule that allowed it
    file_name: Mapped[str] = mapped_column(String(256))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(Integer)


class ExportItemRow(Base):
    """One document of an export and the archived original it is traceable to."""

    __tablename__ = "export_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    export_id: Mapped[str] = mapped_column(ForeignKey("exports.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # "copy" (bản sao) | "source" (of an extract)
    document_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    index_key: Mapped[str] = mapped_column(String(256))  # the archive package of the original
    package_sha256: Mapped[str] = mapped_column(String(64))  # its bag id


class ExtractDocumentRow(Base):
    """An extract (trích lục): a new document, signed by the school, issued by one export."""

    __tablename__ = "export_documents"

    document_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "TL-…"
    export_id: Mapped[str] = mapped_column(ForeignKey("exports.id"), unique=True)
    source_document_id: Mapped[str] = mapped_column(String(128), index=True)
    source_version: Mapped[int] = mapped_column(Integer)
    source_sha256: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the attached JSON
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)  # public look-up of uploads
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Its own archive package (migration 0011); empty for extracts issued before extracts were
    # archived.
    index_key: Mapped[str | None] = mapped_column(String(256), nullable=True)
    package_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
