"""Render every record book of a stored dataset into the home, as new versions when they change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from records.documents import RecordDocument, all_documents
from records.model import Dataset
from records.slots import SignatureSlot
from render import RenderedPdf, render_document
from service.context import Context
from service.db.models import DocumentRow
from service.files import write_atomic
from service.plan_config import plan_registry
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


def _render_job(job: tuple[RecordDocument, list[SignatureSlot], str]) -> RenderedPdf:
    doc, slots, verify_url = job
    return render_document(doc, slots, verify_url=verify_url)


def _render_all(
    jobs: list[tuple[RecordDocument, list[SignatureSlot], str]], workers: int
) -> Iterator[RenderedPdf]:
    if workers <= 1 or len(jobs) < 8:
        yield from map(_render_job, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_render_job, jobs, chunksize=4)


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
) -> RenderSummary:
    docs = [d for d in all_documents(ds) if not only or d.class_id in only]
    plans = plan_registry(ctx.home)
    jobs = [(d, slots_for(d, plan_for(d, plans)), ctx.settings.verify_url) for d in docs]
    summary = RenderSummary()
    for i, (doc, rendered) in enumerate(zip(docs, _render_all(jobs, workers), strict=True), 1):
        _store(ctx, dataset_id, ds, doc, rendered, summary)
        if progress:
            progress(i, len(docs))
    return summary


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
        version = (
            session.scalar(
                select(func.max(DocumentRow.version)).where(
                    DocumentRow.document_id == doc.document_id
                )
            )
            or 0
        ) + 1
        path = document_path(ctx, ds, doc, version)
        write_atomic(path, rendered.pdf)  # the row commits only after the file is complete
        session.add(
            DocumentRow(
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
        )
        ctx.record_event(
            session, "document.rendered", doc.document_id, version=version, sha256=rendered.sha256
        )
    summary.rendered[doc.record_type.value] += 1
    summary.pages += rendered.pages
    summary.paths.append(path)
