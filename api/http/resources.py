"""What a request touches, as ``service.authz.ResourceRef``: the record's real place and state.

A stored record's province, district, school and year come from the dataset it was rendered from
(parsed once per dataset and cached); its class and student from its row; its lifecycle state
from ``service.lifecycle.record_state`` (the one place that knows lock windows). The audit log
and the archive belong
to the whole installation: their resource is the narrowest tier covering every school in the home
(:meth:`ResourceCatalog.installation`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased, defer

from api.http.problems import ApiProblem
from service.authz import RecordState, ResourceRef
from service.context import Context
from service.db.models import DatasetRow, DocumentRow
from service.lifecycle import record_state


@dataclass(frozen=True)
class SchoolPlace:
    province: str
    district: str
    school: str
    year: str


@dataclass(frozen=True)
class RecordInfo:
    row_id: int
    document_id: str
    version: int
    revision: int
    dataset_id: int
    record_type: str
    class_id: str
    student_code: str | None
    point: str | None
    stored_state: str
    pages: int
    created_at: datetime
    signed_fields: tuple[str, ...]
    pdf_path: str
    state: RecordState  # service.lifecycle.record_state: lock windows included
    place: SchoolPlace

    def resource(self, **extra: object) -> ResourceRef:
        p = self.place
        return ResourceRef(
            p.province,
            p.district,
            p.school,
            year=p.year,
            class_id=self.class_id,
            student=self.student_code,
            state=self.state,
            **extra,  # type: ignore[arg-type]
        )


def _newest() -> object:
    newer = aliased(DocumentRow)
    return ~(
        select(newer.id)
        .where(newer.document_id == DocumentRow.document_id, newer.version > DocumentRow.version)
        .exists()
    )


class ResourceCatalog:
    """Places of datasets (cached: a dataset never changes) and records (read fresh)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._places: dict[int, SchoolPlace] = {}
        self._lock = threading.Lock()

    def place(self, dataset_id: int) -> SchoolPlace:
        with self._lock:
            known = self._places.get(dataset_id)
        if known is not None:
            return known
        with self._ctx.sessions() as s:
            canonical = s.scalar(select(DatasetRow.canonical).where(DatasetRow.id == dataset_id))
        if canonical is None:
            raise ApiProblem(404, "dataset.not_found", f"Không có bộ dữ liệu số {dataset_id}.")
        data = json.loads(canonical)
        place = SchoolPlace(
            str(data["province"]["code"]),
            str(data["district"]["code"]),
            str(data["school"]["code"]),
            str(data["school_year"]),
        )
        with self._lock:
            self._places[dataset_id] = place
        return place

    def newest_dataset(self) -> int:
        with self._ctx.sessions() as s:
            found = s.scalar(select(DatasetRow.id).order_by(DatasetRow.id.desc()).limit(1))
        if found is None:
            raise ApiProblem(
                404,
                "dataset.not_found",
                "Chưa có dữ liệu nào trong hệ thống.",
                hint="Nhập dữ liệu bằng POST /api/v1/imports.",
            )
        return int(found)

    def places(self) -> list[tuple[int, SchoolPlace]]:
        """Every stored dataset's place, oldest first."""
        with self._ctx.sessions() as s:
            ids = list(s.scalars(select(DatasetRow.id).order_by(DatasetRow.id)))
        return [(i, self.place(i)) for i in ids]

    def school_place(self, school: str, year: str | None = None) -> SchoolPlace | None:
        """The newest dataset's place for a school (and year)."""
        query = select(DatasetRow.id).where(DatasetRow.school_code == school)
        if year is not None:
            query = query.where(DatasetRow.school_year == year)
        with self._ctx.sessions() as s:
            dataset_id = s.scalars(query.order_by(DatasetRow.id.desc())).first()
        return None if dataset_id is None else self.place(dataset_id)

    def record(self, document_id: str) -> RecordInfo:
        """The newest version of a record; 404 problem when there is none."""
        found = self.records(document_ids=(document_id,))
        if not found:
            raise ApiProblem(
                404,
                "record.not_found",
                f"Không có hồ sơ {document_id} trong hệ thống.",
                hint="Kiểm tra mã hồ sơ (GET /api/v1/records liệt kê các hồ sơ bạn được xem).",
            )
        return found[0]

    def records(
        self,
        *,
        document_ids: tuple[str, ...] = (),
        school: str | None = None,
        year: str | None = None,
        class_id: str | None = None,
        record_type: str | None = None,
        student: str | None = None,
    ) -> list[RecordInfo]:
        """Newest versions matching every given filter, in a stable order."""
        query = (
            select(DocumentRow, DatasetRow.school_code, DatasetRow.school_year)
            .join(DatasetRow, DatasetRow.id == DocumentRow.dataset_id)
            .where(_newest())  # type: ignore[arg-type]
            .options(defer(DocumentRow.pdf))  # lists must not load every PDF
            .order_by(
                DatasetRow.school_code,
                DocumentRow.class_id,
                DocumentRow.record_type,
                DocumentRow.document_id,
            )
        )
        if document_ids:
            query = query.where(DocumentRow.document_id.in_(list(document_ids)))
        if school is not None:
            query = query.where(DatasetRow.school_code == school)
        if year is not None:
            query = query.where(DatasetRow.school_year == year)
        if class_id is not None:
            query = query.where(DocumentRow.class_id == class_id)
        if record_type is not None:
            query = query.where(DocumentRow.record_type == record_type)
        if student is not None:
            query = query.where(DocumentRow.student_code == student)
        now = self._ctx.clock.now()
        with self._ctx.sessions() as s:
            rows = [(r[0], r[1], r[2]) for r in s.execute(query)]
            infos = [
                RecordInfo(
                    row_id=d.id,
                    document_id=d.document_id,
                    version=d.version,
                    revision=d.revision,
                    dataset_id=d.dataset_id,
                    record_type=d.record_type,
                    class_id=d.class_id,
                    student_code=d.student_code,
                    point=d.point,
                    stored_state=d.state,
                    pages=d.pages,
                    created_at=d.created_at,
                    signed_fields=tuple(f for f in (d.signed_fields or "").split(",") if f),
                    pdf_path=d.pdf_path,
                    state=record_state(s, d, now=now),
                    place=SchoolPlace("", "", school_code, school_year),
                )
                for d, school_code, school_year in rows
            ]
        return [_placed(i, self.place(i.dataset_id)) for i in infos]

    def installation(self) -> ResourceRef:
        """The audit log's and the archive's resource: the narrowest tier over every school."""
        places = {p for _, p in self.places()}
        if not places:
            raise ApiProblem(
                409,
                "installation.empty",
                "Hệ thống chưa có dữ liệu của trường nào: chưa xác định được phạm vi.",
                hint="Nhập dữ liệu của trường trước (POST /api/v1/imports).",
            )
        provinces = {p.province for p in places}
        districts = {(p.province, p.district) for p in places}
        schools = {(p.province, p.district, p.school) for p in places}
        if len(schools) == 1:
            province, district, school = next(iter(schools))
            return ResourceRef(province, district, school)
        if len(districts) == 1:
            province, district = next(iter(districts))
            return ResourceRef(province, district)
        if len(provinces) == 1:
            return ResourceRef(next(iter(provinces)))
        # several provinces in one home: nobody's grant covers it but through each province
        return ResourceRef(",".join(sorted(provinces)))


def _placed(info: RecordInfo, place: SchoolPlace) -> RecordInfo:
    return replace(info, place=place)
