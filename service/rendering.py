"""Render every record book of a stored dataset into the home, as new versions when they change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.documents import RecordDocument, all_documents
from records.model import Dataset
from records.slots import SignatureSlot
from render import RenderedPdf, render_document
from service.authz import Action, Principal, RecordState, ResourceRef, require
from service.context import Context
from service.db.models import DocumentRow
from service.files import write_atomic
from service.lifecycle import confirm_class, ensure_confirmed, guard_data_change
from service.locks import ensure_place_writable, ensure_writable, place_of_dataset
from service.plan_config import plan_registry
from service.worker_pool import forked_map
from signing.plans import plan_for, slots_for

Progress = Callable[[int, int], None]


@dataclass
class RenderSummary:
    rendered: Counter[str] = field(default_factory=Counter)  # record type → new versions
    unchanged: Counter[str] = field(default_factory=Counter)  # record type → already current
    pages: int = 0
    paths: list[Path] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.rendered.values()) + sum(self.unchanged.values())


def _render_job(_ctx: Context, job: tuple[RecordDocument, list[SignatureSlot], str]) -> RenderedPdf:
    doc, slots, verify_url = job
    return render_document(doc, slots, verify_url=verify_url)


RENDER_TASKS_PER_WORKER = 64  # a fresh worker after this many documents (service.worker_pool)


def _render_all(
    ctx: Context, jobs: list[tuple[RecordDocument, list[SignatureSlot], str]], workers: int
) -> Iterator[RenderedPdf]:
    if workers <= 1 or len(jobs) < 8:
        yield from (_render_job(ctx, job) for job in jobs)
        return
    # service.worker_pool, not a ProcessPoolExecutor: its workers are forked after gc.freeze, so
    # their collections never copy the parent's heap (the school's dataset and documents) page
    # by page — with an executor each worker ended up holding its own copy, memory growing with
    # the school — and it keeps only a task per worker in flight
    yield from forked_map(
        ctx, _render_job, jobs, workers=workers, tasks_per_worker=RENDER_TASKS_PER_WORKER
    )


def document_path(ctx: Context, ds: Dataset, doc: RecordDocument, version: int) -> Path:
    name = f"{doc.file_stem}.pdf" if version == 1 else f"{doc.file_stem}.v{version}.pdf"
    return ctx.home.records_dir / ds.school.code / ds.school_year / doc.class_id / name


def render_dataset(
    ctx: Context,
    dataset_id: int,
    ds: Dataset,
    *,
    workers: int = 1,
    only: Sequence[str] | None = None,
    progress: Progress | None = None,
    confirm_as: str | None = None,
    principal: Principal | None = None,
) -> RenderSummary:
    docs = [d for d in all_documents(ds) if not only or d.class_id in only]
    return render_documents(
        ctx,
        dataset_id,
        ds,
        docs,
        workers=workers,
        progress=progress,
        confirm_as=confirm_as,
        principal=principal,
    )


def render_documents(
    ctx: Context,
    dataset_id: int,
    ds: Dataset,
    docs: Sequence[RecordDocument],
    *,
    workers: int = 1,
    progress: Progress | None = None,
    confirm_as: str | None = None,
    principal: Principal | None = None,
) -> RenderSummary:
    """Render the given documents of ``ds`` (a bulk job renders one document per task).

    Each class's data must be confirmed (``confirm_as``: first confirm the classes not confirmed
    yet, as that actor — the demo, an operator who checked the data); records that are locked,
    archived or frozen by a lock window must not change. Both are checked before anything is
    rendered or written (service.lifecycle, service.locks)."""
    if confirm_as is not None:
        as_actor = replace(ctx, actor=confirm_as)
        for class_id in sorted({d.class_id for d in docs}):
            confirm_class(as_actor, None, class_id, year=ds.school_year, school=ds.school.code)
    _check_writable(ctx, dataset_id, ds, docs, principal)
    plans = plan_registry(ctx.home)
    jobs = [(d, slots_for(d, plan_for(d, plans)), ctx.settings.verify_url) for d in docs]
    summary = RenderSummary()
    for i, (doc, rendered) in enumerate(zip(docs, _render_all(ctx, jobs, workers), strict=True), 1):
        _store(ctx, dataset_id, ds, doc, rendered, summary)
        if progress:
            progress(i, len(docs))
    return summary


def _check_writable(
    ctx: Context,
    dataset_id: int,
    ds: Dataset,
    docs: Sequence[RecordDocument],
    principal: Principal | None,
) -> None:
    with ctx.sessions() as session:
        place = place_of_dataset(session, dataset_id)
        if principal is not None:
            for class_id in sorted({d.class_id for d in docs}):
                ref = ResourceRef(
                    place.province,
                    place.district,
                    place.school,
                    year=ds.school_year,
                    class_id=class_id,
                    state=RecordState.CONFIRMED,
                )
                require(principal, Action.RECORD_RENDER, ref)
        ensure_confirmed(session, dataset_id, ds, (d.class_id for d in docs))
        guard_data_change(session, ds, place, now=ctx.clock.now(), docs=docs)


def _store(
    ctx: Context,
    dataset_id: int,
    ds: Dataset,
    doc: RecordDocument,
    rendered: RenderedPdf,
    summary: RenderSummary,
) -> None:
    with ctx.sessions.begin() as session:
        latest = session.scalars(
            select(DocumentRow)
            .where(DocumentRow.document_id == doc.document_id)
            .order_by(DocumentRow.version.desc())
        ).first()
        if latest is not None and latest.pdf_sha256 == rendered.sha256:
            # same content as the newest version: keep it (and its signatures), and make sure the
            # working copy on disk still holds the current bytes
            path = ctx.home.absolute(latest.pdf_path)
            current = latest.pdf or rendered.pdf
            if not path.exists() or path.read_bytes() != current:
                write_atomic(path, current)
            summary.unchanged[doc.record_type.value] += 1
            summary.paths.append(path)
            summary.pages += rendered.pages
            return
        # the last line of defence (a window opened meanwhile, a changed plan): never a new
        # version of a locked, archived or frozen record
        if latest is not None:
            ensure_writable(session, latest, now=ctx.clock.now())
        else:
            point = doc.point.value if doc.point else None
            ensure_place_writable(
                session,
                place_of_dataset(session, dataset_id),
                ds.school_year,
                point,
                f"Hồ sơ {doc.document_id} (lớp {doc.class_id})",
                now=ctx.clock.now(),
            )
        version = (
            session.scalar(
                select(func.max(DocumentRow.version)).where(
                    DocumentRow.document_id == doc.document_id
                )
            )
            or 0
        ) + 1
        path = store_version(ctx, session, ds, dataset_id, doc, rendered, version).path
        ctx.record_event(
            session, "document.rendered", doc.document_id, version=version, sha256=rendered.sha256
        )
    summary.rendered[doc.record_type.value] += 1
    summary.pages += rendered.pages
    summary.paths.append(path)


@dataclass(frozen=True)
class StoredVersion:
    row: DocumentRow
    path: Path


def store_version(
    ctx: Context,
    session: Session,
    ds: Dataset,
    dataset_id: int,
    doc: RecordDocument,
    rendered: RenderedPdf,
    version: int,
) -> StoredVersion:
    """Write a rendered version's file, then add its row (state "rendered") to ``session``:
    the row commits only after the file is complete. Shared by rendering and corrections."""
    path = document_path(ctx, ds, doc, version)
    write_atomic(path, rendered.pdf)
    row = DocumentRow(
        document_id=doc.document_id,
        version=version,
        dataset_id=dataset_id,
        record_type=doc.record_type.value,
        class_id=doc.class_id,
        student_code=doc.student_code,
        point=doc.point.value if doc.point else None,
        content_hash=rendered.content_hash,
        pdf_path=ctx.home.relative(path),
        pdf_sha256=rendered.sha256,
        pages=rendered.pages,
        state="rendered",
        created_at=ctx.clock.now(),
        revision=0,
        pdf=rendered.pdf,
    )
    session.add(row)
    return StoredVersion(row, path)
