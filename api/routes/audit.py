"""The hash-chained audit log: verification and entries (Điều 3.2: transparency)."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import islice
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.http.authz import guarded
from api.http.caller import CallerDep
from api.http.pagination import Page, PageDep
from api.http.problems import problem_responses
from api.http.state import StateDep
from api.routes import PREFIX
from service.audit_log import read_entries
from service.audit_verify import verify_audit_log
from service.authz import Action

router = APIRouter(
    prefix=PREFIX, tags=["Nhật ký kiểm toán"], responses=problem_responses(401, 403, 422, 500)
)


class FindingOut(BaseModel):
    code: str
    seq: int | None
    message: str


class AnchorOut(BaseModel):
    seq: int
    certified_hash: str | None
    tsa_time: datetime | None
    tsa: str | None
    archive_key: str | None
    in_database: bool
    archived: bool
    ok: bool


class HeadOut(BaseModel):
    seq: int
    entry_hash: str


class VerificationOut(BaseModel):
    ok: bool = Field(description="Chuỗi băm nguyên vẹn và mọi mốc neo hợp lệ.")
    entries: int
    head: HeadOut | None
    unanchored_entries: int = Field(description="Số mục sau mốc neo hợp lệ cuối cùng.")
    anchors: list[AnchorOut]
    findings: list[FindingOut]
    store: str | None
    demo_trust: bool
    seconds: float


class EntryOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
    prev_hash: str | None
    entry_hash: str | None


@router.get(
    "/audit/verification",
    summary="Kiểm tra nhật ký kiểm toán",
    description="Kiểm tra toàn bộ chuỗi băm của nhật ký và mọi mốc neo dấu thời gian (RFC 3161) "
    "đã lưu trữ. Không thay đổi gì.",
    response_model=VerificationOut,
    openapi_extra=guarded(Action.AUDIT_VERIFY),
)
def get_verification(caller: CallerDep, state: StateDep) -> VerificationOut:
    caller.require(Action.AUDIT_VERIFY, state.resources.installation())
    return VerificationOut.model_validate(verify_audit_log(state.ctx).to_json())


@router.get(
    "/audit/entries",
    summary="Các mục nhật ký kiểm toán",
    description="Các mục của nhật ký theo số thứ tự, cũ trước, kèm mã băm nối chuỗi; phân trang "
    "theo số thứ tự nên mục mới không làm xê dịch trang.",
    response_model=Page[EntryOut],
    openapi_extra=guarded(Action.AUDIT_VERIFY),
)
def get_entries(caller: CallerDep, state: StateDep, page: PageDep) -> Page[EntryOut]:
    caller.require(Action.AUDIT_VERIFY, state.resources.installation())
    with state.ctx.sessions() as s:
        entries = list(
            islice(
                read_entries(s, from_seq=page.position + 1, batch=page.limit + 1), page.limit + 1
            )
        )
    items = [
        EntryOut(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            subject=e.subject,
            detail=json.loads(e.detail or "{}"),
            prev_hash=e.prev_hash,
            entry_hash=e.entry_hash,
        )
        for e in entries[: page.limit]
    ]
    more = len(entries) > page.limit
    return page.page(items, items[-1].seq if more else None)
