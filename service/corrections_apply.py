"""Apply a fully witnessed correction: a new dataset version and new document versions.

The one sanctioned way to change a locked or archived record. It does not go through
``render_dataset`` (whose writes the lock guard refuses on locked records): it renders only the
documents of the class whose content the correction changes, and stores each as a new version
whose ``document_supersedes`` row names the version it supersedes and the correction. The old
versions, their signatures and their archive packages stay as they are. The new versions start
their signing plan over (state "rendered", no signature) and are signed with the ordinary signing
use cases; then they are locked and archived like any other version (their package names the
version they supersede and the correction: ``corrections_links.supersession_of``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.canonical import dataset_from_json, dataset_to_json
from records.documents import RecordDocument
from records.model import Dataset
from render import RenderedPdf, render_document
from service.authz import Principal
from service.context import Context
from service.corrections_edits import InvalidCorrection, affected_documents, apply_edits
from service.corrections_records import newest_version
from service.corrections_workflow import (
    CorrectionConflict,
    CorrectionState,
    acting_as,
    add_step,
    as_actor,
    correction_ref,
    current_record,
    edits_of,
    forbidden,
    load_correction,
    move_state,
)
from service.dataset_slices import store_class_slices
from service.db.correction_models import CorrectionRow, SupersedesRow
from service.db.models import DatasetRow
from service.files import write_atomic
from service.lifecycle import confirm_class
from service.plan_config import plan_registry
from service.rendering import store_version
from signing.plans import plan_for, slots_for

__all__ = ["AppliedCorrection", "NewVersion", "apply_correction"]


@dataclass(frozen=True)
class NewVersion:
    document_id: str
    version: int
    supersedes_version: int
    pdf_path: str  # relative to the home
    sha256: str


@dataclass(frozen=True)
class AppliedCorrection:
    correction_id: int
    dataset_id: int
    versions: tuple[NewVersion, ...]


def apply_correction(
    ctx: Context, principal: Principal | None, correction_id: int, *, by: str | None = None
) -> AppliedCorrection:
    """Apply a witnessed correction. Run by one of its parties (or the local operator): applying
    adds no decision of its own, it carries out the four recorded ones."""
    acting = acting_as(ctx, principal, by)
    with ctx.sessions() as session:
        row = load_correction(session, correction_id)
        _check_ready(row)
        ref = correction_ref(session, row)
        parties = {ref.requested_by, ref.approved_by, *ref.witnessed_by}
        if principal is not None and principal.account_id not in parties:
            raise forbidden(
                "Chỉ người đề nghị, người phê duyệt hoặc người chứng kiến mới áp dụng đính chính "
                "này.",
                "deny.correction.not_party",
            )
        record, _ = current_record(ctx, session, row)
        base = _newest_dataset(session, row)
    corrected = apply_edits(base, row.class_id, edits_of(row), student=record.student_code)
    affected = affected_documents(base, corrected, row.class_id)
    if row.document_id not in {d.document_id for d in affected}:
        raise InvalidCorrection(
            f"Các thay đổi không làm thay đổi nội dung hồ sơ {row.document_id}.",
            hint="Kiểm tra lại đề nghị: chỉ sửa dữ liệu có trên hồ sơ.",
        )
    rendered = _render(ctx, affected)
    canonical = dataset_to_json(corrected)
    sha = hashlib.sha256(canonical).hexdigest()
    stored = ctx.home.imports_dir / sha[:2] / f"{sha}.json"
    if not stored.exists():
        write_atomic(stored, canonical)
    actx = as_actor(ctx, acting)  # every event of the step names who applied it
    with ctx.sessions.begin() as session:
        row = load_correction(session, correction_id)
        move_state(session, row, (CorrectionState.WITNESSED,), CorrectionState.APPLIED)
        dataset_id = _store_dataset(actx, session, row, corrected, canonical, sha, stored)
        versions = tuple(
            _store_version(actx, session, row, dataset_id, corrected, doc, pdf)
            for doc, pdf in rendered
        )
        row.new_dataset_id = dataset_id
        row.applied_at = ctx.clock.now()
        add_step(ctx, session, row, "apply", acting, "apply", None, "")
        actx.record_event(
            session,
            "correction.applied",
            row.document_id,
            correction=row.id,
            dataset=dataset_id,
            versions=[
                {
                    "document": v.document_id,
                    "version": v.version,
                    "supersedes": v.supersedes_version,
                }
                for v in versions
            ],
        )
    # The corrected class data was proposed by a teacher, approved and witnessed by the homeroom
    # teacher: it is confirmed data (service.lifecycle), so later renders of the year go through.
    confirm_class(actx, None, row.class_id, year=row.school_year, school=row.school_code)
    return AppliedCorrection(correction_id, dataset_id, versions)


def _check_ready(row: CorrectionRow) -> None:
    state = CorrectionState(row.state)
    if state is CorrectionState.WITNESSED:
        return
    if state in (CorrectionState.REQUESTED, CorrectionState.APPROVED):
        missing = (
            "chưa được Hiệu trưởng phê duyệt"
            if state is CorrectionState.REQUESTED
            else "chưa đủ hai người chứng kiến (Ban quản trị và giáo viên chủ nhiệm)"
        )
        raise CorrectionConflict(
            f"Chưa áp dụng được đề nghị đính chính số {row.id}: {missing}.",
            hint="Điều 11.4: đính chính chỉ được thực hiện khi đã được phê duyệt và có người "
            "chứng kiến.",
        )
    if state is CorrectionState.REJECTED:
        raise CorrectionConflict(
            f"Đề nghị đính chính số {row.id} đã bị từ chối; không áp dụng được."
        )
    raise CorrectionConflict(
        f"Đề nghị đính chính số {row.id} đã được áp dụng.",
        hint="Ký lại các phiên bản mới theo quy trình ký («hsdt sign …»).",
    )


def _newest_dataset(session: Session, row: CorrectionRow) -> Dataset:
    """The school year's newest data: the correction changes what later imports build on."""
    newest = session.scalars(
        select(DatasetRow)
        .where(DatasetRow.school_code == row.school_code, DatasetRow.school_year == row.school_year)
        .order_by(DatasetRow.id.desc())
    ).first()
    assert newest is not None  # the correction's own dataset exists
    return dataset_from_json(newest.canonical)


def _render(
    ctx: Context, docs: tuple[RecordDocument, ...]
) -> list[tuple[RecordDocument, RenderedPdf]]:
    registry = plan_registry(ctx.home)
    return [
        (
            doc,
            render_document(
                doc, slots_for(doc, plan_for(doc, registry)), verify_url=ctx.settings.verify_url
            ),
        )
        for doc in docs
    ]


def _store_dataset(
    ctx: Context,
    session: Session,
    row: CorrectionRow,
    corrected: Dataset,
    canonical: bytes,
    sha: str,
    stored: Path,
) -> int:
    existing = session.scalar(select(DatasetRow.id).where(DatasetRow.sha256 == sha))
    if existing is not None:  # the corrected data was imported before (e.g. an undone mistake)
        return existing
    dataset = DatasetRow(
        school_code=corrected.school.code,
        school_year=corrected.school_year,
        sha256=sha,
        source_name=f"đính chính số {row.id}",
        source_path=ctx.home.relative(stored),
        canonical=canonical,
        warnings="[]",
        imported_at=ctx.clock.now(),
    )
    session.add(dataset)
    session.flush()
    store_class_slices(session, dataset.id, corrected)
    ctx.record_event(
        session,
        "dataset.corrected",
        f"dataset:{dataset.id}",
        sha256=sha,
        correction=row.id,
        base=row.dataset_id,
    )
    return dataset.id


def _store_version(
    ctx: Context,
    session: Session,
    row: CorrectionRow,
    dataset_id: int,
    corrected: Dataset,
    doc: RecordDocument,
    rendered: RenderedPdf,
) -> NewVersion:
    old = newest_version(session, doc.document_id)
    version = old.version + 1
    new = store_version(ctx, session, corrected, dataset_id, doc, rendered, version).row
    session.flush()
    session.add(
        SupersedesRow(
            document_row=new.id,
            supersedes_row=old.id,
            document_id=doc.document_id,
            version=version,
            supersedes_version=old.version,
            correction_id=row.id,
        )
    )
    ctx.record_event(
        session,
        "document.rendered",
        doc.document_id,
        version=version,
        sha256=rendered.sha256,
        supersedes=old.version,
        correction=row.id,
    )
    return NewVersion(doc.document_id, version, old.version, new.pdf_path, rendered.sha256)
