"""Signers racing on the same documents: no signature lost, the revision chain intact."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.schools import SUBJECTS

from service.context import Context
from service.signing import (
    BatchOutcome,
    DocumentSelection,
    SignerIdentity,
    Status,
    sign_batch,
    sign_document,
)
from service.signing_revisions import commit_revision, find_documents, read_snapshot
from signing.verify import verify_pdf
from signing_flow.conftest import School, build_home
from signing_flow.flow import HookedBackend, documents, p12, stored, who

THREAD_SIGNERS = ("GV003", "GV004", "GV005", "GV006")
PROCESS_SIGNERS = ("GV008", "GV011")
WORKER = Path(__file__).with_name("concurrent_signer.py")


@dataclass(frozen=True)
class Commit:
    person: str
    document: str
    fields: tuple[str, ...]
    attempts: int


@pytest.fixture
def shared_home(
    database_url: str, school: School, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Context]:
    """A home on SQLite (WAL) or PostgreSQL; the worker processes inherit the database URL."""
    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    root = tmp_path / "shared"
    ctx = build_home(root, school.dataset)
    shutil.copytree(school.template / "pki", root / "pki")
    yield ctx
    ctx.close()


def _start_workers(
    ctx: Context, school: School, tmp_path: Path, go: Path
) -> list[subprocess.Popen[str]]:
    workers = []
    for person in PROCESS_SIGNERS:
        identity = school.pki.identity(person)
        secret = tmp_path / f"{person}.pass"
        secret.write_bytes(identity.passphrase)
        ready = tmp_path / f"{person}.ready"
        args = [str(ctx.home.root), person, str(identity.pkcs12_path), str(secret), str(ready)]
        workers.append(
            subprocess.Popen(
                [sys.executable, str(WORKER), *args, str(go)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"{p}.ready").exists() for p in PROCESS_SIGNERS):
        for worker in workers:
            assert worker.poll() is None, worker.communicate()[1]
        assert time.monotonic() < deadline, "the signer processes did not get ready"
        time.sleep(0.01)
    return workers


def test_many_signers_at_once_lose_no_signature(
    shared_home: Context, school: School, tmp_path: Path
) -> None:
    ctx = shared_home
    go = tmp_path / "go"
    workers = _start_workers(ctx, school, tmp_path, go)
    start = threading.Barrier(len(THREAD_SIGNERS) + 1)
    batches: dict[str, BatchOutcome] = {}
    crashes: list[BaseException] = []

    def sign_as(person: str) -> None:
        try:
            start.wait()
            batches[person] = sign_batch(ctx, who(school.pki, person), DocumentSelection())
        except BaseException as exc:  # reported below, with the others
            crashes.append(exc)

    threads = [threading.Thread(target=sign_as, args=(p,)) for p in THREAD_SIGNERS]
    for thread in threads:
        thread.start()
    start.wait()
    go.touch()
    for thread in threads:
        thread.join(timeout=300)
    assert not crashes, crashes

    commits = [
        Commit(person, d.document_id, d.fields, d.attempts)
        for person, batch in batches.items()
        for d in batch.documents
        if d.status is Status.SIGNED
    ]
    others = [(p, d.status, d.message) for p, b in batches.items() for d in b.documents]
    assert all(status is Status.SIGNED for _, status, _ in others), others
    for worker in workers:
        output, errors = worker.communicate(timeout=300)
        assert worker.returncode == 0, errors
        for line in output.splitlines():
            data = json.loads(line)
            assert data["status"] == "signed", data
            commits.append(
                Commit("?", data["document"], tuple(data["fields"]), int(data["attempts"]))
            )

    docs = documents(ctx, "hoc-ba-trung-hoc") + documents(ctx, "so-theo-doi")
    subject_fields = {f"gvbm_{code}" for code in SUBJECTS}
    for doc in docs:
        mine = [c for c in commits if c.document == doc]
        final = stored(ctx, doc)
        assert len(mine) == len(THREAD_SIGNERS) + len(PROCESS_SIGNERS)  # everyone signed it
        assert final.revision == len(mine)  # one revision per successful commit, none lost
        assert sorted(final.signed) == sorted(f for c in mine for f in c.fields)
        assert subject_fields <= set(final.signed)
        assert final.file == final.pdf
    # The rest of the plan, then every signature must still validate, ending in B-LTA.
    for person in ("GV003", "GV001", school.code):
        assert sign_batch(ctx, who(school.pki, person), DocumentSelection()).ok
    for doc in docs:
        final = stored(ctx, doc)
        assert final.state == "signed"
        report = verify_pdf(final.pdf, trust_roots=school.pki.trust_roots(), demo_mode=True)
        assert report.bottom_line, (doc, [f.message for f in report.findings])
        assert sorted(s.field_name for s in report.signatures) == sorted(final.signed)


def test_a_server_side_signer_signs_again_on_the_new_revision(
    home: Context, school: School
) -> None:
    doc = documents(home, "hoc-ba-trung-hoc")[0]

    def gv005_commits_first(made: int) -> None:
        if made == 0:  # in another thread, as another signer would (this loop is busy signing)
            other = threading.Thread(
                target=sign_document, args=(home, who(school.pki, "GV005"), doc)
            )
            other.start()
            other.join()

    backend = HookedBackend(p12(school.pki, "GV004"), gv005_commits_first)
    outcome = sign_document(home, SignerIdentity("GV004", backend), doc)
    assert outcome.status is Status.SIGNED
    assert outcome.attempts == 2  # the first signature went stale and was made again
    assert outcome.revision == 2
    final = stored(home, doc)
    assert final.signed == ("gvbm_NN1", "gvbm_TOAN")
    report = verify_pdf(
        final.pdf, trust_roots=school.pki.trust_roots(), demo_mode=True, require_lta=False
    )
    assert [s.field_name for s in report.signatures] == ["gvbm_NN1", "gvbm_TOAN"]
    assert all(s.ok for s in report.signatures)


def test_compare_and_swap_refuses_a_stale_revision(home: Context, school: School) -> None:
    doc = documents(home, "hoc-ba-trung-hoc")[0]
    (ref,) = find_documents(home, document_ids=(doc,))
    stale = read_snapshot(home, ref.row_id)
    sign_document(home, who(school.pki, "GV004"), doc)
    current = stored(home, doc)

    written = commit_revision(
        home, stale, b"%PDF-1.7 not this", ("gvbm_X",), state="signing", events=[]
    )
    assert written is None
    assert stored(home, doc) == current
