"""Records: list, detail, the current PDF, and the history (versions and events)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.http.authz import Mode, guarded
from api.http.caller import CallerDep
from api.http.pagination import Page, PageDep
from api.http.problems import problem_responses
from api.http.resources import RecordInfo
from api.http.state import StateDep
from api.routes import PREFIX
from records.documents import RecordType
from service.authz import Action
from service.db.models import DocumentRow, EventRow

router = APIRouter(prefix=PREFIX, tags=["Hồ sơ"], responses=problem_responses(401, 422, 500))


class RecordSummary(BaseModel):
    document_id: str = Field(description="Mã hồ sơ (tên tệp PDF, không có đuôi).")
    record_type: str = Field(description="Loại hồ sơ: hoc-ba-trung-hoc, so-theo-doi, …")
    school: str
    school_year: str
    class_id: str
    student_code: str | None
    point: str | None = Field(description="Thời điểm đánh giá (hồ sơ tiểu học theo kỳ).")
    version: int = Field(description="Phiên bản mới nhất (mỗi lần dữ liệu đổi là một phiên bản).")
    revision: int = Field(description="Số lần đã ghi chữ ký vào phiên bản này.")
    state: str = Field(
        description="Trạng thái: draft, confirmed, signing, signed, locked, archived."
    )
    signed_fields: list[str] = Field(description="Các ô đã ký, theo thứ tự ký.")


class RecordDetail(RecordSummary):
    pages: int
    created_at: datetime
    pdf: str = Field(description="Đường dẫn tải bản PDF hiện hành.")
    history: str = Field(description="Đường dẫn lịch sử của hồ sơ.")


class VersionOut(BaseModel):
    version: int
    state: str = Field(description="Trạng thái lưu của phiên bản (rendered, signing, signed…).")
    revision: int
    created_at: datetime
    pdf_sha256: str = Field(description="SHA-256 của bản kết xuất (trước khi ký).")


class EventOut(BaseModel):
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


class HistoryOut(BaseModel):
    document_id: str
    versions: list[VersionOut]
    events: Page[EventOut]


def summary(info: RecordInfo) -> RecordSummary:
    return RecordSummary(
        document_id=info.document_id,
        record_type=info.record_type,
        school=info.place.school,
        school_year=info.place.year,
        class_id=info.class_id,
        student_code=info.student_code,
        point=info.point,
        version=info.version,
        revision=info.revision,
        state=str(info.state),
        signed_fields=list(info.signed_fields),
    )


@router.get(
    "/records",
    summary="Danh sách hồ sơ",
    description="Phiên bản mới nhất của các hồ sơ mà tài khoản được xem (chỉ những hồ sơ trong "
    "phạm vi được giao), lọc theo trường, năm học, lớp, loại hồ sơ, học sinh.",
    response_model=Page[RecordSummary],
    openapi_extra=guarded(Action.RECORD_VIEW, Mode.FILTER),
)
def list_records(
    caller: CallerDep,
    state: StateDep,
    page: PageDep,
    school: Annotated[str | None, Query(description="Mã trường.")] = None,
    year: Annotated[str | None, Query(description="Năm học, ví dụ 2025-2026.")] = None,
    class_id: Annotated[str | None, Query(description="Mã lớp, ví dụ 8A.")] = None,
    record_type: Annotated[RecordType | None, Query(description="Loại hồ sơ.")] = None,
    student: Annotated[str | None, Query(description="Mã học sinh.")] = None,
) -> Page[RecordSummary]:
    found = state.resources.records(
        school=school,
        year=year,
        class_id=class_id,
        record_type=record_type.value if record_type else None,
        student=student,
    )
    visible = [summary(i) for i in found if caller.allows(Action.RECORD_VIEW, i.resource())]
    return page.slice(visible)


def viewable(caller: CallerDep, state: StateDep, document_id: str) -> RecordInfo:
    info = state.resources.record(document_id)
    caller.require(Action.RECORD_VIEW, info.resource())
    return info


@router.get(
    "/records/{document_id}",
    summary="Chi tiết hồ sơ",
    description="Trạng thái, phiên bản, các ô đã ký của một hồ sơ.",
    response_model=RecordDetail,
    responses=problem_responses(403, 404),
    openapi_extra=guarded(Action.RECORD_VIEW),
)
def get_record(document_id: str, caller: CallerDep, state: StateDep) -> RecordDetail:
    info = viewable(caller, state, document_id)
    base = f"{PREFIX}/records/{info.document_id}"
    return RecordDetail(
        **summary(info).model_dump(),
        pages=info.pages,
        created_at=info.created_at,
        pdf=f"{base}/pdf",
        history=f"{base}/history",
    )


@router.get(
    "/records/{document_id}/pdf",
    summary="Tải bản PDF hiện hành",
    description="Bản PDF/A hiện hành của hồ sơ, kèm mọi chữ ký đã ghi.",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "Tệp PDF."},
        **problem_responses(403, 404),
    },
    openapi_extra=guarded(Action.RECORD_VIEW),
)
def get_record_pdf(document_id: str, caller: CallerDep, state: StateDep) -> Response:
    info = viewable(caller, state, document_id)
    with state.ctx.sessions() as s:
        pdf = s.scalar(select(DocumentRow.pdf).where(DocumentRow.id == info.row_id))
    data = bytes(pdf) if pdf is not None else state.ctx.home.absolute(info.pdf_path).read_bytes()
    name = (
        f"{info.document_id}.pdf"
        if info.version == 1
        else f"{info.document_id}.v{info.version}.pdf"
    )
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Hsdt-Revision": str(info.revision),
        },
    )


@router.get(
    "/records/{document_id}/history",
    summary="Lịch sử hồ sơ",
    description="Mọi phiên bản của hồ sơ và các sự kiện ghi trong nhật ký (kết xuất, ký, lưu "
    "trữ…), cũ trước; sự kiện được phân trang.",
    response_model=HistoryOut,
    responses=problem_responses(403, 404),
    openapi_extra=guarded(Action.RECORD_VIEW),
)
def get_record_history(
    document_id: str, caller: CallerDep, state: StateDep, page: PageDep
) -> HistoryOut:
    info = viewable(caller, state, document_id)
    with state.ctx.sessions() as s:
        versions = [
            VersionOut(
                version=v.version,
                state=v.state,
                revision=v.revision,
                created_at=v.created_at,
                pdf_sha256=v.pdf_sha256,
            )
            for v in s.execute(
                select(
                    DocumentRow.version,
                    DocumentRow.state,
                    DocumentRow.revision,
                    DocumentRow.created_at,
                    DocumentRow.pdf_sha256,
                )
                .where(DocumentRow.document_id == info.document_id)
                .order_by(DocumentRow.version)
            )
        ]
        rows = s.execute(
            select(EventRow.id, EventRow.at, EventRow.actor, EventRow.action, EventRow.detail)
            .where(EventRow.subject == info.document_id, EventRow.id > page.position)
            .order_by(EventRow.id)
            .limit(page.limit + 1)
        ).all()
    events = [
        EventOut(at=r.at, actor=r.actor, action=r.action, detail=_detail(r.detail))
        for r in rows[: page.limit]
    ]
    more = len(rows) > page.limit
    return HistoryOut(
        document_id=info.document_id,
        versions=versions,
        events=page.page(events, rows[page.limit - 1].id if more else None),
    )


def _detail(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except ValueError:  # shown as stored: the audit verification reports damaged entries
        return {"raw": text}
    return data if isinstance(data, dict) else {"value": data}
