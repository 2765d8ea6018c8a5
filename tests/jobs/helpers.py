"""What the job tests read back: documents as stored, events of one action, task workers."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from typing import Any

from sqlalchemy import select

from service.context import Context
from service.db.job_models import JobTaskRow
from service.db.models import DocumentRow, EventRow
from service.jobs import JobStatus, job_status


def events(ctx: Context, action: str) -> list[tuple[str, dict[str, Any]]]:
    with ctx.sessions() as session:
        rows = session.scalars(
            select(EventRow).where(EventRow.action == action).order_by(EventRow.id)
        ).all()
        return [(r.subject, json.loads(r.detail)) for r in rows]


def per_subject(ctx: Context, action: str) -> Counter[str]:
    return Counter(subject for subject, _ in events(ctx, action))


def documents(ctx: Context) -> list[DocumentRow]:
    with ctx.sessions() as session:
        return list(session.scalars(select(DocumentRow).order_by(DocumentRow.document_id)))


def assert_documents_whole(ctx: Context) -> None:
    """Every stored version's working copy holds exactly its bytes; no PDF without a row."""
    rows = documents(ctx)
    stored = {ctx.home.absolute(r.pdf_path).resolve() for r in rows}
    for r in rows:
        assert r.pdf is not None
        assert ctx.home.absolute(r.pdf_path).read_bytes() == r.pdf
        if r.revision == 0:
            assert hashlib.sha256(r.pdf).hexdigest() == r.pdf_sha256
    on_disk = {p.resolve() for p in ctx.home.records_dir.rglob("*.pdf")}
    assert on_disk == stored


def task_workers(ctx: Context, job_id: int) -> list[str]:
    with ctx.sessions() as session:
        return [
            str(w)
            for w in session.scalars(select(JobTaskRow.worker).where(JobTaskRow.job_id == job_id))
        ]


def wait_finished(ctx: Context, job_id: int, timeout: float = 90) -> JobStatus:
    deadline = time.monotonic() + timeout
    while True:
        status = job_status(ctx, job_id)
        if status.finished:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} not finished: {status.to_json()}")
        time.sleep(0.2)
