"""Which of a student's records may be exported, each with the archived original it copies.

A record is exportable when its **current** version (the highest version of its document id) is
archived: state "archived" and an ingest with a completed package. An older version superseded by
a correction or a timestamp renewal is never exported as current; a current version still being
signed, locked or archived is left out (and listed, with the reason). Only the student's own
record books (học bạ) are exported: the class books hold classmates' data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from service.archiving import ARCHIVED_STATE
from service.archiving_ingest import record_payload
from service.archiving_report import aware
from service.context import Context
from service.db.archive_models import ArchiveIngestRow
from service.db.models import DatasetRow, DocumentRow
from service.errors import HsdtError


class ExportRefused(HsdtError):
    """Nothing exportable, or a document that must not be handed out; nothing was written."""


@dataclass(frozen=True)
class ArchivedOriginal:
    """A student's record version as archived: its bytes, payload and archive package."""

    document_id: str
    version: int
    record_type: str
    class_id: str
    school_code: str
    school_year: str
    pdf: bytes
    pdf_sha256: str
    content_hash: str
    payload_json: bytes  # the canonical JSON attached to the PDF
    index_key: str
    package_sha256: str
    archived_at: datetime

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.payload_json, parse_float=Decimal)
        return data


@dataclass(frozen=True)
class Excluded:
    document_id: str
    version: int
    reason: str  # Vietnamese


@dataclass(frozen=True)
class Selection:
    originals: tuple[ArchivedOriginal, ...]  # by school year, then document id
    excluded: tuple[Excluded, ...]


def student_records(
    ctx: Context, student_code: str, *, school_year: str | None = None
) -> Selection:
    """The student's current, archived record versions (optionally of one school year)."""
    with ctx.sessions() as session:
        query = (
            select(DocumentRow, DatasetRow.school_code, DatasetRow.school_year)
            .join(DatasetRow, DatasetRow.id == DocumentRow.dataset_id)
            .where(DocumentRow.student_code == student_code)
            .order_by(DocumentRow.document_id, DocumentRow.version)
        )
        rows = session.execute(query).all()
        if not rows:
            raise ExportRefused(
                f"Không có hồ sơ nào của học sinh mã {student_code} trong hệ thống.",
                hint="Kiểm tra lại mã học sinh (mã trong hồ sơ, ví dụ trên học bạ).",
            )
        current: dict[str, tuple[DocumentRow, str, str]] = {}
        for row, school, year in rows:
            current[row.document_id] = (row, school, year)  # ordered by version: last wins
        originals: list[ArchivedOriginal] = []
        excluded: list[Excluded] = []
        for row, school, year in current.values():
            if school_year is not None and year != school_year:
                continue
            ingest = session.scalar(
                select(ArchiveIngestRow).where(ArchiveIngestRow.document_row == row.id)
            )
            if row.state != ARCHIVED_STATE or ingest is None or ingest.index_key is None:
                excluded.append(
                    Excluded(
                        row.document_id,
                        row.version,
                        f"phiên bản hiện hành ({row.version}) chưa được lưu trữ "
                        f"(trạng thái «{row.state}»)",
                    )
                )
                continue
            pdf = row.pdf if row.pdf is not None else ctx.home.absolute(row.pdf_path).read_bytes()
            if hashlib.sha256(pdf).hexdigest() != ingest.pdf_sha256:
                raise ExportRefused(
                    f"{row.document_id} phiên bản {row.version}: tệp trong cơ sở dữ liệu khác "
                    "bản đã lưu trữ; không xuất.",
                    hint="Chạy «hsdt archive audit» và báo cho cán bộ phụ trách hồ sơ.",
                )
            originals.append(
                ArchivedOriginal(
                    document_id=row.document_id,
                    version=row.version,
                    record_type=row.record_type,
                    class_id=row.class_id,
                    school_code=school,
                    school_year=year,
                    pdf=pdf,
                    pdf_sha256=ingest.pdf_sha256,
                    content_hash=row.content_hash,
                    payload_json=record_payload(pdf, row.document_id, row.content_hash),
                    index_key=ingest.index_key,
                    package_sha256=ingest.bag_id or "",
                    archived_at=aware(ingest.archived_at),
                )
            )
    originals.sort(key=lambda o: (o.school_year, o.document_id))
    return Selection(tuple(originals), tuple(excluded))


def require_some(selection: Selection, student_code: str, school_year: str | None) -> None:
    if selection.originals:
        return
    which = f" năm học {school_year}" if school_year else ""
    reasons = "; ".join(f"{e.document_id}: {e.reason}" for e in selection.excluded)
    raise ExportRefused(
        f"Học sinh mã {student_code}{which} chưa có hồ sơ nào đã ký và lưu trữ để xuất"
        + (f" ({reasons})." if reasons else "."),
        hint="Chỉ xuất được hồ sơ đã ký đủ và đã lưu trữ («hsdt archive run»).",
    )
