"""The permanent archive: what it holds (Điều 14)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.http.authz import guarded
from api.http.caller import CallerDep
from api.http.problems import problem_responses
from api.http.state import StateDep
from api.routes import PREFIX
from service.archiving_status import archive_status
from service.authz import Action

router = APIRouter(prefix=PREFIX, tags=["Lưu trữ"], responses=problem_responses(401, 403, 422, 500))


class LastAuditOut(BaseModel):
    at: datetime
    ok: bool
    selection: str
    packages: int
    counts: dict[str, int]
    repaired: int


class ArchiveStatusOut(BaseModel):
    primary: str = Field(description="Kho chính.")
    replica: str | None = Field(description="Bản sao thứ hai.")
    retention_years: int
    legal_hold: bool
    documents_by_state: dict[str, int] = Field(description="Phiên bản mới nhất, theo trạng thái.")
    packages: int
    in_progress: int
    awaiting_replication: int
    never_audited: int
    last_audit: LastAuditOut | None


@router.get(
    "/archive/status",
    summary="Tình trạng kho lưu trữ",
    description="Số hồ sơ theo trạng thái, số gói đã lưu trữ, đang chờ sao chép, chưa kiểm tra "
    "toàn vẹn, và lần kiểm tra gần nhất (chỉ đọc cơ sở dữ liệu, không truy cập kho).",
    response_model=ArchiveStatusOut,
    openapi_extra=guarded(Action.ARCHIVE_AUDIT),
)
def get_archive_status(caller: CallerDep, state: StateDep) -> ArchiveStatusOut:
    caller.require(Action.ARCHIVE_AUDIT, state.resources.installation())
    return ArchiveStatusOut.model_validate(archive_status(state.ctx).to_json())
