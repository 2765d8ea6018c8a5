"""The record lifecycle: draft → data confirmed → signing → signed → locked → archived.

    confirm_class(ctx, principal, class_id, year=...)   the homeroom teacher confirms a class's data
    record_state(session, row, now=...)                  a stored version's RecordState (one place)
    class_state(session, school, year, class_id, ds)     DRAFT or CONFIRMED for a class's data
    ensure_confirmed(session, ds, dataset_id, classes)   rendering needs confirmed data
    guard_data_change(session, ds, ...)                  new data must not change a locked record

A confirmation names the exact data confirmed: the dataset (id and SHA-256) and the class's own
digest — the SHA-256 over the content hashes of every record book of the class, i.e. the data as
it appears on its records. New data that changes the class voids it (the class is a draft again);
an import of another class, which leaves this class's records identical, does not.
See docs/lifecycle.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from records.canonical import canonical_json
from records.documents import RecordDocument, all_documents
from records.model import Dataset
from service.authz import Action, Principal, RecordState, ResourceRef, require
from service.context import Context
from service.dataset_slices import class_slice
from service.db.lifecycle_models import ConfirmationRow, LockWindowRow
from service.db.models import DatasetRow, DocumentRow
from service.errors import HsdtError
from service.locks import (
    ARCHIVED,
    LOCKED,
    SIGNED,
    Place,
    active_windows,
    covering_for,
    covering_window,
    ensure_place_writable,
    ensure_writable,
    place_of_dataset,
)

__all__ = [
    "Confirmation",
    "NotConfirmed",
    "RecordStatus",
    "class_digest",
    "class_documents",
    "class_state",
    "confirm_class",
    "ensure_confirmed",
    "guard_data_change",
    "record_state",
    "record_states",
    "void_changed_confirmations",
]

_STORED = {
    "rendered": RecordState.CONFIRMED,  # rendered only from confirmed data
    "signing": RecordState.SIGNING,
    SIGNED: RecordState.SIGNED,
    LOCKED: RecordState.LOCKED,
    ARCHIVED: RecordState.ARCHIVED,
}


class NotConfirmed(HsdtError):
    """Rendering a class whose data nobody confirmed (or whose confirmation new data voided)."""


@dataclass(frozen=True)
class Confirmation:
    id: int
    school: str
    year: str
    class_id: str
    dataset_id: int
    dataset_sha256: str
    class_sha256: str
    confirmed_by: str
    confirmed_at: datetime
    created: bool  # False: the very same data was already confirmed


# -------------------------------------------------------------------------- digests


def class_documents(ds: Dataset, class_id: str) -> list[RecordDocument]:
    """The record books of one class (payloads computed for that class only)."""
    classes = [c for c in ds.classes if c.id == class_id]
    if not classes:
        return []
    return list(all_documents(ds.model_copy(update={"classes": classes})))


def content_hash(doc: RecordDocument) -> str:
    """= the renderer's ``content_hash``: SHA-256 of the payload's canonical JSON."""
    return hashlib.sha256(canonical_json(doc.payload)).hexdigest()


def digest_of(docs: Iterable[RecordDocument]) -> str:
    lines = sorted(f"{d.document_id} {content_hash(d)}" for d in docs)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def class_digest(ds: Dataset, class_id: str) -> str:
    return digest_of(class_documents(ds, class_id))


# -------------------------------------------------------------------------- states


def record_state(
    session: Session,
    row: DocumentRow,
    *,
    now: datetime,
    windows: Sequence[LockWindowRow] | None = None,
) -> RecordState:
    """The lifecycle state of a stored document version. A signed version an active window covers
    counts as locked even before the window's own update reached it; versions not yet signed that
    a window covers are *frozen* (``ensure_writable`` refuses writes) but keep their state."""
    state = _STORED.get(row.state)
    if state is None:
        raise HsdtError(f"Hồ sơ {row.document_id}: trạng thái lưu trữ lạ «{row.state}».")
    if (
        state is RecordState.SIGNED
        and covering_window(session, row, now=now, windows=windows) is not None
    ):
        return RecordState.LOCKED
    return state


def valid_confirmation(
    session: Session, school: str, year: str, class_id: str, digest: str
) -> ConfirmationRow | None:
    return session.scalars(
        select(ConfirmationRow)
        .where(
            ConfirmationRow.school_code == school,
            ConfirmationRow.school_year == year,
            ConfirmationRow.class_id == class_id,
            ConfirmationRow.class_sha256 == digest,
            ConfirmationRow.voided_at.is_(None),
        )
        .order_by(ConfirmationRow.id.desc())
    ).first()


def class_state(
    session: Session, school: str, year: str, class_id: str, ds: Dataset
) -> RecordState:
    """DRAFT or CONFIRMED: the state of a class's data (its records before rendering)."""
    digest = class_digest(ds, class_id)
    found = valid_confirmation(session, school, year, class_id, digest)
    return RecordState.CONFIRMED if found is not None else RecordState.DRAFT


# -------------------------------------------------------------------------- confirmation


def _dataset_for(
    session: Session, class_id: str, school: str | None, year: str | None
) -> tuple[DatasetRow, Dataset]:
    # the whole year's JSON stays unread: only the class's slice is (service.dataset_slices)
    query = select(DatasetRow).options(defer(DatasetRow.canonical)).order_by(DatasetRow.id.desc())
    if school is not None:
        query = query.where(DatasetRow.school_code == school)
    if year is not None:
        query = query.where(DatasetRow.school_year == year)
    # newest per school and year: the stored year every import merges into
    seen: set[tuple[str, str]] = set()
    for row in session.scalars(query):
        key = (row.school_code, row.school_year)
        if key in seen:
            continue
        seen.add(key)
        ds = class_slice(session, row.id, class_id)
        if ds is not None:
            return row, ds
    where = ", ".join(
        p for p in (f"trường {school}" if school else "", f"năm học {year}" if year else "") if p
    )
    raise HsdtError(
        f"Không có lớp {class_id} trong dữ liệu đã nhập{f' ({where})' if where else ''}.",
        hint="Kiểm tra mã lớp và năm học (--year), hoặc nhập dữ liệu của lớp trước.",
    )


def confirm_class(
    ctx: Context,
    principal: Principal | None,
    class_id: str,
    *,
    year: str | None = None,
    school: str | None = None,
) -> Confirmation:
    """Confirm a class's data as stored now (the newest dataset of its school year).

    Confirming the very same data again is a no-op (returns the existing confirmation)."""
    actor = principal.account_id if principal is not None else ctx.actor
    with ctx.sessions.begin() as session:
        row, ds = _dataset_for(session, class_id, school, year)
        digest = stored_class_digest(session, row.id, ds, class_id)
        existing = valid_confirmation(session, row.school_code, row.school_year, class_id, digest)
        state = RecordState.CONFIRMED if existing is not None else RecordState.DRAFT
        if principal is not None:
            place = place_of_dataset(session, row.id)
            ref = ResourceRef(
                place.province,
                place.district,
                place.school,
                year=row.school_year,
                class_id=class_id,
                state=RecordState.DRAFT,  # confirming the same data again changes nothing
            )
            require(principal, Action.DATASET_CONFIRM, ref)
        if existing is not None:
            return _view(existing, created=False)
        confirmation = ConfirmationRow(
            school_code=row.school_code,
            school_year=row.school_year,
            class_id=class_id,
            dataset_id=row.id,
            dataset_sha256=row.sha256,
            class_sha256=digest,
            confirmed_by=actor,
            confirmed_at=ctx.clock.now(),
        )
        session.add(confirmation)
        session.flush()
        ctx.record_event(
            session,
            "dataset.confirmed",
            f"class:{row.school_code}/{row.school_year}/{class_id}",
            by=actor,
            dataset=row.id,
            dataset_sha256=row.sha256,
            class_sha256=digest,
            previous_state=state.value,
        )
        return _view(confirmation, created=True)


def void_changed_confirmations(
    ctx: Context, session: Session, ds: Dataset, dataset_id: int
) -> list[str]:
    """In an import's transaction: void the confirmations of classes whose data ``ds`` changes.
    Returns the classes back to draft."""
    active = session.scalars(
        select(ConfirmationRow).where(
            ConfirmationRow.school_code == ds.school.code,
            ConfirmationRow.school_year == ds.school_year,
            ConfirmationRow.voided_at.is_(None),
        )
    ).all()
    voided: list[str] = []
    digests: dict[str, str] = {}
    for conf in active:
        if conf.class_id not in digests:
            digests[conf.class_id] = stored_class_digest(session, dataset_id, ds, conf.class_id)
        if digests[conf.class_id] == conf.class_sha256:
            continue
        conf.voided_at = ctx.clock.now()
        conf.voided_by_dataset = dataset_id
        voided.append(conf.class_id)
        ctx.record_event(
            session,
            "dataset.confirmation_voided",
            f"class:{conf.school_code}/{conf.school_year}/{conf.class_id}",
            confirmation=conf.id,
            dataset=dataset_id,
        )
    return sorted(set(voided))


_DIGESTS: dict[tuple[str, str], str] = {}  # (dataset sha256, class) → digest: datasets never change


def stored_class_digest(session: Session, dataset_id: int, ds: Dataset, class_id: str) -> str:
    """``class_digest`` of the stored dataset ``dataset_id`` (= ``ds``), computed once."""
    sha = session.scalar(select(DatasetRow.sha256).where(DatasetRow.id == dataset_id)) or ""
    key = (sha, class_id)
    if key not in _DIGESTS:
        _DIGESTS[key] = class_digest(ds, class_id)
    return _DIGESTS[key]


def ensure_confirmed(
    session: Session, dataset_id: int, ds: Dataset, class_ids: Iterable[str]
) -> dict[str, ConfirmationRow]:
    """Every class has its data (exactly as in ``ds``) confirmed; else NotConfirmed naming the
    classes and what to do."""
    found: dict[str, ConfirmationRow] = {}
    missing: list[str] = []
    for class_id in sorted(set(class_ids)):
        digest = stored_class_digest(session, dataset_id, ds, class_id)
        conf = valid_confirmation(session, ds.school.code, ds.school_year, class_id, digest)
        if conf is None:
            missing.append(class_id)
        else:
            found[class_id] = conf
    if missing:
        raise NotConfirmed(
            f"Dữ liệu lớp {', '.join(missing)} (trường {ds.school.code}, năm học "
            f"{ds.school_year}) chưa được xác nhận, hoặc đã thay đổi sau khi xác nhận: chưa "
            "kết xuất hồ sơ.",
            hint=f"Giáo viên chủ nhiệm kiểm tra rồi xác nhận dữ liệu: «hsdt confirm {missing[0]} "
            f"--year {ds.school_year}», sau đó kết xuất lại.",
        )
    return found


# -------------------------------------------------------------------------- data guard


_FEW = 200  # up to this many documents: ask for them by id (a job renders one per task)


def _newest_rows(
    session: Session, school: str, year: str, ids: Sequence[str] | None
) -> dict[str, DocumentRow]:
    """Newest version per document of the school year (without their bytes)."""
    newest = (
        select(DocumentRow.document_id, func.max(DocumentRow.version).label("v"))
        .join(DatasetRow, DatasetRow.id == DocumentRow.dataset_id)
        .where(DatasetRow.school_code == school, DatasetRow.school_year == year)
        .group_by(DocumentRow.document_id)
    )
    if ids is not None and len(ids) <= _FEW:
        newest = newest.where(DocumentRow.document_id.in_(list(ids)))
    sub = newest.subquery()
    rows = session.scalars(
        select(DocumentRow)
        .options(defer(DocumentRow.pdf))
        .join(
            sub, (sub.c.document_id == DocumentRow.document_id) & (sub.c.v == DocumentRow.version)
        )
    ).all()
    return {r.document_id: r for r in rows}


def guard_data_change(
    session: Session,
    ds: Dataset,
    place: Place,
    *,
    now: datetime,
    docs: Sequence[RecordDocument] | None = None,
    before: Callable[[], Dataset | None] | None = None,
) -> None:
    """Raise ``RecordLocked`` when ``ds`` would change a record that is locked, archived or frozen
    by an active window (compared with its newest stored version, or — for a record not rendered
    yet — with ``before``, the data stored until now). Nothing is computed when nothing is
    protected (no locked or archived record of the school year, no active window)."""
    windows = [w for w in active_windows(session, now) if w.school_year == ds.school_year]
    ids = [d.document_id for d in docs] if docs is not None else None
    rows = _newest_rows(session, ds.school.code, ds.school_year, ids)
    protected_rows = {k: r for k, r in rows.items() if r.state in (LOCKED, ARCHIVED)}
    if not windows and not protected_rows:
        return
    if docs is None:
        docs = list(all_documents(ds))
    old: dict[str, str] | None = None
    for doc in docs:
        row = rows.get(doc.document_id)
        point = doc.point.value if doc.point else None
        if row is not None:
            if row.state not in (LOCKED, ARCHIVED) and not _covered(windows, place, ds, point):
                continue
            if row.content_hash != content_hash(doc):
                ensure_writable(session, row, now=now, windows=windows)
            continue
        if not _covered(windows, place, ds, point):
            continue
        if old is None:
            previous = before() if before is not None else None
            listed = all_documents(previous) if previous is not None else ()
            old = {d.document_id: content_hash(d) for d in listed}
        if old.get(doc.document_id) != content_hash(doc):
            what = f"Hồ sơ {doc.document_id} (lớp {doc.class_id}, chưa kết xuất)"
            ensure_place_writable(session, place, ds.school_year, point, what, now=now)


def _covered(
    windows: Sequence[LockWindowRow], place: Place, ds: Dataset, point: str | None
) -> bool:
    return covering_for(place, ds.school_year, point, windows) is not None


def _view(row: ConfirmationRow, *, created: bool) -> Confirmation:
    at = row.confirmed_at if row.confirmed_at.tzinfo else row.confirmed_at.replace(tzinfo=UTC)
    return Confirmation(
        row.id,
        row.school_code,
        row.school_year,
        row.class_id,
        row.dataset_id,
        row.dataset_sha256,
        row.class_sha256,
        row.confirmed_by,
        at,
        created,
    )


# -------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class RecordStatus:
    """One record's newest version and where it stands (``hsdt records state``, the API)."""

    document_id: str
    class_id: str
    point: str | None
    version: int
    state: RecordState
    frozen_by: int | None  # the active lock window covering it, if any


def record_states(
    ctx: Context, *, school: str | None = None, year: str | None = None, class_id: str | None = None
) -> list[RecordStatus]:
    """The newest version of every stored record matching the filters, with its state."""
    newest = (
        select(DocumentRow.document_id, func.max(DocumentRow.version).label("v"))
        .group_by(DocumentRow.document_id)
        .subquery()
    )
    query = (
        select(DocumentRow)
        .options(defer(DocumentRow.pdf))
        .join(
            newest,
            (newest.c.document_id == DocumentRow.document_id) & (newest.c.v == DocumentRow.version),
        )
        .join(DatasetRow, DatasetRow.id == DocumentRow.dataset_id)
        .order_by(DatasetRow.school_code, DocumentRow.class_id, DocumentRow.document_id)
    )
    if school is not None:
        query = query.where(DatasetRow.school_code == school)
    if year is not None:
        query = query.where(DatasetRow.school_year == year)
    if class_id is not None:
        query = query.where(DocumentRow.class_id == class_id)
    now = ctx.clock.now()
    with ctx.sessions() as session:
        windows = active_windows(session, now)
        out = []
        for row in session.scalars(query):
            window = covering_window(session, row, now=now, windows=windows)
            out.append(
                RecordStatus(
                    row.document_id,
                    row.class_id,
                    row.point,
                    row.version,
                    record_state(session, row, now=now, windows=windows),
                    window.id if window is not None else None,
                )
            )
    return out
