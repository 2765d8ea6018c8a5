"""Import a school-year file: check it, and store it only when it has no errors."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import false, func, select, update
from sqlalchemy.orm import Session

from records.canonical import dataset_from_json, dataset_to_json
from records.check import CheckReport, check_file
from records.findings import Finding, Severity, has_errors
from records.importers.result import FileKind
from records.merge import MergeError, merge_class_workbook, merge_subject_sheet
from records.model import Dataset
from records.validate import validate_dataset
from service.context import Context
from service.dataset_slices import store_class_slices
from service.db.models import DatasetRow
from service.errors import HsdtError, ImportRejected
from service.files import write_atomic
from service.lifecycle import guard_data_change, void_changed_confirmations
from service.locks import Place
from service.worker_pool import forked_map


@dataclass(frozen=True)
class ImportOutcome:
    dataset_id: int
    sha256: str
    created: bool  # False when the very same data was imported before
    warnings: list[Finding]
    report: CheckReport  # findings and kind; not the parsed data (see _summary)
    unconfirmed: tuple[str, ...] = ()  # classes whose confirmation this data voided


class RejectedImport(ImportRejected):
    def __init__(self, path: Path, report: CheckReport) -> None:
        self.path = path
        errors = [f for f in report.findings if f.severity is Severity.ERROR]
        super().__init__(
            f"{path.name}: {len(errors)} lỗi — không lưu gì vào hệ thống.",
            hint="Sửa các lỗi ở trên rồi nhập lại; «hsdt check FILE» liệt kê chúng mà không lưu.",
        )
        self.report = report

    def __reduce__(self) -> tuple[type[RejectedImport], tuple[Path, CheckReport]]:
        # raised in the import's own process (import_file) and re-raised here: findings only
        return RejectedImport, (self.path, _summary(self.report))


def _summary(report: CheckReport) -> CheckReport:
    """The report without the data it parsed: an outcome outlives the import (a batch keeps it
    to the end), and a school's parsed year is ~30 MB at 1,000 records; the stored dataset is
    the data from here on."""
    return replace(report, dataset=None, sheet=None, classes=())


def import_file(ctx: Context, path: Path) -> ImportOutcome:
    """Store a whole school year (JSON), or merge a class workbook (XLSX) or a subject score sheet
    (CSV) into the stored year of the same school. The merged year is validated again as a whole;
    any error stores nothing.

    A file of ``OWN_PROCESS_BYTES`` or more is imported in a forked process: parsing and checking
    a school of 1,000 records allocates ~100 MB of small objects, and the heap they fragment (~60
    MB) would otherwise stay with this process — a server, or a batch that forks its workers from
    it — for good. Outcome and errors come back the same either way."""
    if _in_own_process(path):
        (outcome,) = forked_map(ctx, _import, [path], workers=1)
        return outcome
    return _import(ctx, path)


OWN_PROCESS_BYTES = 256 * 1024  # smaller files: the fork (~30 ms) would cost more than it saves


def _in_own_process(path: Path) -> bool:
    try:
        size = path.stat().st_size
    except OSError:
        return False  # check_file says what is wrong with it
    # a forked worker (daemonic) may not fork again: it is short-lived anyway
    return size >= OWN_PROCESS_BYTES and not multiprocessing.current_process().daemon


def _import(ctx: Context, path: Path) -> ImportOutcome:
    report = check_file(path)
    if not report.ok:
        raise RejectedImport(path, report)
    with ctx.sessions.begin() as session:
        # Imports of one school take turns from here to the commit: the stored year is read
        # under the lock, so a merge never builds on a year another import is replacing.
        _serialise_imports(session, _school_of(report))
        merged, extra = _merge_with_stored(session, path, report)
        if extra and has_errors(extra):
            raise RejectedImport(path, replace(report, findings=[*report.findings, *extra]))
        canonical = dataset_to_json(merged)
        sha = hashlib.sha256(canonical).hexdigest()
        warnings = [f for f in [*report.findings, *extra] if f.severity is Severity.WARNING]
        existing = session.scalar(select(DatasetRow).where(DatasetRow.sha256 == sha))
        if existing is not None:
            return ImportOutcome(existing.id, sha, False, warnings, _summary(report))
        # new data must not change a locked, archived or frozen record: refused, nothing stored
        guard_data_change(
            session,
            merged,
            Place(merged.province.code, merged.district.code, merged.school.code),
            now=ctx.clock.now(),
            before=lambda: _stored_year(ctx, merged.school.code, merged.school_year),
        )
        stored = ctx.home.imports_dir / sha[:2] / f"{sha}{path.suffix.lower()}"
        if not stored.exists():
            write_atomic(stored, path.read_bytes())
        row = DatasetRow(
            school_code=merged.school.code,
            school_year=merged.school_year,
            sha256=sha,
            source_name=path.name,
            source_path=ctx.home.relative(stored),
            canonical=canonical,
            warnings=json.dumps([f.to_json() for f in warnings], ensure_ascii=False),
            imported_at=ctx.clock.now(),
        )
        session.add(row)
        session.flush()
        store_class_slices(session, row.id, merged)
        voided = void_changed_confirmations(ctx, session, merged, row.id)
        ctx.record_event(
            session,
            "dataset.imported",
            f"dataset:{row.id}",
            sha256=sha,
            source=path.name,
            kind=str(report.kind),
            warnings=len(warnings),
            **({"unconfirmed": voided} if voided else {}),
        )
        return ImportOutcome(row.id, sha, True, warnings, _summary(report), tuple(voided))


def _school_of(report: CheckReport) -> str:
    if report.sheet is not None:
        return report.sheet.school_code
    assert report.dataset is not None  # check_file guarantees one of the two when ok
    return report.dataset.school.code


def _serialise_imports(session: Session, school: str) -> None:
    """Hold the school's import lock until this transaction ends (commit or rollback).

    PostgreSQL: a transaction-scoped advisory lock keyed on the school, so imports of other
    schools do not wait. SQLite: its single write lock, taken now by a write that touches no row
    (a plain read would not take it, and the year would be read outside any transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"hsdt.import:{school}".encode()).digest()[:8], "big")
        session.execute(select(func.pg_advisory_xact_lock(key - (1 << 63))))
    else:
        session.execute(
            update(DatasetRow).where(false()).values(school_code=DatasetRow.school_code),
            execution_options={"synchronize_session": False},
        )


def _stored_year(ctx: Context, school: str, year: str) -> Dataset | None:
    with ctx.sessions() as session:
        return _stored_year_in(session, school, year)


def _stored_year_in(session: Session, school: str, year: str) -> Dataset | None:
    row = session.scalars(
        select(DatasetRow)
        .where(DatasetRow.school_code == school, DatasetRow.school_year == year)
        .order_by(DatasetRow.id.desc())
    ).first()
    return dataset_from_json(row.canonical) if row else None


def _merge_with_stored(
    session: Session, path: Path, report: CheckReport
) -> tuple[Dataset, list[Finding]]:
    try:
        if report.kind is FileKind.CSV and report.sheet is not None:
            sheet = report.sheet
            base = _stored_year_in(session, sheet.school_code, sheet.school_year)
            if base is None:
                raise HsdtError(
                    f"Chưa có dữ liệu năm học {sheet.school_year} của trường {sheet.school_code}.",
                    hint="Nhập sổ lớp (tệp .xlsx từ «hsdt template xlsx») hoặc tệp JSON trước, "
                    "rồi nhập bảng điểm từng môn (.csv).",
                )
            merged, extra = merge_subject_sheet(base, sheet, path.name)
        elif report.dataset is not None:
            ds = report.dataset
            base = _stored_year_in(session, ds.school.code, ds.school_year)
            if report.kind is FileKind.XLSX and base is not None:
                merged, extra = merge_class_workbook(base, ds), []
            else:
                return ds, []
        else:  # pragma: no cover - check_file guarantees one of the two when ok
            raise HsdtError(f"{path.name}: không có dữ liệu để nhập.")
    except MergeError as exc:
        raise HsdtError(str(exc)) from exc
    return merged, [*extra, *validate_dataset(merged)]


def load_dataset(ctx: Context, dataset_id: int | None = None) -> tuple[int, Dataset]:
    """A stored dataset (the newest when no id is given)."""
    with ctx.sessions() as session:
        query = select(DatasetRow).order_by(DatasetRow.id.desc())
        if dataset_id is not None:
            query = select(DatasetRow).where(DatasetRow.id == dataset_id)
        row = session.scalars(query).first()
        if row is None:
            raise HsdtError(
                "Chưa có dữ liệu nào trong hệ thống."
                if dataset_id is None
                else f"Không có bộ dữ liệu số {dataset_id}.",
                hint="Nhập dữ liệu bằng «hsdt import FILE» (hoặc chạy «hsdt demo»).",
            )
        return row.id, dataset_from_json(row.canonical)
