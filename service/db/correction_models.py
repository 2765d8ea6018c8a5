"""Tables of the correction workflow (migration 0008): requests, their steps, version links.

Kept beside ``models.py`` (same ``Base``). Nothing here is ever updated in place except a
correction's current ``state`` and what its apply step produced; every step is its own row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.models import Base


class CorrectionRow(Base):
    """A correction of a locked or archived record (Điều 11.4), from request to new version."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)  # the version the request was made against
    document_row: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))  # data being corrected
    school_code: Mapped[str] = mapped_column(String(64))
    school_year: Mapped[str] = mapped_column(String(16))
    class_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[str] = mapped_column(Text)  # JSON list of field edits (old → new)
    state: Mapped[str] = mapped_column(String(16))  # requested/approved/rejected/witnessed/applied
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    new_dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"), nullable=True)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CorrectionStepRow(Base):
    """One attributable step of a correction: who, in which part, when, and why."""

    __tablename__ = "correction_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    correction_id: Mapped[int] = mapped_column(ForeignKey("corrections.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))  # request/approve/reject/witness/apply
    actor: Mapped[str] = mapped_column(String(128))  # account id, or "local:<name>" on the CLI
    part: Mapped[str] = mapped_column(String(64))  # the rule that allowed it, or "local"
    role: Mapped[str | None] = mapped_column(String(32), nullable=True)  # witnesses: whose part
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SupersedesRow(Base):
    """A document version made by a correction, and the version it supersedes."""

    __tablename__ = "document_supersedes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_row: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    supersedes_row: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    document_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    supersedes_version: Mapped[int] = mapped_column(Integer)
    correction_id: Mapped[int] = mapped_column(ForeignKey("corrections.id"))
