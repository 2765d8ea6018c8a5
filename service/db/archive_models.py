"""Tables of the archive workflow (migration 0004): ingests in progress or done, fixity checks.

Kept beside ``models.py`` (same ``Base``) so the archive's persistence can be read on its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.models import Base


class ArchiveIngestRow(Base):
    """One document version on its way into the archive, then archived.

    Written *before* the first attempt: the package bytes depend on the archive time, who
    archives, the verification report and the provenance, so a retry rebuilds exactly the same
    package from this snapshot and resumes it instead of starting another.
    """

    __tablename__ = "archive_ingests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_row: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    document_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    pdf_sha256: Mapped[str] = mapped_column(String(64))  # the exact bytes being archived
    archived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    archived_by: Mapped[str] = mapped_column(String(128))
    verification: Mapped[str] = mapped_column(Text)  # canonical JSON of the report at ingest
    provenance: Mapped[str] = mapped_column(Text)  # JSON list of the events packaged
    index_key: Mapped[str | None] = mapped_column(String(256), nullable=True)
    bag_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    replicated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class FixityCheckRow(Base):
    """When a package (by index key) was last read back by a fixity audit, and how it went."""

    __tablename__ = "archive_fixity_checks"

    index_key: Mapped[str] = mapped_column(String(256), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(128), index=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
