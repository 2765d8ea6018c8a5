"""Exports to students (Điều 6.3, 9): bundles, extracts and the export register, per record's
student. Thin shells over ``service.exports`` (docs/exports.md).

NOT YET DISCOVERED (the leading underscore keeps it out of ``api.routes.routers()``): the API
matrix test requires every guarded route to be allowed to some role in its world, and
``export.issue`` is allowed only on locked or archived records, which that world does not have
yet. To enable: give ``tests/api`` a locked (or archived) học bạ and rename this module to
``exports.py``. ``tests/exports/test_api.py`` mounts it on a real app meanwhile.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.http.authz import guarded
from api.http.caller import CallerDep
from api.http.pagination import Page, PageDep
from api.http.problems import ApiProblem, problem_responses
from api.http.resources import RecordInfo
from api.http.server_keys import server_key
from api.http.state import StateDep
from api.routes import PREFIX
from api.routes.signing import require_bound
from service.authz import Action
from service.exports import (
    DELIVERIES,
    ExportRequest,
    IssuedExport,
    export_bundle,
    export_register,
    issue_extract,
)
from service.signing import SignerIdentity

router = APIRouter(prefix=PREFIX, tags=["Xuất hồ sơ"], responses=problem_responses(401, 422, 500))

_ZIP: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/zip": {}}, "description": "Gói hồ sơ (ZIP)."}
}


class ExportIn(BaseModel):
    recipient: str = Field(min_length=1, max_length=256, description="Người nhận bản xuất.")
    purpose: str = Field(min_length=1, max_length=2000, description="Mục đích (ghi vào sổ).")
    delivery: str = Field(default=DELIVERIES[0], description=f"Cách giao: {', '.join(DELIVERIES)}.")
    school_year: str | None = Field(default=None, description="Chỉ một năm học, ví dụ 2025-2026.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "recipient": "Nguyễn Thị Lan (mẹ học sinh)",
                    "purpose": "Hồ sơ chuyển trường",
                    "delivery": "tai-xuong",
                    "school_year": "{year}",
                }
            ]
        }
    }


class ExportItemOut(BaseModel):
    role: str = Field(description="copy: bản sao của bản gốc đã lưu trữ; source: bản gốc.")
    document_id: str
    version: int
    sha256: str
    archive: dict[str, str] = Field(description="Gói lưu trữ của bản gốc (index_key, SHA-256).")


class ExportOut(BaseModel):
    export_id: str
    kind: str = Field(description="bundle (gói hồ sơ) hoặc extract (trích lục).")
    school: str
    student: str
    school_year: str | None
    recipient: str
    purpose: str
    delivery: str
    issued_by: str
    issued_at: str
    authorized_by: str = Field(description="Quy tắc phân quyền đã cho phép.")
    file: dict[str, Any]
    extract_document_id: str | None
    items: list[ExportItemOut]


def _student_record(state: StateDep, document_id: str) -> RecordInfo:
    info = state.resources.record(document_id)
    if info.student_code is None:
        raise ApiProblem(
            404,
            "record.not_a_student_record",
            f"Hồ sơ {document_id} là sổ của cả lớp, không phải học bạ của một học sinh.",
            hint="Chọn học bạ của học sinh cần xuất hồ sơ.",
        )
    return info


def _request(info: RecordInfo, body: ExportIn) -> ExportRequest:
    assert info.student_code is not None
    return ExportRequest(
        info.student_code, body.recipient, body.purpose, body.school_year, body.delivery
    )


def _zip(issued: IssuedExport) -> Response:
    return Response(
        issued.data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{issued.export_id}.zip"',
            "X-Hsdt-Export-Id": issued.export_id,
        },
    )


@router.post(
    "/records/{document_id}/exports",
    summary="Cấp gói hồ sơ cho học sinh",
    description="Nhà trường cấp, theo đề nghị, gói hồ sơ đã ký và lưu trữ của học sinh có hồ sơ "
    "này (mọi năm học, hoặc một năm học): bản PDF/A đã ký, báo cáo xác minh lúc xuất, hướng dẫn "
    "xác minh và bảng kê SHA-256. Mỗi lần cấp được ghi vào sổ đăng ký bản xuất.",
    response_class=Response,
    responses={**_ZIP, **problem_responses(400, 403, 404)},
    openapi_extra=guarded(Action.EXPORT_ISSUE),
)
def post_export(document_id: str, body: ExportIn, caller: CallerDep, state: StateDep) -> Response:
    info = _student_record(state, document_id)
    caller.require(Action.EXPORT_ISSUE, info.resource())
    return _zip(export_bundle(caller.ctx, caller.principal, _request(info, body)))


@router.post(
    "/records/{document_id}/copies",
    summary="Tải gói hồ sơ của chính mình",
    description="Học sinh (hoặc cha mẹ học sinh) tự tải gói hồ sơ đã ký và lưu trữ của chính "
    "học sinh đó; lần tải cũng được ghi vào sổ đăng ký bản xuất.",
    response_class=Response,
    responses={**_ZIP, **problem_responses(400, 403, 404)},
    openapi_extra=guarded(Action.RECORD_VIEW),
)
def post_own_copy(document_id: str, body: ExportIn, caller: CallerDep, state: StateDep) -> Response:
    info = _student_record(state, document_id)
    caller.require(Action.RECORD_VIEW, info.resource())
    # the use case allows only the student's own grants (or export.issue) past this point
    return _zip(export_bundle(caller.ctx, caller.principal, _request(info, body)))


@router.post(
    "/records/{document_id}/extracts",
    summary="Cấp trích lục học bạ",
    description="Trích lục một năm học của học bạ thành văn bản mới, ký số bằng chứng thư số "
    "của nhà trường (tổ chức) và gắn dấu thời gian; tham chiếu bản gốc đã lưu trữ. Khoá của "
    "nhà trường do máy chủ giữ (chỉ ở chế độ thử) và phải được gắn với tài khoản người cấp.",
    response_class=Response,
    responses={**_ZIP, **problem_responses(400, 403, 404, 409)},
    openapi_extra=guarded(Action.EXPORT_ISSUE),
)
def post_extract(document_id: str, body: ExportIn, caller: CallerDep, state: StateDep) -> Response:
    info = _student_record(state, document_id)
    caller.require(Action.EXPORT_ISSUE, info.resource())
    school = info.place.school
    key = server_key(caller.ctx, school)
    require_bound(caller, key.certificate)
    # an extract is of this record (its school year), whatever year the body names
    assert info.student_code is not None
    request = ExportRequest(
        info.student_code,
        body.recipient,
        body.purpose,
        info.place.year,
        body.delivery,
        document_id=document_id,
    )
    seal = SignerIdentity(school, key.backend)
    return _zip(issue_extract(caller.ctx, caller.principal, request, seal))


@router.get(
    "/records/{document_id}/exports",
    summary="Sổ đăng ký bản xuất của học sinh",
    description="Các lần cấp gói hồ sơ và trích lục cho học sinh có hồ sơ này: ai cấp, khi "
    "nào, cấp gì (kèm gói lưu trữ của bản gốc), cho ai, vì sao.",
    response_model=Page[ExportOut],
    responses=problem_responses(403, 404),
    openapi_extra=guarded(Action.EXPORT_ISSUE),
)
def get_exports(
    document_id: str, caller: CallerDep, state: StateDep, page: PageDep
) -> Page[ExportOut]:
    info = _student_record(state, document_id)
    caller.require(Action.EXPORT_ISSUE, info.resource())
    assert info.student_code is not None
    entries = export_register(
        caller.ctx, student_code=info.student_code, school_code=info.place.school
    )
    return page.slice([ExportOut.model_validate(e.to_json()) for e in entries])
