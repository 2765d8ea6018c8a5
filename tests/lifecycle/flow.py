"""Lifecycle test helpers: signing as a person, what the database holds, changed data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from records.model import Dataset
from service.context import Context
from service.db.lifecycle_models import ConfirmationRow, LockWindowRow
from service.db.models import DatasetRow, DocumentRow, EventRow, PendingSignatureRow
from service.signing import BatchOutcome, DocumentSelection, SignerIdentity, sign_batch
from signing.backends import Pkcs12Backend
from signing.devpki import DevPki


def sign(ctx: Context, pki: DevPki, person: str, *document_ids: str) -> BatchOutcome:
    identity = pki.identity(person)
    who = SignerIdentity(person, Pkcs12Backend(identity.pkcs12_path, identity.passphrase))
    selection = DocumentSelection(document_ids=document_ids, ready_only=not document_ids)
    return sign_batch(ctx, who, selection)


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused write must leave as it was."""

    datasets: int
    documents: tuple[tuple[str, int, int, str], ...]  # id, version, revision, state
    events: int
    pending: int
    confirmations: int
    windows: int


def snapshot(ctx: Context) -> Snapshot:
    with ctx.sessions() as s:
        docs = s.execute(
            select(
                DocumentRow.document_id,
                DocumentRow.version,
                DocumentRow.revision,
                DocumentRow.state,
            ).order_by(DocumentRow.id)
        ).all()
        return Snapshot(
            s.scalar(select(func.count()).select_from(DatasetRow)) or 0,
            tuple((d[0], d[1], d[2], d[3]) for d in docs),
            s.scalar(select(func.count()).select_from(EventRow)) or 0,
            s.scalar(select(func.count()).select_from(PendingSignatureRow)) or 0,
            s.scalar(select(func.count()).select_from(ConfirmationRow)) or 0,
            s.scalar(select(func.count()).select_from(LockWindowRow)) or 0,
        )


def documents(ctx: Context, school: str) -> list[str]:
    with ctx.sessions() as s:
        return sorted(
            s.scalars(
                select(DocumentRow.document_id)
                .join(DatasetRow, DatasetRow.id == DocumentRow.dataset_id)
                .where(DatasetRow.school_code == school)
                .distinct()
            )
        )


def newest(ctx: Context, document_id: str) -> DocumentRow:
    with ctx.sessions() as s:
        row = s.scalars(
            select(DocumentRow)
            .where(DocumentRow.document_id == document_id)
            .order_by(DocumentRow.version.desc())
        ).first()
        assert row is not None
        s.expunge(row)
        return row


def renamed_student(ds: Dataset, name: str) -> Dataset:
    """The same school with the first student of the first class renamed (new data for it)."""
    c = ds.classes[0]
    first = c.students[0]
    student = first.student.model_copy(update={"full_name": name})
    students = [first.model_copy(update={"student": student}), *c.students[1:]]
    return ds.model_copy(update={"classes": [c.model_copy(update={"students": students})]})
