"""Each job kind: which tasks a job has (enumerated when it is created) and how one task runs.

A task wraps one call of an existing use case on one document (or one imported file) and leans on
that use case's own idempotence: rendering identical content is a no-op, signing skips slots
already signed and commits by compare-and-swap, archiving resumes from its ingest snapshot,
importing the same bytes again finds the stored dataset. So a task run twice — after a crash, or
when a lease was taken over — converges on the same result.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from records.canonical import dataset_from_json
from records.documents import RecordDocument, all_documents
from records.model import Dataset
from service.context import Context
from service.db.models import DatasetRow, DocumentRow
from service.errors import HsdtError
from service.jobs.keys import KeyRef
from service.jobs.model import JobKind
from service.jobs.store import Claimed, TaskResult
from service.lifecycle import ensure_confirmed

__all__ = ["Plan", "plan_archive", "plan_import", "plan_render", "plan_sign", "run_task_kind"]


@dataclass(frozen=True)
class Plan:
    """What a new job covers: its scope, its parameters and its tasks' subjects, in order."""

    school: str | None
    year: str | None
    classes: tuple[str, ...]
    parameters: dict[str, Any]
    subjects: tuple[str, ...]


# ---------------------------------------------------------------------------- enumeration


def _newest_dataset(ctx: Context, school: str | None, dataset_id: int | None) -> DatasetRow:
    with ctx.sessions() as session:
        query = select(DatasetRow).order_by(DatasetRow.id.desc())
        if dataset_id is not None:
            query = query.where(DatasetRow.id == dataset_id)
        elif school is not None:
            query = query.where(DatasetRow.school_code == school)
        row = session.scalars(query).first()
    if row is None:
        where = f" của trường {school}" if school and dataset_id is None else ""
        raise HsdtError(
            f"Không có bộ dữ liệu {dataset_id or ''}{where} trong hệ thống.".replace("  ", " "),
            hint="Nhập dữ liệu trước («hsdt import FILE» hoặc «hsdt jobs submit import»).",
        )
    return row


def _check_classes(known: set[str], classes: Sequence[str], school: str) -> None:
    unknown = sorted(set(classes) - known)
    if unknown:
        raise HsdtError(
            f"Trường {school} không có lớp {', '.join(unknown)} trong dữ liệu đã nhập.",
            hint=f"Các lớp hiện có: {', '.join(sorted(known)) or '(không có)'}.",
        )


def plan_render(
    ctx: Context, school: str | None, classes: Sequence[str], dataset_id: int | None
) -> Plan:
    row = _newest_dataset(ctx, school, dataset_id)
    ds = dataset_from_json(row.canonical)
    _check_classes({c.id for c in ds.classes}, classes, ds.school.code)
    docs = [d for d in all_documents(ds) if not classes or d.class_id in classes]
    with ctx.sessions() as session:  # refused now rather than in every task
        ensure_confirmed(session, row.id, ds, {d.class_id for d in docs})
    subjects = tuple(d.document_id for d in docs)
    return Plan(ds.school.code, ds.school_year, tuple(classes), {"dataset_id": row.id}, subjects)


def _scoped_documents(
    ctx: Context, school: str | None, classes: Sequence[str], year: str | None = None
) -> list[tuple[str, str, int, str, str]]:
    """(document id, state, dataset id, school, year) of the newest versions in scope; with
    ``year``, only that school year's."""
    from service.signing_revisions import find_documents

    refs = find_documents(ctx, class_ids=classes, school=school)
    if classes and school is None and len({r.school_code for r in refs}) > 1:
        raise HsdtError(
            f"Lớp {', '.join(classes)} có ở nhiều trường.",
            hint="Chọn thêm trường (--school).",
        )
    with ctx.sessions() as session:
        states = dict(
            session.execute(
                select(DocumentRow.id, DocumentRow.state).where(
                    DocumentRow.id.in_([r.row_id for r in refs])
                )
            ).all()
        )
        years = dict(session.execute(select(DatasetRow.id, DatasetRow.school_year)).all())
    found = [
        (
            r.document_id,
            str(states[r.row_id]),
            r.dataset_id,
            r.school_code,
            str(years[r.dataset_id]),
        )
        for r in refs
    ]
    return found if year is None else [f for f in found if f[4] == year]


def _newest_year(
    found: Sequence[tuple[str, str, int, str, str]],
) -> list[tuple[str, str, int, str, str]]:
    """Each school's documents of its newest stored year ("2025-2026" sorts after "2024-2025")."""
    newest: dict[str, str] = {}
    for f in found:
        newest[f[3]] = max(newest.get(f[3], f[4]), f[4])
    return [f for f in found if f[4] == newest[f[3]]]


def _scope_of(found: Sequence[tuple[str, str, int, str, str]]) -> tuple[str | None, str | None]:
    schools = {f[3] for f in found}
    years = {f[4] for f in found}
    return (
        next(iter(schools)) if len(schools) == 1 else None,
        next(iter(years)) if len(years) == 1 else None,
    )


def _nothing(
    what: str, school: str | None, classes: Sequence[str], year: str | None = None
) -> HsdtError:
    scope = f"lớp {', '.join(classes)}" if classes else f"trường {school}" if school else "hệ thống"
    if year is not None:
        scope += f", năm học {year}"
    return HsdtError(
        f"Không có hồ sơ nào {what} trong {scope}.",
        hint="Kiểm tra phạm vi (--school, --class) và tiến độ («hsdt progress»).",
    )


def plan_sign(
    ctx: Context,
    school: str | None,
    classes: Sequence[str],
    person_id: str,
    key: KeyRef,
    level: str,
    year: str | None = None,
) -> Plan:
    """A sign job covers one school year: ``year``, or each school's newest (last year's books
    are locked; their slots would only be refused tasks)."""
    from service.signing_plans import PlanCatalog

    found = _scoped_documents(ctx, school, classes, year)
    if year is None:
        found = _newest_year(found)
    catalog = PlanCatalog(ctx)
    with ctx.sessions() as session:
        classes_of = dict(
            session.execute(
                select(DocumentRow.document_id, DocumentRow.class_id).where(
                    DocumentRow.document_id.in_([f[0] for f in found])
                )
            ).all()
        )
    mine = [
        f[0] for f in found if catalog.plan(f[2], str(classes_of[f[0]]), f[0]).slots_of(person_id)
    ]
    if not mine:
        raise _nothing(f"có ô ký của {person_id}", school, classes, year)
    # fail before the job exists when the key cannot be opened (wrong passphrase, missing file)
    with key.backend(ctx, person_id).open_signer():
        pass
    the_school, year = _scope_of(found)
    parameters = {"person_id": person_id, "key": key.to_json(), "level": level}
    return Plan(the_school, year, tuple(classes), parameters, tuple(mine))


def plan_archive(
    ctx: Context, school: str | None, classes: Sequence[str], year: str | None = None
) -> Plan:
    """Every stored year's locked books unless ``year`` is given: what is ready to archive is
    last years' (the current year is rarely locked yet)."""
    from service.archiving import READY_STATES

    found = [f for f in _scoped_documents(ctx, school, classes, year) if f[1] in READY_STATES]
    if not found:
        raise _nothing("sẵn sàng lưu trữ (đã khoá)", school, classes, year)
    the_school, year = _scope_of(found)
    return Plan(the_school, year, tuple(classes), {}, tuple(f[0] for f in found))


_IMPORT_ORDER = {".json": 0, ".xlsx": 1, ".csv": 2}  # the year first, then classes, then subjects


def plan_import(ctx: Context, files: Sequence[Path], school: str | None) -> Plan:
    """The files, copied into the home (every worker reads them there), in the order they must
    be imported: the year first, then class workbooks, then subject sheets (stable within each)."""
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise HsdtError(
            f"Không có tệp {', '.join(missing)}.", hint="Kiểm tra đường dẫn các tệp cần nhập."
        )
    if not files:
        raise HsdtError("Chưa chọn tệp nào để nhập.", hint="Ghi các tệp .json/.xlsx/.csv.")
    ordered = sorted(files, key=lambda f: _IMPORT_ORDER.get(f.suffix.lower(), 3))
    folder = ctx.home.imports_dir / "jobs" / uuid.uuid4().hex[:16]
    folder.mkdir(parents=True, exist_ok=True)
    stored = []
    for n, f in enumerate(ordered):
        target = folder / f"{n:04d}-{f.name}"
        shutil.copyfile(f, target)
        stored.append(ctx.home.relative(target))
    return Plan(school, None, (), {"files": [f.name for f in ordered]}, tuple(stored))


# ---------------------------------------------------------------------------- running one task

_documents: dict[tuple[str, int], tuple[Dataset, dict[str, RecordDocument]]] = {}
_documents_lock = threading.Lock()


def _render_source(ctx: Context, dataset_id: int) -> tuple[Dataset, dict[str, RecordDocument]]:
    """A dataset and its documents, built once per worker process (not once per document)."""
    key = (str(ctx.home.root), dataset_id)
    with _documents_lock:
        if key not in _documents:
            row = _newest_dataset(ctx, None, dataset_id)
            ds = dataset_from_json(row.canonical)
            _documents[key] = (ds, {d.document_id: d for d in all_documents(ds)})
        return _documents[key]


def _render(ctx: Context, task: Claimed) -> TaskResult:
    from service.rendering import render_documents

    dataset_id = int(task.parameters["dataset_id"])
    ds, docs = _render_source(ctx, dataset_id)
    doc = docs.get(task.subject)
    if doc is None:
        return TaskResult(
            False, "", f"Hồ sơ {task.subject} không có trong bộ dữ liệu số {dataset_id}."
        )
    try:
        summary = render_documents(ctx, dataset_id, ds, [doc])
    except IntegrityError:
        # another worker stored this version meanwhile (a lease taken over): same bytes, so
        # rendering again finds it unchanged
        summary = render_documents(ctx, dataset_id, ds, [doc])
    if summary.rendered:
        return TaskResult(True, "Đã kết xuất phiên bản mới.")
    return TaskResult(True, "Không đổi: phiên bản hiện hành đã đúng nội dung.")


def _sign(ctx: Context, task: Claimed) -> TaskResult:
    from service.signing_batch import DocumentSelection, SignerIdentity, Status, sign_batch

    person = str(task.parameters["person_id"])
    key = KeyRef.from_json(task.parameters["key"])
    who = SignerIdentity(person, key.backend(ctx, person))
    level = task.parameters.get("level", "B-LT")
    batch = sign_batch(ctx, who, DocumentSelection(document_ids=(task.subject,)), level=level)
    (outcome,) = batch.documents
    if outcome.status in (Status.SIGNED, Status.SKIPPED):
        return TaskResult(True, outcome.message)
    return TaskResult(False, "", outcome.message)


def _archive(ctx: Context, task: Claimed) -> TaskResult:
    from service.archiving import ARCHIVED_STATE, Status, archive_signed

    report = archive_signed(ctx, document_ids=[task.subject])
    mine = [d for d in report.documents if d.document_id == task.subject]
    bad = [d for d in mine if d.status in (Status.REFUSED, Status.FAILED)]
    if bad:
        return TaskResult(False, "", " ".join(d.message for d in bad))
    if mine:
        return TaskResult(True, " ".join(d.message for d in mine))
    with ctx.sessions() as session:
        state = session.scalars(
            select(DocumentRow.state)
            .where(DocumentRow.document_id == task.subject)
            .order_by(DocumentRow.version.desc())
        ).first()
    if state == ARCHIVED_STATE:
        return TaskResult(True, "Đã lưu trữ từ trước.")
    return TaskResult(
        False,
        "",
        f"Hồ sơ {task.subject} đang ở trạng thái «{state}», chưa lưu trữ được.",
    )


def _import(ctx: Context, task: Claimed) -> TaskResult:
    from records.findings import Severity
    from service.importing import RejectedImport, import_file

    path = ctx.home.absolute(task.subject)
    try:
        outcome = import_file(ctx, path)
    except RejectedImport as rejected:
        errors = [f for f in rejected.report.findings if f.severity is Severity.ERROR]
        shown = "; ".join(f"{f.location}: {f.detail}" for f in errors[:3])
        more = f" (và {len(errors) - 3} lỗi khác)" if len(errors) > 3 else ""
        return TaskResult(False, "", f"{rejected.message} {shown}{more}".strip())
    if outcome.created:
        return TaskResult(True, f"Đã nhập: bộ dữ liệu số {outcome.dataset_id}.")
    return TaskResult(True, f"Không đổi: trùng bộ dữ liệu số {outcome.dataset_id} đã nhập.")


_RUNNERS = {
    JobKind.IMPORT: _import,
    JobKind.RENDER: _render,
    JobKind.SIGN: _sign,
    JobKind.ARCHIVE: _archive,
}


def run_task_kind(ctx: Context, task: Claimed) -> TaskResult:
    return _RUNNERS[task.kind](ctx, task)
