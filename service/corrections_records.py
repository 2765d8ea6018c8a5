"""What the correction workflow reads about a record: its newest version, its state, its scope.

The record's lifecycle state comes from ``service.lifecycle.record_state`` (locks, confirmations);
this module only turns a document into the ``ResourceRef`` the authorization needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.canonical import dataset_from_json
from records.model import Dataset
from service import lifecycle
from service.authz import CorrectionRef, RecordState, ResourceRef
from service.db.models import DatasetRow, DocumentRow
from service.errors import HsdtError

__all__ = ["RecordInfo", "newest_version", "read_record", "record_state", "resource_for"]


@dataclass(frozen=True)
class RecordInfo:
    row_id: int
    document_id: str
    version: int
    dataset_id: int
    class_id: str
    student_code: str | None
    state: RecordState
    dataset: Dataset


def record_state(session: Session, row: DocumentRow, now: datetime) -> RecordState:
    """The lifecycle's verdict (stored state, lock windows) on this version."""
    return lifecycle.record_state(session, row, now=now)


def newest_version(session: Session, document_id: str) -> DocumentRow:
    row = session.scalars(
        select(DocumentRow)
        .where(DocumentRow.document_id == document_id)
        .order_by(DocumentRow.version.desc())
    ).first()
    if row is None:
        raise HsdtError(
            f"Không có hồ sơ {document_id} trong hệ thống.",
            hint="Kiểm tra mã hồ sơ (tên tệp PDF, không có đuôi .pdf).",
        )
    return row


def read_record(session: Session, document_id: str, now: datetime) -> RecordInfo:
    row = newest_version(session, document_id)
    canonical = session.scalar(select(DatasetRow.canonical).where(DatasetRow.id == row.dataset_id))
    assert canonical is not None  # foreign key
    return RecordInfo(
        row.id,
        row.document_id,
        row.version,
        row.dataset_id,
        row.class_id,
        row.student_code,
        record_state(session, row, now),
        dataset_from_json(canonical),
    )


def resource_for(
    record: RecordInfo, subject: str | None, correction: CorrectionRef | None
) -> ResourceRef:
    ds = record.dataset
    return ResourceRef(
        ds.province.code,
        ds.district.code,
        ds.school.code,
        year=ds.school_year,
        class_id=record.class_id,
        subject=subject,
        student=record.student_code,
        state=record.state,
        correction=correction,
    )
