"""A record's whole history: its versions, the signatures of each, the corrections that made them
(every step with who, when and why) and their archive packages. Read-only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.archiving_ingest import SIGNED, TIMESTAMPED, StoredEvent, lineage
from service.archiving_report import aware
from service.context import Context
from service.corrections_edits import FieldEdit
from service.corrections_records import record_state
from service.corrections_workflow import CorrectionState, edits_of, load_correction
from service.db.archive_models import ArchiveIngestRow
from service.db.correction_models import CorrectionRow, CorrectionStepRow, SupersedesRow
from service.db.models import DocumentRow, EventRow
from service.errors import HsdtError

__all__ = [
    "CorrectionView",
    "RecordHistory",
    "StepView",
    "VersionView",
    "correction_view",
    "list_corrections",
    "record_history",
    "show_correction",
]

_SIGNED_STATES = ("signed", "locked", "archived")


@dataclass(frozen=True)
class StepView:
    step: str  # request / approve / reject / witness / apply
    actor: str
    part: str  # the rule that allowed it ("correction.witness:board_member"), "local:…" on the CLI
    role: str | None  # witnesses: board_member / homeroom_teacher
    note: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "actor": self.actor,
            "part": self.part,
            "role": self.role,
            "note": self.note,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class CorrectionView:
    id: int
    document_id: str
    version: int
    class_id: str
    state: CorrectionState
    reason: str
    edits: tuple[FieldEdit, ...]
    requested_by: str
    requested_at: datetime
    steps: tuple[StepView, ...]
    new_versions: tuple[tuple[str, int], ...]  # (document id, version) made by applying it
    new_dataset_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "document": self.document_id,
            "version": self.version,
            "class": self.class_id,
            "state": self.state.value,
            "state_label": self.state.label,
            "reason": self.reason,
            "changes": [e.to_json() for e in self.edits],
            "requested_by": self.requested_by,
            "requested_at": self.requested_at.isoformat(),
            "steps": [s.to_json() for s in self.steps],
            "new_versions": [{"document": d, "version": v} for d, v in self.new_versions],
            "new_dataset": self.new_dataset_id,
        }


@dataclass(frozen=True)
class Signature:
    field: str
    signer: str
    role: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "signer": self.signer,
            "role": self.role,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class ArchiveView:
    index_key: str | None
    bag_id: str | None
    archived_at: datetime
    archived_by: str
    completed: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "index_key": self.index_key,
            "bag_id": self.bag_id,
            "archived_at": self.archived_at.isoformat(),
            "archived_by": self.archived_by,
            "completed": self.completed,
        }


@dataclass(frozen=True)
class VersionView:
    version: int
    state: str  # the version's own state (rendered, signing, signed, locked, archived)
    record_state: str | None  # the lifecycle's verdict
    sha256: str  # as rendered (the signed bytes grow by incremental updates)
    created_at: datetime
    dataset_id: int
    signed_fields: tuple[str, ...]
    signatures: tuple[Signature, ...]
    timestamped: bool
    supersedes: int | None
    correction_id: int | None
    superseded_by: int | None
    archive: ArchiveView | None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "state": self.state,
            "record_state": self.record_state,
            "sha256": self.sha256,
            "created_at": self.created_at.isoformat(),
            "dataset": self.dataset_id,
            "signed_fields": list(self.signed_fields),
            "signatures": [s.to_json() for s in self.signatures],
            "timestamped": self.timestamped,
            "supersedes": self.supersedes,
            "correction": self.correction_id,
            "superseded_by": self.superseded_by,
            "archive": self.archive.to_json() if self.archive else None,
        }


@dataclass(frozen=True)
class RecordHistory:
    document_id: str
    versions: tuple[VersionView, ...]  # oldest first
    corrections: tuple[CorrectionView, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document_id,
            "versions": [v.to_json() for v in self.versions],
            "corrections": [c.to_json() for c in self.corrections],
        }


def record_history(ctx: Context, document_id: str) -> RecordHistory:
    with ctx.sessions() as session:
        rows = list(
            session.scalars(
                select(DocumentRow)
                .where(DocumentRow.document_id == document_id)
                .order_by(DocumentRow.version)
            )
        )
        if not rows:
            raise HsdtError(
                f"Không có hồ sơ {document_id} trong hệ thống.",
                hint="Kiểm tra mã hồ sơ (tên tệp PDF, không có đuôi .pdf).",
            )
        events = _events(session, document_id)
        links = {
            link.document_row: link
            for link in session.scalars(
                select(SupersedesRow).where(SupersedesRow.document_id == document_id)
            )
        }
        superseded_by = {link.supersedes_version: link.version for link in links.values()}
        ingests = {
            i.document_row: i
            for i in session.scalars(
                select(ArchiveIngestRow).where(ArchiveIngestRow.document_id == document_id)
            )
        }
        now = ctx.clock.now()
        versions = tuple(
            _version(session, row, events, links, superseded_by, ingests, now) for row in rows
        )
        ids = session.scalars(
            select(CorrectionRow.id)
            .where(CorrectionRow.document_id == document_id)
            .order_by(CorrectionRow.id)
        )
        # corrections of another record that made a version of this one (the class book)
        linked = {link.correction_id for link in links.values()}
        corrections = tuple(correction_view(session, i) for i in sorted({*ids, *linked}))
    return RecordHistory(document_id, versions, corrections)


def list_corrections(
    ctx: Context, *, document_id: str | None = None, state: CorrectionState | None = None
) -> list[CorrectionView]:
    with ctx.sessions() as session:
        query = select(CorrectionRow.id).order_by(CorrectionRow.id)
        if document_id is not None:
            query = query.where(CorrectionRow.document_id == document_id)
        views = [correction_view(session, i) for i in session.scalars(query)]
    return [v for v in views if state is None or v.state is state]


def show_correction(ctx: Context, correction_id: int) -> CorrectionView:
    with ctx.sessions() as session:
        return correction_view(session, correction_id)


def correction_view(session: Session, correction_id: int) -> CorrectionView:
    row = load_correction(session, correction_id)
    steps = tuple(
        StepView(s.step, s.actor, s.part, s.role, s.note, aware(s.at))
        for s in session.scalars(
            select(CorrectionStepRow)
            .where(CorrectionStepRow.correction_id == row.id)
            .order_by(CorrectionStepRow.id)
        )
    )
    made = session.execute(
        select(SupersedesRow.document_id, SupersedesRow.version, DocumentRow.state)
        .join(DocumentRow, DocumentRow.id == SupersedesRow.document_row)
        .where(SupersedesRow.correction_id == row.id)
        .order_by(SupersedesRow.document_id)
    ).all()
    state = CorrectionState(row.state)
    if state is CorrectionState.APPLIED and made and all(s in _SIGNED_STATES for _, _, s in made):
        state = CorrectionState.DONE  # every new version signed through its plan
    return CorrectionView(
        row.id,
        row.document_id,
        row.version,
        row.class_id,
        state,
        row.reason,
        edits_of(row),
        row.requested_by,
        aware(row.requested_at),
        steps,
        tuple((d, int(v)) for d, v, _ in made),
        row.new_dataset_id,
    )


def _events(session: Session, document_id: str) -> list[StoredEvent]:
    rows = session.scalars(
        select(EventRow).where(EventRow.subject == document_id).order_by(EventRow.id)
    )
    return [StoredEvent(r.action, aware(r.at), r.actor, json.loads(r.detail)) for r in rows]


def _version(
    session: Session,
    row: DocumentRow,
    events: list[StoredEvent],
    links: dict[int, SupersedesRow],
    superseded_by: dict[int, int],
    ingests: dict[int, ArchiveIngestRow],
    now: datetime,
) -> VersionView:
    own = lineage(events, row.version)
    signatures = tuple(
        Signature(
            str(e.detail.get("field", "")),
            str(e.detail.get("signer", "")),
            str(e.detail.get("role", "")),
            e.at,
        )
        for e in own
        if e.action == SIGNED
    )
    link = links.get(row.id)
    ingest = ingests.get(row.id)
    state = record_state(session, row, now)
    return VersionView(
        row.version,
        row.state,
        state.value if state is not None else None,
        row.pdf_sha256,
        aware(row.created_at),
        row.dataset_id,
        tuple(f for f in (row.signed_fields or "").split(",") if f),
        signatures,
        any(e.action == TIMESTAMPED for e in own),
        link.supersedes_version if link else None,
        link.correction_id if link else None,
        superseded_by.get(row.version),
        ArchiveView(
            ingest.index_key,
            ingest.bag_id,
            aware(ingest.archived_at),
            ingest.archived_by,
            ingest.completed_at is not None,
        )
        if ingest is not None
        else None,
    )
