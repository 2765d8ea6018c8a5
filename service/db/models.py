"""Database tables. Persistence models only: API schemas and domain types live elsewhere."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class DatasetRow(Base):
    """An imported school-year dataset, stored exactly as its canonical JSON."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("sha256", name="uq_datasets_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    school_code: Mapped[str] = mapped_column(String(64), index=True)
    school_year: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(512))  # file name as given, for the trail
    source_path: Mapped[str] = mapped_column(String(512))  # copy inside the home (relative)
    canonical: Mapped[bytes] = mapped_column(LargeBinary)
    warnings: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of findings
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DatasetClassRow(Base):
    """One class of an imported dataset, stored on its own: the dataset's canonical JSON with only
    that class. Whoever needs one class (its confirmation digest, the slots a signer fills) reads
    this slice, not the whole school's year (4 MB of JSON at 1,000 records)."""

    __tablename__ = "dataset_classes"
    __table_args__ = (UniqueConstraint("dataset_id", "class_id", name="uq_dataset_classes_class"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    class_id: Mapped[str] = mapped_column(String(64))
    canonical: Mapped[bytes] = mapped_column(LargeBinary)


class DocumentRow(Base):
    """One version of a rendered record book. A new version never overwrites an old one."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("document_id", "version", name="uq_documents_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    record_type: Mapped[str] = mapped_column(String(32))
    class_id: Mapped[str] = mapped_column(String(32))
    student_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    point: Mapped[str | None] = mapped_column(String(8), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    pdf_path: Mapped[str] = mapped_column(String(512))  # relative to the home
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # signing happens by incremental updates: each signature bumps the revision (compare-and-swap)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # current bytes
    signed_fields: Mapped[str] = mapped_column(Text, default="", server_default="")  # "a,b,c"


class PendingSignatureRow(Base):
    """Phase one of a two-phase (external) signature, waiting for the raw signature or CMS."""

    __tablename__ = "pending_signatures"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_row: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    revision: Mapped[int] = mapped_column(Integer)  # the revision the hash was computed on
    base_sha256: Mapped[str] = mapped_column(String(64))
    field_name: Mapped[str] = mapped_column(String(128))
    signer_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[bytes] = mapped_column(LargeBinary)  # serialized signing state (see signing)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EventRow(Base):
    """Something that happened, attributable to someone (the audit trail's raw material)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(256))
    detail: Mapped[str] = mapped_column(Text, default="{}")
