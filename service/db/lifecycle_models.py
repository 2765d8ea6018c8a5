"""Tables of the record lifecycle (migration 0007): data confirmations and lock windows.

Kept beside ``models.py`` (same ``Base``). A confirmation names the exact data confirmed (the
dataset and the class's own digest); a lock window names its scope, term and who opened and
closed it; ``lock_window_documents`` lists the document versions a window moved to "locked", so
that closing it gives back exactly those.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.models import Base


class ConfirmationRow(Base):
    """A class's data for one school year, confirmed by a person (Điều 7.5, 8.2)."""

    __tablename__ = "data_confirmations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    school_code: Mapped[str] = mapped_column(String(64), index=True)
    school_year: Mapped[str] = mapped_column(String(16))
    class_id: Mapped[str] = mapped_column(String(32))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    dataset_sha256: Mapped[str] = mapped_column(String(64))
    class_sha256: Mapped[str] = mapped_column(String(64))  # the class's data (lifecycle.py)
    confirmed_by: Mapped[str] = mapped_column(String(128))
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # set when new data for the class arrives: the class is a draft again
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    voided_by_dataset: Mapped[int | None] = mapped_column(Integer, nullable=True)


class LockWindowRow(Base):
    """A lock window over a province, a district or a school, for one school year and term."""

    __tablename__ = "lock_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    province: Mapped[str] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64), nullable=True)
    school: Mapped[str | None] = mapped_column(String(64), nullable=True)
    school_year: Mapped[str] = mapped_column(String(16))
    term: Mapped[str] = mapped_column(String(8))  # "HK1", "HK2", "year"
    reason: Mapped[str] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(128))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class LockedDocumentRow(Base):
    """A document version a window moved from "signed" to "locked"."""

    __tablename__ = "lock_window_documents"

    window_id: Mapped[int] = mapped_column(ForeignKey("lock_windows.id"), primary_key=True)
    document_row: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
