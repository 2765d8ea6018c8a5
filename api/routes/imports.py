"""Importing a school year (JSON), a class workbook (XLSX) or a subject score sheet (CSV)."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field

from api.http.authz import guarded
from api.http.caller import CallerDep
from api.http.problems import ApiProblem, problem_responses
from api.http.resources import ResourceCatalog
from api.http.state import StateDep
from api.routes import PREFIX
from records.check import CheckReport, check_file
from records.importers.result import FileKind
from service.authz import Action, RecordState, ResourceRef
from service.importing import RejectedImport, import_file

router = APIRouter(prefix=PREFIX, tags=["Nhập dữ liệu"])

SUFFIXES = (".json", ".xlsx", ".csv")
_ORDER = list(RecordState)


class ImportOut(BaseModel):
    stored: bool = Field(description="Đã lưu vào hệ thống (false: chỉ kiểm tra, dry_run).")
    created: bool = Field(description="false khi đúng dữ liệu này đã được nhập trước đó.")
    dataset_id: int | None
    sha256: str | None
    school: str
    school_year: str
    class_id: str | None = Field(description="Lớp của sổ lớp hoặc bảng điểm (null: cả trường).")
    warnings: list[dict[str, Any]] = Field(description="Các cảnh báo (vẫn được lưu cùng dữ liệu).")


@router.post(
    "/imports",
    summary="Nhập dữ liệu đánh giá",
    description="Tải lên tệp JSON (cả năm học của trường), XLSX (sổ lớp) hoặc CSV (bảng điểm một "
    "môn). Tệp được kiểm tra trước; có lỗi thì không lưu gì và trả về 422 với danh sách "
    "«findings». Với dry_run=true chỉ kiểm tra. Giáo viên chỉ nhập được lớp, môn được giao; hồ sơ "
    "đã khoá thì không nhập lại được (dùng đề nghị đính chính).",
    response_model=ImportOut,
    responses=problem_responses(401, 403, 409, 413, 422),
    openapi_extra=guarded(Action.DATASET_IMPORT),
)
def post_import(
    caller: CallerDep,
    state: StateDep,
    file: Annotated[UploadFile, File(description="Tệp .json, .xlsx hoặc .csv.")],
    dry_run: Annotated[bool, Form(description="Chỉ kiểm tra, không lưu.")] = False,
) -> ImportOut:
    name = PurePath(file.filename or "").name
    if not name.lower().endswith(SUFFIXES):
        raise ApiProblem(
            415,
            "import.unsupported_file",
            f"Tệp «{name or '(không tên)'}» không phải .json, .xlsx hay .csv.",
            hint="Dùng mẫu từ «hsdt template» hoặc tệp JSON theo docs/import-format.md.",
        )
    with tempfile.TemporaryDirectory(prefix="hsdt-upload-") as tmp:
        path = Path(tmp) / name  # the importer reads the kind from the suffix, the trail the name
        with path.open("wb") as out:
            while chunk := file.file.read(1024 * 1024):
                out.write(chunk)
        report = check_file(path)
        if report.dataset is None and report.sheet is None:
            raise RejectedImport(path, report)  # unreadable: only the sender's own file is shown
        resource, class_id = _resource(state.resources, report)
        caller.require(Action.DATASET_IMPORT, resource)
        school, year = resource.school or "", resource.year or ""
        if dry_run:
            if not report.ok:
                raise RejectedImport(path, report)
            warnings = [f.to_json() for f in report.warnings]
            return ImportOut(
                stored=False,
                created=False,
                dataset_id=None,
                sha256=None,
                school=school,
                school_year=year,
                class_id=class_id,
                warnings=warnings,
            )
        outcome = import_file(caller.ctx, path)
    return ImportOut(
        stored=True,
        created=outcome.created,
        dataset_id=outcome.dataset_id,
        sha256=outcome.sha256,
        school=school,
        school_year=year,
        class_id=class_id,
        warnings=[f.to_json() for f in outcome.warnings],
    )


def _resource(resources: ResourceCatalog, report: CheckReport) -> tuple[ResourceRef, str | None]:
    """Where the file writes: the whole school (JSON), one class (XLSX of one class) or one
    subject of one class (CSV); in the most advanced state of the records already there."""
    subject: str | None = None
    class_id: str | None
    if report.sheet is not None:
        sheet = report.sheet
        place = resources.school_place(sheet.school_code, sheet.school_year)
        if place is None:
            raise ApiProblem(
                409,
                "import.no_base_year",
                f"Chưa có dữ liệu năm học {sheet.school_year} của trường {sheet.school_code}.",
                hint="Nhập sổ lớp (.xlsx) hoặc tệp JSON của trường trước, rồi nhập bảng điểm "
                "từng môn (.csv).",
            )
        province, district, school = place.province, place.district, place.school
        year, class_id, subject = sheet.school_year, sheet.class_id, sheet.subject
    else:
        ds = report.dataset
        assert ds is not None
        province, district, school = ds.province.code, ds.district.code, ds.school.code
        year = ds.school_year
        one_class = report.kind is FileKind.XLSX and len(ds.classes) == 1
        class_id = ds.classes[0].id if one_class else None
    states = [r.state for r in resources.records(school=school, year=year, class_id=class_id)]
    current = max(states, key=_ORDER.index) if states else None
    resource = ResourceRef(
        province,
        district,
        school,
        year=year,
        class_id=class_id,
        subject=subject,
        state=current,
    )
    return resource, class_id
