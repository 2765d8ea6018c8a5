"""The lifecycle: confirming a class's data, and lock windows (Điều 6.3, 7.5, 13.1.a).

The use cases (``service.lifecycle``, ``service.locks``) check the permission themselves too;
the routes check first through the caller, on the same resource, so every refusal is the API's
one problem response and the endpoint × role tests see the decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.http.authz import Mode, guarded
from api.http.caller import CallerDep
from api.http.pagination import Page, PageDep
from api.http.problems import ApiProblem, problem_responses
from api.http.state import StateDep
from api.routes import PREFIX
from service.authz import Action, RecordState, ResourceRef
from service.db.lifecycle_models import LockWindowRow
from service.lifecycle import confirm_class
from service.locks import LockScope, LockTerm, LockWindow, close_lock, list_locks, open_lock

router = APIRouter(
    prefix=PREFIX, tags=["Xác nhận và khoá hồ sơ"], responses=problem_responses(401, 422, 500)
)


class ConfirmIn(BaseModel):
    school: str = Field(description="Mã trường.")
    year: str = Field(description="Năm học, ví dụ 2025-2026.")

    model_config = {"json_schema_extra": {"examples": [{"school": "{school}", "year": "{year}"}]}}


class ConfirmationOut(BaseModel):
    id: int
    school: str
    year: str
    class_id: str
    dataset_id: int
    dataset_sha256: str
    class_sha256: str = Field(description="Dấu vân tay dữ liệu của lớp đã được xác nhận.")
    confirmed_by: str
    confirmed_at: datetime
    created: bool = Field(description="false: đúng dữ liệu này đã được xác nhận trước đó.")


class LockIn(BaseModel):
    province: str
    district: str | None = None
    school: str | None = None
    year: str
    term: LockTerm = Field(description="HK1, HK2 hoặc year (cả năm).")
    reason: str = Field(min_length=1, max_length=500, description="Lí do khoá (ghi vào nhật ký).")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "province": "{province}",
                    "district": "{district}",
                    "school": "{school}",
                    "year": "{year}",
                    "term": "HK1",
                    "reason": "Khoá sổ cuối học kì I",
                }
            ]
        }
    }


class CloseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Lí do mở khoá.")

    model_config = {"json_schema_extra": {"examples": [{"reason": "Kết thúc đợt kiểm tra"}]}}


class LockOut(BaseModel):
    id: int
    province: str
    district: str | None
    school: str | None
    scope: str = Field(description="Phạm vi, bằng lời.")
    year: str
    term: str
    reason: str
    opened_by: str
    opened_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    close_reason: str | None
    active: bool
    documents: int = Field(description="Số hồ sơ đợt khoá này đã khoá (hoặc trả lại khi đóng).")


def lock_out(w: LockWindow) -> LockOut:
    return LockOut(
        id=w.id,
        province=w.scope.province,
        district=w.scope.district,
        school=w.scope.school,
        scope=w.scope.describe(),
        year=w.year,
        term=w.term.value,
        reason=w.reason,
        opened_by=w.opened_by,
        opened_at=w.opened_at,
        closed_by=w.closed_by,
        closed_at=w.closed_at,
        close_reason=w.close_reason,
        active=w.active,
        documents=w.documents,
    )


def _window_ref(scope: LockScope, year: str) -> ResourceRef:
    return ResourceRef(scope.province, scope.district, scope.school, year=year)


@router.post(
    "/classes/{class_id}/confirmation",
    summary="Xác nhận dữ liệu của lớp",
    description="Giáo viên chủ nhiệm (hoặc giáo viên bộ môn với môn của mình) xác nhận dữ liệu "
    "hiện lưu của lớp; chỉ dữ liệu đã xác nhận mới được kết xuất và ký. Dữ liệu đổi sau đó thì "
    "lớp trở lại nháp.",
    response_model=ConfirmationOut,
    responses=problem_responses(403, 404),
    openapi_extra=guarded(Action.DATASET_CONFIRM),
)
def post_confirmation(
    class_id: str, body: ConfirmIn, caller: CallerDep, state: StateDep
) -> ConfirmationOut:
    place = state.resources.school_place(body.school, body.year)
    if place is None:
        raise ApiProblem(
            404,
            "dataset.not_found",
            f"Chưa có dữ liệu năm học {body.year} của trường {body.school}.",
            hint="Nhập dữ liệu của trường trước (POST /api/v1/imports).",
        )
    resource = ResourceRef(
        place.province,
        place.district,
        place.school,
        year=body.year,
        class_id=class_id,
        state=RecordState.DRAFT,  # as the use case decides: confirming again changes nothing
    )
    caller.require(Action.DATASET_CONFIRM, resource)
    done = confirm_class(caller.ctx, caller.principal, class_id, year=body.year, school=body.school)
    return ConfirmationOut.model_validate(done, from_attributes=True)


@router.get(
    "/locks",
    summary="Các đợt khoá hồ sơ",
    description="Các đợt khoá (mới trước) trong phạm vi bạn được xem.",
    response_model=Page[LockOut],
    openapi_extra=guarded(Action.RECORD_VIEW, Mode.FILTER),
)
def get_locks(
    caller: CallerDep,
    state: StateDep,
    page: PageDep,
    active_only: Annotated[bool, Query(description="Chỉ các đợt đang hiệu lực.")] = False,
) -> Page[LockOut]:
    windows = list_locks(state.ctx, active_only=active_only)
    visible = [
        lock_out(w)
        for w in windows
        if caller.allows(Action.RECORD_VIEW, _window_ref(w.scope, w.year))
    ]
    return page.slice(visible)


@router.post(
    "/locks",
    summary="Mở đợt khoá hồ sơ",
    description="Khoá mọi hồ sơ đã ký đủ trong phạm vi (tỉnh, Phòng hoặc trường) và năm học, học "
    "kì; hồ sơ chưa ký đủ bị đóng băng. Sửa hồ sơ đã khoá phải qua đề nghị đính chính.",
    response_model=LockOut,
    status_code=201,
    responses=problem_responses(403),
    openapi_extra=guarded(Action.RECORD_LOCK),
)
def post_lock(body: LockIn, caller: CallerDep) -> LockOut:
    try:
        scope = LockScope(body.province, body.district, body.school)
    except ValueError:
        raise ApiProblem(
            422, "lock.scope_invalid", "Phạm vi trường phải kèm mã Phòng GD&ĐT của trường."
        ) from None
    caller.require(Action.RECORD_LOCK, _window_ref(scope, body.year))
    window = open_lock(
        caller.ctx, caller.principal, scope, year=body.year, term=body.term, reason=body.reason
    )
    return lock_out(window)


@router.post(
    "/locks/{window_id}/close",
    summary="Đóng đợt khoá (mở khoá)",
    description="Trả các hồ sơ đợt này đã khoá về trạng thái đã ký đủ (trừ hồ sơ đã lưu trữ hoặc "
    "còn thuộc một đợt khoá khác).",
    response_model=LockOut,
    responses=problem_responses(403, 404, 409),
    openapi_extra=guarded(Action.RECORD_UNLOCK),
)
def post_close_lock(window_id: int, body: CloseIn, caller: CallerDep, state: StateDep) -> LockOut:
    with state.ctx.sessions() as s:
        row = s.get(LockWindowRow, window_id)
        if row is None:
            raise ApiProblem(404, "lock.not_found", f"Không có đợt khoá số {window_id}.")
        scope = LockScope(row.province, row.district, row.school)
        year = row.school_year
    caller.require(Action.RECORD_UNLOCK, _window_ref(scope, year))
    return lock_out(close_lock(caller.ctx, caller.principal, window_id, reason=body.reason))
