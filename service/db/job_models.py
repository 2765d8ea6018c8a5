"""Tables of durable bulk jobs (migration 0009): a job, and one task per document (or file).

The database is the truth about every job: the broker (when there is one) only carries task ids,
so a lost message costs nothing that ``resume`` cannot recover.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db.models import Base


class JobRow(Base):
    """A bulk job: what, over which school/year/classes, asked by whom, and how far it is."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # import | render | sign | archive
    school_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    school_year: Mapped[str | None] = mapped_column(String(16), nullable=True)
    class_ids: Mapped[str] = mapped_column(Text, default="")  # "8A1,8A2"; empty: whole school
    parameters: Mapped[str] = mapped_column(Text, default="{}")  # JSON, never a secret
    requested_by: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed | cancelled
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)  # counts as of the last finish
    failed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class JobTaskRow(Base):
    """One document (or imported file) of a job; claimed by one worker at a time, under a lease."""

    __tablename__ = "job_tasks"
    __table_args__ = (UniqueConstraint("job_id", "subject", name="uq_job_tasks_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # order within the job (imports run in this order)
    subject: Mapped[str] = mapped_column(String(512))  # document id, or the file inside the home
    state: Mapped[str] = mapped_column(String(16), index=True)  # pending|running|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(Text, default="")  # Vietnamese: what was done
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # Vietnamese, when failed
    claim: Mapped[str | None] = mapped_column(String(32), nullable=True)  # token of the holder
    worker: Mapped[str | None] = mapped_column(String(128), nullable=True)  # host:pid
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
