"""Fixtures: one API world per database (SQLite and PostgreSQL), built once per test session.

Building a world imports and renders the small school, creates its development PKI (served for
the session) and the accounts of every role; tests that change it (signing, locking an account)
use their own documents and accounts.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import api_world as w
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from support.db import _postgres_database
from support.schools import small_school

from api.app import create_app
from api.http.state import ApiSettings
from records.canonical import dataset_to_json
from records.model import Dataset
from service.authz import Action
from service.context import Context
from service.corrections import FieldEdit, approve_correction, request_correction
from service.db.models import DocumentRow, PendingSignatureRow
from service.importing import import_file
from service.jobs import JobKind, submit_job
from service.locks import LockScope, LockTerm, open_lock
from service.rendering import render_dataset
from service.signing_env import ensure_dev_pki
from signing.devpki import serve_dev_pki


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[w.World]:
    root = tmp_path_factory.mktemp(f"api-{request.param}") / "home"
    urls = _postgres_database() if request.param == "postgresql" else None
    url = next(urls) if urls is not None else None
    # the database is chosen by $HSDT_DATABASE_URL while the world is built and, through
    # ``_world_database``, during each test of this folder: a session-long setting would leak
    # into every later test of the run
    worlds = _world(root)
    try:
        with _database_env(url):
            built = next(worlds)
        yield built
        with _database_env(url):
            next(worlds, None)
    finally:
        worlds.close()
        if urls is not None:
            urls.close()


@contextmanager
def _database_env(url: str | None) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        if url is not None:
            mp.setenv("HSDT_DATABASE_URL", url)
        else:
            mp.delenv("HSDT_DATABASE_URL", raising=False)
        yield


@pytest.fixture(autouse=True)
def _world_database(request: pytest.FixtureRequest) -> Iterator[None]:
    if "world" not in request.fixturenames:
        yield
        return
    world: w.World = request.getfixturevalue("world")
    url = world.ctx.settings.database_url
    with _database_env(None if url.startswith("sqlite") else url):
        yield


def _store(ctx: Context, root: Path, ds: Dataset) -> int:
    source = root / "samples" / f"school-{ds.school_year}.json"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(dataset_to_json(ds))
    imported = import_file(ctx, source)
    render_dataset(ctx, imported.dataset_id, ds, confirm_as="test")
    return imported.dataset_id


def _world(root: Path) -> Iterator[w.World]:
    ds = small_school()
    ctx = Context.open(root)
    # last year's books of the same class, locked (routes acting on locked records need one);
    # stored as signed without the signatures — the signing itself is tested elsewhere — and
    # locked by a real lock window over that year
    previous = _store(ctx, root, ds.model_copy(update={"school_year": w.PREVIOUS_YEAR}))
    with ctx.sessions.begin() as s:
        s.execute(
            update(DocumentRow).where(DocumentRow.dataset_id == previous).values(state="signed")
        )
    window = open_lock(
        ctx,
        None,
        LockScope(w.PROVINCE, w.DISTRICT, w.SCHOOL),
        year=w.PREVIOUS_YEAR,
        term=LockTerm.YEAR,
        reason="Khoá sổ năm học trước",
    )
    current = _store(ctx, root, ds)
    pki = ensure_dev_pki(ctx, ds)
    student = ds.classes[0].students[0].student.code

    def book(dataset_id: int, record_type: str, code: str | None) -> DocumentRow:
        return s.scalars(
            select(DocumentRow).where(
                DocumentRow.dataset_id == dataset_id,
                DocumentRow.record_type == record_type,
                DocumentRow.student_code == code,
            )
        ).one()

    with ctx.sessions() as s:
        hoc_ba = book(current, "hoc-ba-trung-hoc", student)
        document_id, doc_row = hoc_ba.document_id, hoc_ba.id
        class_document_id = book(current, "so-theo-doi", None).document_id
        locked = book(previous, "hoc-ba-trung-hoc", student)
        assert locked.state == "locked"
        locked_document_id = locked.document_id
        locked_class_book = book(previous, "so-theo-doi", None).document_id
    # corrections of last year's mathematics score (the term I final was typed as 6,5 instead of
    # 9; the averages written in the books follow): one requested on the học bạ, one approved on
    # the class book (witnessing needs the approval first)
    edits = (
        FieldEdit(student, "term1.final", "6,5", "9", subject="TOAN"),
        FieldEdit(student, "term1.submitted_average", "7,1", "7,9", subject="TOAN"),
        FieldEdit(student, "submitted_year_average", "7,0", "7,3", subject="TOAN"),
    )
    reason = "Nhập nhầm điểm cuối kì I môn Toán"
    requested = request_correction(
        ctx, None, locked_document_id, reason=reason, edits=edits, by="lo.van.penh"
    )
    approved = request_correction(
        ctx, None, locked_class_book, reason=reason, edits=edits, by="lo.van.penh"
    )
    approve_correction(ctx, None, approved, note="Đồng ý", by="tran.thi.hoa")
    with ctx.sessions.begin() as s:  # a phase-one request as prepare_external stores it
        s.add(
            PendingSignatureRow(
                id="a1b2c3d4e5f6a7b8c9d0",
                document_row=doc_row,
                revision=0,
                base_sha256="0" * 64,
                field_name="gvbm_TOAN",
                signer_id="GV004",
                state=b"{}",
                created_at=datetime.now(UTC),
            )
        )
    admin, people = w.make_people(ctx, ds, student)
    # a render job of this year's school, created and not run (the job routes need one)
    job_id = submit_job(ctx, JobKind.RENDER, school=w.SCHOOL, requested_by="test")
    recorder = w.Recorder()
    app = create_app(ctx, settings=ApiSettings(policy=w.FAST), authorizer=recorder)
    app.add_exception_handler(w.ProbeStop, w.probe_stopped)
    with serve_dev_pki(pki), TestClient(app, raise_server_exceptions=False) as client:
        yield w.World(
            ctx,
            ds,
            pki,
            app,
            client,
            recorder,
            admin,
            people,
            document_id,
            class_document_id,
            student,
            "a1b2c3d4e5f6a7b8c9d0",
            path_values={
                "class_id": w.CLASS,
                "window_id": window.id,
                "correction_id": requested,
                "job_id": job_id,
            },
            action_path_values={Action.CORRECTION_WITNESS: {"correction_id": approved}},
            locked_document_id=locked_document_id,
        )
    ctx.close()
    shutil.rmtree(root, ignore_errors=True)
