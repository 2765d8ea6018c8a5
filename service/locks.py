"""Lock windows (Điều 6.3, 13.1.a, 13.2.b, 14): administrators freeze a school, a district or a
whole province for a school year and term; every write to a record in scope is refused.

    open_lock(ctx, principal, scope, year=..., term=..., reason=...)   -> LockWindow
    close_lock(ctx, principal, window_id, reason=...)                  -> LockWindow
    list_locks(ctx, principal=None, active_only=False)                 -> list[LockWindow]
    ensure_writable(session, row, now=...)       # raises RecordLocked: the one write guard

Opening a window moves the signed record versions in scope to "locked" (remembered in
``lock_window_documents``); records not signed yet are *frozen* while the window is active (writes
refused, state kept). Closing gives back "signed" to what the window locked, unless it was
archived meanwhile or another active window still covers it. Terms map onto documents as in
docs/lifecycle.md: HK1 covers the summaries of GK1 and CK1; HK2 those of GK2 and CN plus the
yearly records (học bạ, sổ theo dõi: signed at the end of the year); "year" covers everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, defer

from service.authz import Action, Principal, ResourceRef, require
from service.context import Context
from service.dataset_slices import school_json
from service.db.correction_models import SupersedesRow
from service.db.lifecycle_models import LockedDocumentRow, LockWindowRow
from service.db.models import DatasetRow, DocumentRow
from service.errors import HsdtError

__all__ = [
    "ARCHIVED",
    "LOCKED",
    "SIGNED",
    "LockScope",
    "LockTerm",
    "LockWindow",
    "Place",
    "RecordLocked",
    "active_windows",
    "close_lock",
    "covering_for",
    "covering_window",
    "ensure_document_writable",
    "ensure_row_writable",
    "ensure_writable",
    "list_locks",
    "lock_completed",
    "open_lock",
    "place_of_dataset",
    "school_place",
]

SIGNED, LOCKED, ARCHIVED = "signed", "locked", "archived"  # stored document states
CORRECTION_HINT = (
    "Muốn sửa hồ sơ đã khoá, giáo viên gửi đề nghị đính chính để Hiệu trưởng phê duyệt "
    "(Điều 11.4); hoặc chờ quản trị viên đóng đợt khoá."
)


class LockTerm(StrEnum):
    HK1 = "HK1"
    HK2 = "HK2"
    YEAR = "year"

    @property
    def label(self) -> str:
        return {LockTerm.HK1: "học kì I", LockTerm.HK2: "học kì II", LockTerm.YEAR: "cả năm"}[self]

    def covers(self, point: str | None) -> bool:
        """Whether documents of this assessment point (None: a yearly record) are in the term."""
        if self is LockTerm.YEAR:
            return True
        if self is LockTerm.HK1:
            return point in ("GK1", "CK1")
        return point in ("GK2", "CN", None)


@dataclass(frozen=True)
class Place:
    """Where a school is (codes as in its dataset)."""

    province: str
    district: str
    school: str


@dataclass(frozen=True)
class LockScope:
    """A window's reach: a whole province, one district, or one school (with its district)."""

    province: str
    district: str | None = None
    school: str | None = None

    def __post_init__(self) -> None:
        if self.school is not None and self.district is None:
            raise ValueError("LockScope: a school needs its district")

    def covers(self, place: Place) -> bool:
        return (
            self.province == place.province
            and (self.district is None or self.district == place.district)
            and (self.school is None or self.school == place.school)
        )

    def describe(self) -> str:
        if self.school is not None:
            return f"trường {self.school}"
        if self.district is not None:
            return f"Phòng {self.district} (tỉnh {self.province})"
        return f"tỉnh {self.province}"


@dataclass(frozen=True)
class LockWindow:
    id: int
    scope: LockScope
    year: str
    term: LockTerm
    reason: str
    opened_by: str
    opened_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    close_reason: str | None
    documents: int = 0  # versions this window locked (open) / gave back (close)

    @property
    def active(self) -> bool:
        return self.closed_at is None

    def describe(self) -> str:
        return (
            f"đợt khoá số {self.id} ({self.scope.describe()}, năm học {self.year}, "
            f"{self.term.label})"
        )


class RecordLocked(HsdtError):
    """A write to a locked, archived or frozen record (``deny.locked``). Nothing was written."""

    code = "deny.locked"

    def __init__(self, what: str, why: str, *, window: LockWindow | None = None) -> None:
        super().__init__(f"{what}: {why} — không được ghi.", hint=CORRECTION_HINT)
        self.window = window


# -------------------------------------------------------------------------- places


_PLACES: dict[str, Place] = {}  # dataset sha256 → place (datasets never change)


def place_of_dataset(session: Session, dataset_id: int) -> Place:
    sha = session.scalar(select(DatasetRow.sha256).where(DatasetRow.id == dataset_id))
    if sha is None:
        raise HsdtError(f"Không có bộ dữ liệu số {dataset_id}.")
    place = _PLACES.get(sha)
    if place is None:
        data = json.loads(bytes(school_json(session, dataset_id) or b"{}"))
        place = Place(data["province"]["code"], data["district"]["code"], data["school"]["code"])
        _PLACES[sha] = place
    return place


def school_place(ctx: Context, school: str) -> Place:
    """Where a school is, from its newest stored dataset."""
    with ctx.sessions() as session:
        dataset_id = session.scalar(
            select(DatasetRow.id)
            .where(DatasetRow.school_code == school)
            .order_by(DatasetRow.id.desc())
            .limit(1)
        )
        if dataset_id is None:
            raise HsdtError(
                f"Chưa có dữ liệu nào của trường {school}: không biết trường thuộc Phòng, "
                "tỉnh nào.",
                hint="Kiểm tra mã trường, hoặc ghi rõ --district và --province.",
            )
        return place_of_dataset(session, dataset_id)


# -------------------------------------------------------------------------- coverage


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def active_windows(session: Session, now: datetime) -> list[LockWindowRow]:
    """Windows open at ``now`` (opened before it and not closed by then), oldest first."""
    rows = session.scalars(select(LockWindowRow).order_by(LockWindowRow.id)).all()
    return [
        w
        for w in rows
        if _aware(w.opened_at) <= now and (w.closed_at is None or _aware(w.closed_at) > now)
    ]


def _scope(w: LockWindowRow) -> LockScope:
    return LockScope(w.province, w.district, w.school)


def _covers(w: LockWindowRow, place: Place, year: str, point: str | None) -> bool:
    return w.school_year == year and LockTerm(w.term).covers(point) and _scope(w).covers(place)


def covering_window(
    session: Session,
    row: DocumentRow,
    *,
    now: datetime,
    windows: Sequence[LockWindowRow] | None = None,
) -> LockWindowRow | None:
    """The oldest active window covering the document version ``row``, if any."""
    windows = active_windows(session, now) if windows is None else windows
    if not windows:
        return None
    place = place_of_dataset(session, row.dataset_id)
    year = session.scalar(select(DatasetRow.school_year).where(DatasetRow.id == row.dataset_id))
    return next((w for w in windows if _covers(w, place, year or "", row.point)), None)


def covering_for(
    place: Place,
    year: str,
    point: str | None,
    windows: Sequence[LockWindowRow],
) -> LockWindowRow | None:
    """The first of ``windows`` covering a record of ``place``/``year``/``point``."""
    return next((w for w in windows if _covers(w, place, year, point)), None)


def _locking_window(session: Session, row_id: int) -> LockWindowRow | None:
    return session.scalars(
        select(LockWindowRow)
        .join(LockedDocumentRow, LockedDocumentRow.window_id == LockWindowRow.id)
        .where(LockedDocumentRow.document_row == row_id)
        .order_by(LockWindowRow.id.desc())
    ).first()


def ensure_writable(
    session: Session,
    row: DocumentRow,
    *,
    now: datetime,
    windows: Sequence[LockWindowRow] | None = None,
) -> None:
    """The one write guard: raises ``RecordLocked`` when ``row`` is locked, archived or frozen by
    an active window. Call it before writing anything (and again inside the writing transaction
    where a window may have opened meanwhile)."""
    what = f"Hồ sơ {row.document_id} (phiên bản {row.version}, lớp {row.class_id})"
    if row.state not in (LOCKED, ARCHIVED) and _made_by_correction(session, row.id):
        # the correction workflow (Điều 11.4) is the sanctioned way past a window: its new
        # version completes its plan under the window, which then locks it (lock_completed)
        return
    if row.state == ARCHIVED:
        raise RecordLocked(what, "đã lưu trữ vĩnh viễn; chỉ sửa được qua đính chính")
    window = covering_window(session, row, now=now, windows=windows)
    if row.state == LOCKED and window is None:
        window = _locking_window(session, row.id)
    if window is not None:
        view = _view(window)
        state = "đã khoá" if row.state == LOCKED else "đang bị phong toả"
        raise RecordLocked(what, f"{state} bởi {_by(view)}", window=view)
    if row.state == LOCKED:
        raise RecordLocked(what, "đã khoá")


def ensure_place_writable(
    session: Session, place: Place, year: str, point: str | None, what: str, *, now: datetime
) -> None:
    """The guard for a record not rendered yet: refused while an active window covers it."""
    window = covering_for(place, year, point, active_windows(session, now))
    if window is not None:
        view = _view(window)
        raise RecordLocked(what, f"đang bị phong toả bởi {_by(view)}", window=view)


def _by(w: LockWindow) -> str:
    when = w.opened_at.strftime("%d/%m/%Y")
    return f"{w.describe()}, do {w.opened_by} mở ngày {when}, lí do: «{w.reason}»"


# -------------------------------------------------------------------------- use cases


def _ref(scope: LockScope, year: str) -> ResourceRef:
    return ResourceRef(scope.province, scope.district, scope.school, year=year)


def open_lock(
    ctx: Context,
    principal: Principal | None,
    scope: LockScope,
    *,
    year: str,
    term: LockTerm,
    reason: str,
) -> LockWindow:
    """Open a window: signed record versions in scope become "locked", the others are frozen."""
    if principal is not None:
        require(principal, Action.RECORD_LOCK, _ref(scope, year))
    reason = reason.strip()
    if not reason:
        raise HsdtError(
            "Mở đợt khoá phải ghi lí do.", hint="Ví dụ: --reason 'Khoá sổ cuối học kì I'."
        )
    actor = principal.account_id if principal is not None else ctx.actor
    now = ctx.clock.now()
    with ctx.sessions.begin() as session:
        window = LockWindowRow(
            province=scope.province,
            district=scope.district,
            school=scope.school,
            school_year=year,
            term=term.value,
            reason=reason,
            opened_by=actor,
            opened_at=now,
        )
        session.add(window)
        session.flush()
        locked = 0
        for row in _rows_in(session, window, states=(SIGNED,)):
            row.state = LOCKED
            session.add(LockedDocumentRow(window_id=window.id, document_row=row.id))
            locked += 1
        ctx.record_event(
            session,
            "lock.opened",
            f"lock:{window.id}",
            by=actor,
            scope=scope.describe(),
            province=scope.province,
            district=scope.district,
            school=scope.school,
            year=year,
            term=term.value,
            reason=reason,
            locked=locked,
        )
        session.flush()
        view = _view(window, documents=locked)
    return view


def close_lock(
    ctx: Context, principal: Principal | None, window_id: int, *, reason: str
) -> LockWindow:
    """Close (unlock) a window: what it locked is "signed" again, unless archived meanwhile or
    still covered by another active window (which then holds it)."""
    reason = reason.strip()
    with ctx.sessions.begin() as session:
        window = session.get(LockWindowRow, window_id)
        if window is None:
            raise HsdtError(
                f"Không có đợt khoá số {window_id}.", hint="Xem các đợt khoá: «hsdt lock list»."
            )
        if principal is not None:
            require(principal, Action.RECORD_UNLOCK, _ref(_scope(window), window.school_year))
        if window.closed_at is not None:
            raise HsdtError(
                f"Đợt khoá số {window_id} đã được {window.closed_by} đóng lúc "
                f"{_aware(window.closed_at):%d/%m/%Y %H:%M} UTC.",
            )
        if not reason:
            raise HsdtError(
                "Đóng đợt khoá phải ghi lí do.", hint="Ví dụ: --reason 'Kết thúc kiểm tra'."
            )
        actor = principal.account_id if principal is not None else ctx.actor
        now = ctx.clock.now()
        window.closed_by, window.closed_at, window.close_reason = actor, now, reason
        session.flush()
        others = [w for w in active_windows(session, now) if w.id != window.id]
        released = kept = 0
        members = session.scalars(
            select(LockedDocumentRow).where(LockedDocumentRow.window_id == window.id)
        ).all()
        for member in members:
            row = session.get(DocumentRow, member.document_row, options=[defer(DocumentRow.pdf)])
            if row is None or row.state != LOCKED:
                continue  # archived meanwhile: stays archived (only a correction changes it)
            holder = covering_window(session, row, now=now, windows=others)
            if holder is not None:
                session.merge(LockedDocumentRow(window_id=holder.id, document_row=row.id))
                kept += 1
            else:
                row.state = SIGNED
                released += 1
        ctx.record_event(
            session,
            "lock.closed",
            f"lock:{window.id}",
            by=actor,
            reason=reason,
            released=released,
            still_locked=kept,
        )
        session.flush()
        view = _view(window, documents=released)
    return view


def list_locks(
    ctx: Context, principal: Principal | None = None, *, active_only: bool = False
) -> list[LockWindow]:
    """Every window (newest first); with a principal, only those they may see (record.view
    over the window's scope)."""
    from service.authz import authorize

    with ctx.sessions() as session:
        query = select(LockWindowRow).order_by(LockWindowRow.id.desc())
        if active_only:
            query = query.where(LockWindowRow.closed_at.is_(None))
        rows = session.scalars(query).all()
        views = []
        for w in rows:
            count = len(
                session.scalars(
                    select(LockedDocumentRow.document_row).where(
                        LockedDocumentRow.window_id == w.id
                    )
                ).all()
            )
            views.append(_view(w, documents=count))
    if principal is None:
        return views
    return [
        v
        for v in views
        if authorize(principal, Action.RECORD_VIEW, _ref(v.scope, v.year)).allowed
        or authorize(principal, Action.RECORD_LOCK, _ref(v.scope, v.year)).allowed
    ]


def _rows_in(
    session: Session, window: LockWindowRow, *, states: Iterable[str]
) -> list[DocumentRow]:
    """Document versions of the window's year in the given stored states that it covers."""
    query = (
        select(DocumentRow)
        .options(defer(DocumentRow.pdf))
        .join(DatasetRow, DatasetRow.id == DocumentRow.dataset_id)
        .where(DatasetRow.school_year == window.school_year, DocumentRow.state.in_(list(states)))
        .order_by(DocumentRow.id)
    )
    if window.school is not None:
        query = query.where(DatasetRow.school_code == window.school)
    term = LockTerm(window.term)
    if term is LockTerm.HK1:
        query = query.where(DocumentRow.point.in_(["GK1", "CK1"]))
    elif term is LockTerm.HK2:
        query = query.where(or_(DocumentRow.point.in_(["GK2", "CN"]), DocumentRow.point.is_(None)))
    scope = _scope(window)
    rows = session.scalars(query).all()
    return [r for r in rows if scope.covers(place_of_dataset(session, r.dataset_id))]


def _view(w: LockWindowRow, *, documents: int = 0) -> LockWindow:
    return LockWindow(
        w.id,
        _scope(w),
        w.school_year,
        LockTerm(w.term),
        w.reason,
        w.opened_by,
        _aware(w.opened_at),
        w.closed_by,
        _aware(w.closed_at) if w.closed_at is not None else None,
        w.close_reason,
        documents,
    )


def ensure_row_writable(session: Session, row_id: int, *, now: datetime) -> None:
    """``ensure_writable`` for the document version with primary key ``row_id``."""
    row = session.get(DocumentRow, row_id, options=[defer(DocumentRow.pdf)])
    if row is None:
        raise HsdtError(f"Không còn bản ghi hồ sơ số {row_id} trong cơ sở dữ liệu.")
    ensure_writable(session, row, now=now)


def ensure_document_writable(ctx: Context, row_id: int) -> None:
    """The guard before a write that happens outside a transaction (signing reads, then signs)."""
    with ctx.sessions() as session:
        ensure_row_writable(session, row_id, now=ctx.clock.now())


def _made_by_correction(session: Session, row_id: int) -> bool:
    link = select(SupersedesRow.id).where(SupersedesRow.document_row == row_id).limit(1)
    return session.scalar(link) is not None


def lock_completed(ctx: Context) -> int:
    """Lock the signed versions that active windows cover but did not lock when they opened:
    versions whose plan completed under the window (a correction's new version). The archive
    calls this before it looks for work, so such a version is archived by the next run."""
    now = ctx.clock.now()
    locked = 0
    with ctx.sessions.begin() as session:
        for window in active_windows(session, now):
            rows = _rows_in(session, window, states=(SIGNED,))
            for row in rows:
                row.state = LOCKED
                session.add(LockedDocumentRow(window_id=window.id, document_row=row.id))
            if rows:
                ctx.record_event(
                    session,
                    "lock.applied",
                    f"lock:{window.id}",
                    documents=[f"{r.document_id}/v{r.version}" for r in rows],
                )
                locked += len(rows)
    return locked
