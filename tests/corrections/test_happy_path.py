"""The whole chain: a teacher requests, the principal approves, the board and the homeroom
teacher witness, the correction is applied as new versions that are signed again through their
plan, locked and archived; the old versions stay archived and linked. On SQLite the whole plan is
signed and archived; on PostgreSQL the chain up to the first signature of the new plan (signing
and archiving on PostgreSQL are their own suites' subject, and the full plan costs ~20 s)."""

from __future__ import annotations

import json

import pytest
from archive_flow.flow import MovableClock
from archive_flow.signed_home import sign_everything
from sqlalchemy import select

from archive import load_package, package_history
from corrections.conftest import MATHS, People, Template
from records.canonical import dataset_from_json
from service.archiving import archive_signed
from service.archiving_config import open_archive
from service.context import Context
from service.corrections import (
    CorrectionState,
    FieldEdit,
    WitnessPart,
    apply_correction,
    approve_correction,
    record_history,
    request_correction,
    show_correction,
    witness_correction,
)
from service.db.models import DatasetRow, DocumentRow, EventRow
from service.locks import RecordLocked, ensure_document_writable, list_locks
from service.rendering import render_dataset
from service.signing import DocumentSelection, SignerIdentity, sign_batch
from signing.backends import Pkcs12Backend


def score_edits(t: Template) -> tuple[FieldEdit, ...]:
    """Term I final in mathematics typed as 6,5 instead of 9: the averages written in the book
    change with it (the rules recompute them and check)."""
    s = t.student
    return (
        FieldEdit(s, "term1.final", "6,5", "9", subject=MATHS),
        FieldEdit(s, "term1.submitted_average", "7,1", "7,9", subject=MATHS),
        FieldEdit(s, "submitted_year_average", "7,0", "7,3", subject=MATHS),
    )


def rows(ctx: Context, document_id: str) -> list[DocumentRow]:
    with ctx.sessions() as session:
        return list(
            session.scalars(
                select(DocumentRow)
                .where(DocumentRow.document_id == document_id)
                .order_by(DocumentRow.version)
            )
        )


def test_request_approve_witness_apply_resign_archive(
    home: Context, archived_corrections: Template, people: People, clock: MovableClock
) -> None:
    t = archived_corrections
    before = {d: rows(home, d)[0].pdf for d in (t.hoc_ba, t.class_book)}

    cid = request_correction(
        home, people.teacher, t.hoc_ba, reason="Nhập nhầm điểm cuối kì I", edits=score_edits(t)
    )
    approve_correction(home, people.principal, cid, note="Đã xem bài kiểm tra gốc")
    assert witness_correction(home, people.homeroom, cid) is WitnessPart.HOMEROOM
    assert witness_correction(home, people.board, cid) is WitnessPart.BOARD
    assert show_correction(home, cid).state is CorrectionState.WITNESSED

    applied = apply_correction(home, people.teacher, cid)

    made = {(v.document_id, v.version, v.supersedes_version) for v in applied.versions}
    assert made == {(t.hoc_ba, 2, 1), (t.class_book, 2, 1)}  # the class book shows the score too
    other = f"HB-{t.dataset.school.code}-{t.dataset.year.start}-"
    assert all(not d.startswith(other) or d == t.hoc_ba for d, _, _ in made)
    with home.sessions() as session:
        corrected = dataset_from_json(
            session.scalar(select(DatasetRow.canonical).where(DatasetRow.id == applied.dataset_id))
        )
    maths = corrected.classes[0].students[0].secondary.subjects[MATHS]  # type: ignore[union-attr]
    assert str(maths.term1.final) == "9"  # type: ignore[union-attr]
    for document_id in (t.hoc_ba, t.class_book):
        old, new = rows(home, document_id)
        assert (old.state, old.pdf) == ("archived", before[document_id])  # untouched
        assert (new.state, new.signed_fields, new.dataset_id) == (
            "rendered",
            "",
            applied.dataset_id,
        )
        assert home.home.absolute(new.pdf_path).name == f"{document_id}.v2.pdf"

    # the plan starts over under the year's still-open window: a correction's new version is the
    # one thing the window lets through, and the window locks it once its plan is complete
    (window,) = list_locks(home, active_only=True)
    old_row, new_row = rows(home, t.hoc_ba)
    ensure_document_writable(home, new_row.id)  # the new version may be signed
    with pytest.raises(RecordLocked):  # the archived one never
        ensure_document_writable(home, old_row.id)
    if home.engine.dialect.name != "sqlite":
        # the whole plan, the lock and the archive run once (SQLite): signing and archiving on
        # PostgreSQL are their own suites' concern; here, the first signature of the new plan
        first_signature(home, t, people)
        return
    sign_everything(home, corrected, t.pki)
    assert [r.state for r in rows(home, t.hoc_ba)] == ["archived", "signed"]
    assert show_correction(home, cid).state is CorrectionState.DONE
    assert list_locks(home, active_only=True) == [window]  # never lifted

    report = archive_signed(home)  # locks what completed under the window, then archives it
    assert [r.state for r in rows(home, t.hoc_ba)] == ["archived", "archived"]
    assert report.ok and {(d.document_id, d.version) for d in report.documents} == {
        (t.hoc_ba, 2),
        (t.class_book, 2),
    }
    # the corrected data is confirmed: rendering the year again re-derives the same bytes
    summary = render_dataset(home, applied.dataset_id, corrected)
    assert not summary.rendered and summary.total == 3
    stores = open_archive(home)
    first, second = package_history(stores.primary, t.hoc_ba)
    assert (first.document_version, second.document_version) == (1, 2)
    package = load_package(stores.primary, second)
    info = package.files["bag-info.txt"].decode()
    assert f"Hsdt-Supersedes: {t.hoc_ba}/v1" in info and f"Hsdt-Correction: {cid}" in info
    assert any(f"đính chính số {cid}" in e.detail for e in package.events)

    history = record_history(home, t.hoc_ba)
    v1, v2 = history.versions
    assert (v1.superseded_by, v2.supersedes, v2.correction_id) == (2, 1, cid)
    assert v1.archive is not None and v2.archive is not None and v2.archive.completed
    assert len(v2.signatures) == len(v1.signatures) > 0 and v2.timestamped
    (correction,) = history.corrections
    assert [(s.step, s.actor, s.role) for s in correction.steps] == [
        ("request", "gv.toan", None),
        ("approve", "hieu.truong", None),
        ("witness", "gv.chu.nhiem", "homeroom_teacher"),
        ("witness", "ban.quan.tri", "board_member"),
        ("apply", "gv.toan", None),
    ]
    assert correction.steps[1].note == "Đã xem bài kiểm tra gốc"
    with home.sessions() as session:
        events = [
            (e.action, e.actor)
            for e in session.scalars(select(EventRow).where(EventRow.action.like("correction.%")))
        ]
        rendered = [
            json.loads(e.detail)
            for e in session.scalars(
                select(EventRow).where(
                    EventRow.action == "document.rendered", EventRow.subject == t.hoc_ba
                )
            )
        ]
    assert events == [
        ("correction.requested", "gv.toan"),
        ("correction.approved", "hieu.truong"),
        ("correction.witnessed", "gv.chu.nhiem"),
        ("correction.witnessed", "ban.quan.tri"),
        ("correction.applied", "gv.toan"),
    ]
    assert rendered[-1]["correction"] == cid and rendered[-1]["supersedes"] == 1


def first_signature(home: Context, t: Template, people: People) -> None:
    """The mathematics teacher signs the new versions first, as the plan starts over."""
    person = people.teacher.grants[0].person_id
    assert person is not None
    identity = t.pki.identity(person)
    who = SignerIdentity(person, Pkcs12Backend(identity.pkcs12_path, identity.passphrase))
    batch = sign_batch(home, who, DocumentSelection(ready_only=True))
    assert batch.ok and {d.document_id for d in batch.documents} == {t.hoc_ba, t.class_book}
    for document_id in (t.hoc_ba, t.class_book):
        old, new = rows(home, document_id)
        assert old.state == "archived" and new.state == "signing"
        assert new.signed_fields == f"gvbm_{MATHS}"
    v1, v2 = record_history(home, t.hoc_ba).versions
    assert [s.signer for s in v2.signatures] == [person] and len(v1.signatures) > 1
    assert (v1.superseded_by, v2.supersedes) == (2, 1)
