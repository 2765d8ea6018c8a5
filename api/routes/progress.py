"""Progress reports (Điều 11.3): entered, confirmed, signed and archived per school, class,
teacher or subject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.http.authz import guarded
from api.http.caller import CallerDep
from api.http.pagination import Page, PageDep
from api.http.problems import problem_responses
from api.http.state import StateDep
from api.routes import PREFIX
from records.progress import Term
from service.authz import Action, ResourceRef
from service.progress import GroupBy, progress_report

router = APIRouter(prefix=PREFIX, tags=["Tiến độ"], responses=problem_responses(401, 422, 500))


class ShareOut(BaseModel):
    done: int
    total: int
    percent: int | None = Field(description="Làm tròn xuống; null khi không có gì phải làm.")


class ProgressRowOut(BaseModel):
    key: str = Field(description="Mã trường, mã lớp, mã giáo viên hoặc mã môn.")
    label: str
    entered: ShareOut = Field(description="Điểm/nhận xét đã nhập.")
    confirmed: ShareOut = Field(description="Hồ sơ đã được GVCN xác nhận (ký).")
    signed: ShareOut = Field(description="Hồ sơ đã ký đủ.")
    archived: ShareOut = Field(description="Hồ sơ đã lưu trữ.")
    signatures: ShareOut = Field(description="Ô ký đã ký.")


class ProgressOut(BaseModel):
    dataset_id: int
    school: str
    school_year: str
    term: str
    by: str
    rows: Page[ProgressRowOut]


@router.get(
    "/progress",
    summary="Tiến độ cập nhật và ký hồ sơ",
    description="Báo cáo tiến độ của một bộ dữ liệu (mặc định: mới nhất) theo trường, lớp, giáo "
    "viên hoặc môn. Giáo viên chủ nhiệm xem lớp của mình (class_id bắt buộc với họ).",
    response_model=ProgressOut,
    responses=problem_responses(403, 404),
    openapi_extra=guarded(Action.PROGRESS_VIEW),
)
def get_progress(
    caller: CallerDep,
    state: StateDep,
    page: PageDep,
    dataset_id: Annotated[int | None, Query(description="Số bộ dữ liệu.")] = None,
    by: Annotated[GroupBy, Query(description="Nhóm theo.")] = GroupBy.CLASS,
    term: Annotated[Term, Query(description="Học kỳ / cả năm.")] = Term.YEAR,
    class_id: Annotated[str | None, Query(description="Chỉ một lớp.")] = None,
    teacher_id: Annotated[str | None, Query(description="Chỉ một giáo viên.")] = None,
) -> ProgressOut:
    ds_id = dataset_id if dataset_id is not None else state.resources.newest_dataset()
    place = state.resources.place(ds_id)
    resource = ResourceRef(
        place.province, place.district, place.school, year=place.year, class_id=class_id
    )
    caller.require(Action.PROGRESS_VIEW, resource)
    report = progress_report(
        state.ctx, dataset_id=ds_id, term=term, by=by, class_id=class_id, teacher_id=teacher_id
    )
    rows = [ProgressRowOut.model_validate(r.to_json()) for r in report.rows]
    return ProgressOut(
        dataset_id=report.dataset_id,
        school=report.school,
        school_year=report.school_year,
        term=report.term.value,
        by=report.by.value,
        rows=page.slice(rows),
    )
