"""The steps of a correction after lock (Điều 11.4), each an explicit, attributable action.

    request (homeroom or subject teacher) → approve | reject (principal)
    → witness by a member of the school's board and by the class's homeroom teacher (any order)
    → apply (``corrections_apply``) → re-signed through the plan → done

Every step takes the acting ``Principal`` and calls ``service.authz.require`` with the parties so
far (``CorrectionRef``): separation of duties is the permission matrix's. ``principal=None`` is
the local operator on the CLI, who has the home's files anyway: they name who acts (``by``) and
the part they play, the step is authorized for a principal holding exactly that part at the
record's scope (so the same order and separation-of-duties rules hold between the names given),
and it is recorded as ``local:<name>``. Each step writes its row and its audit event in one
transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from service.authz import (
    Action,
    CorrectionRef,
    Decision,
    Forbidden,
    Grant,
    Principal,
    Role,
    Scope,
    authorize,
    require,
)
from service.context import Context
from service.corrections_edits import FieldEdit, InvalidCorrection, apply_edits
from service.corrections_records import RecordInfo, read_record, resource_for
from service.db.correction_models import CorrectionRow, CorrectionStepRow
from service.errors import HsdtError

__all__ = [
    "OPEN_STATES",
    "Acting",
    "CorrectionConflict",
    "CorrectionNotFound",
    "CorrectionParties",
    "CorrectionState",
    "WitnessPart",
    "acting_as",
    "add_step",
    "approve_correction",
    "as_actor",
    "correction_parties",
    "correction_ref",
    "current_record",
    "edits_of",
    "forbidden",
    "load_correction",
    "move_state",
    "reject_correction",
    "request_correction",
    "witness_correction",
]


class CorrectionState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITNESSED = "witnessed"  # both witnesses: ready to apply
    APPLIED = "applied"  # new versions rendered, waiting for their signatures
    DONE = "done"  # every new version signed through its plan (derived, see history)

    @property
    def label(self) -> str:
        return {
            CorrectionState.REQUESTED: "chờ Hiệu trưởng duyệt",
            CorrectionState.APPROVED: "đã duyệt, chờ chứng kiến",
            CorrectionState.REJECTED: "bị từ chối",
            CorrectionState.WITNESSED: "đủ người chứng kiến, chờ áp dụng",
            CorrectionState.APPLIED: "đã tạo phiên bản mới, chờ ký lại",
            CorrectionState.DONE: "hoàn tất",
        }[self]


class CorrectionConflict(HsdtError):
    """The step does not fit the correction's state (out of order, done already, superseded)."""

    code = "correction.conflict"


class CorrectionNotFound(HsdtError):
    code = "correction.not_found"


OPEN_STATES = (CorrectionState.REQUESTED, CorrectionState.APPROVED, CorrectionState.WITNESSED)


class WitnessPart(StrEnum):
    """The two witnesses Điều 11.4 asks for."""

    BOARD = "board_member"
    HOMEROOM = "homeroom_teacher"

    @property
    def role(self) -> Role:
        return Role(self.value)


@dataclass(frozen=True)
class Acting:
    actor: str  # account id, or "local:<name>"
    principal: Principal | None


def acting_as(ctx: Context, principal: Principal | None, by: str | None) -> Acting:
    if principal is not None:
        return Acting(principal.account_id, principal)
    name = (by or "").strip()
    if not name:
        raise HsdtError(
            "Chưa ghi người thực hiện bước đính chính.",
            hint="Mỗi bước phải ghi rõ ai làm: thêm --by TÊN_TÀI_KHOẢN (hoặc họ tên).",
        )
    return Acting(f"local:{name}", None)


def _local_principal(actor: str, record: RecordInfo, role: Role) -> Principal:
    """A principal holding exactly ``role`` at the record's scope, for the local operator."""
    ds = record.dataset
    school = Scope(ds.province.code, ds.district.code, ds.school.code)
    if role is Role.HOMEROOM_TEACHER:
        cls = next(c for c in ds.classes if c.id == record.class_id)
        scope = replace(school, year=ds.school_year, classes=frozenset({record.class_id}))
        grant = Grant(role, scope, cls.homeroom_teacher)
    elif role is Role.PRINCIPAL:
        grant = Grant(role, school, ds.school.principal)
    else:
        grant = Grant(role, school)
    return Principal(actor, (grant,))


def correction_ref(session: Session, row: CorrectionRow) -> CorrectionRef:
    steps = _steps(session, row.id)
    return CorrectionRef(
        requested_by=row.requested_by,
        approved_by=next((s.actor for s in steps if s.step == "approve"), None),
        rejected_by=next((s.actor for s in steps if s.step == "reject"), None),
        witnessed_by=tuple(s.actor for s in steps if s.step == "witness"),
    )


def _steps(session: Session, correction_id: int) -> list[CorrectionStepRow]:
    return list(
        session.scalars(
            select(CorrectionStepRow)
            .where(CorrectionStepRow.correction_id == correction_id)
            .order_by(CorrectionStepRow.id)
        )
    )


def load_correction(session: Session, correction_id: int) -> CorrectionRow:
    row = session.get(CorrectionRow, correction_id)
    if row is None:
        raise CorrectionNotFound(
            f"Không có đề nghị đính chính số {correction_id}.",
            hint="«hsdt correction list» liệt kê các đề nghị.",
        )
    return row


@dataclass(frozen=True)
class CorrectionParties:
    """What the API needs to authorize a step before calling it: the record, the subject of the
    edits, and the parties so far."""

    document_id: str
    subject: str | None
    ref: CorrectionRef


def correction_parties(ctx: Context, correction_id: int) -> CorrectionParties:
    with ctx.sessions() as session:
        row = load_correction(session, correction_id)
        return CorrectionParties(
            row.document_id, _subject(edits_of(row)), correction_ref(session, row)
        )


def edits_of(row: CorrectionRow) -> tuple[FieldEdit, ...]:
    return tuple(FieldEdit.from_json(e) for e in json.loads(row.changes))


def _subject(edits: tuple[FieldEdit, ...]) -> str | None:
    """The one subject every edit is about (a subject teacher corrects only theirs), or None."""
    subjects = {e.subject for e in edits}
    return subjects.pop() if len(subjects) == 1 else None


# ---------------------------------------------------------------------------- request


def request_correction(
    ctx: Context,
    principal: Principal | None,
    document_id: str,
    *,
    reason: str,
    edits: tuple[FieldEdit, ...],
    by: str | None = None,
) -> int:
    """A teacher asks to correct a locked or archived record; the new correction's id.

    The edits are checked now: old values against the stored data (``StaleEdit``), the corrected
    data against the records rules (``InvalidCorrection``, with the findings). Nothing is stored
    unless both pass.
    """
    acting = acting_as(ctx, principal, by)
    reason = reason.strip()
    if not reason:
        raise InvalidCorrection(
            "Đề nghị đính chính phải ghi lý do.",
            hint="Ghi lý do cụ thể, ví dụ «nhập nhầm điểm cuối kì I môn Toán: 6,5 thay vì 9,0».",
        )
    with ctx.sessions.begin() as session:
        record = read_record(session, document_id, ctx.clock.now())
        resource = resource_for(record, _subject(edits), None)
        part = _authorize(acting, record, Action.CORRECTION_REQUEST, resource, _REQUESTER)
        open_one = session.scalar(
            select(CorrectionRow.id).where(
                CorrectionRow.document_id == document_id,
                CorrectionRow.state.in_([s.value for s in OPEN_STATES]),
            )
        )
        if open_one is not None:
            raise CorrectionConflict(
                f"Hồ sơ {document_id} đang có đề nghị đính chính số {open_one} chưa xong.",
                hint="Hoàn tất hoặc để Hiệu trưởng từ chối đề nghị đó trước; có thể gộp các "
                "thay đổi vào một đề nghị.",
            )
        student = record.student_code
        apply_edits(record.dataset, record.class_id, edits, student=student)  # raises, stores none
        now = ctx.clock.now()
        row = CorrectionRow(
            document_id=document_id,
            version=record.version,
            document_row=record.row_id,
            dataset_id=record.dataset_id,
            school_code=record.dataset.school.code,
            school_year=record.dataset.school_year,
            class_id=record.class_id,
            reason=reason,
            changes=json.dumps([e.to_json() for e in edits], ensure_ascii=False),
            state=CorrectionState.REQUESTED.value,
            requested_by=acting.actor,
            requested_at=now,
        )
        session.add(row)
        session.flush()
        add_step(ctx, session, row, "request", acting, part, None, reason)
        as_actor(ctx, acting).record_event(
            session,
            "correction.requested",
            document_id,
            correction=row.id,
            version=record.version,
            state=str(record.state) if record.state else None,
            reason=reason,
            changes=[e.to_json() for e in edits],
            part=part,
        )
        return row.id


# The part a local operator plays in each step.
_REQUESTER = Role.HOMEROOM_TEACHER
_APPROVER = Role.PRINCIPAL


# ---------------------------------------------------------------------------- decide


def approve_correction(
    ctx: Context,
    principal: Principal | None,
    correction_id: int,
    *,
    note: str = "",
    by: str | None = None,
) -> None:
    """The principal allows the correction (Điều 11.4: "lãnh đạo đơn vị cho phép")."""
    _decide(ctx, principal, correction_id, approve=True, note=note, by=by)


def reject_correction(
    ctx: Context,
    principal: Principal | None,
    correction_id: int,
    *,
    reason: str,
    by: str | None = None,
) -> None:
    """The principal refuses the correction, saying why; nothing changes in the record."""
    if not reason.strip():
        raise InvalidCorrection(
            "Từ chối đề nghị đính chính phải ghi lý do.",
            hint="Ghi lý do để người đề nghị biết cần làm gì (ví dụ thiếu minh chứng).",
        )
    _decide(ctx, principal, correction_id, approve=False, note=reason.strip(), by=by)


def _decide(
    ctx: Context,
    principal: Principal | None,
    correction_id: int,
    *,
    approve: bool,
    note: str,
    by: str | None,
) -> None:
    acting = acting_as(ctx, principal, by)
    action = Action.CORRECTION_APPROVE if approve else Action.CORRECTION_REJECT
    with ctx.sessions.begin() as session:
        row = load_correction(session, correction_id)
        record, ref = current_record(ctx, session, row)
        resource = resource_for(record, _subject(edits_of(row)), ref)
        part = _authorize(acting, record, action, resource, _APPROVER)
        new_state = CorrectionState.APPROVED if approve else CorrectionState.REJECTED
        move_state(session, row, (CorrectionState.REQUESTED,), new_state)
        step = "approve" if approve else "reject"
        add_step(ctx, session, row, step, acting, part, None, note)
        as_actor(ctx, acting).record_event(
            session,
            f"correction.{'approved' if approve else 'rejected'}",
            row.document_id,
            correction=row.id,
            version=row.version,
            note=note,
            part=part,
        )


# ---------------------------------------------------------------------------- witness


def witness_correction(
    ctx: Context,
    principal: Principal | None,
    correction_id: int,
    *,
    part: WitnessPart | None = None,
    note: str = "",
    by: str | None = None,
) -> WitnessPart:
    """A member of the school's board or the class's homeroom teacher witnesses the approved
    correction; both are needed, in any order. Returns the part this witness played.

    For an account, the part follows from its grants (``part`` narrows it when the account holds
    both); the local operator must name it.
    """
    acting = acting_as(ctx, principal, by)
    if principal is None and part is None:
        raise HsdtError(
            "Chưa ghi người chứng kiến với tư cách nào.",
            hint="Thêm --as board (thành viên Ban quản trị) hoặc --as homeroom (giáo viên chủ "
            "nhiệm của lớp).",
        )
    with ctx.sessions.begin() as session:
        row = load_correction(session, correction_id)
        record, ref = current_record(ctx, session, row)
        resource = resource_for(record, _subject(edits_of(row)), ref)
        done = {
            WitnessPart(s.role) for s in _steps(session, row.id) if s.step == "witness" and s.role
        }
        wanted = [p for p in WitnessPart if p not in done and (part is None or p is part)]
        played, rule = _witness_part(acting, record, resource, wanted)
        if played is None:
            _refuse_witness(acting, record, resource, done, part)
        assert played is not None
        new_state = CorrectionState.WITNESSED if len(done) + 1 == len(WitnessPart) else None
        if new_state is not None:
            move_state(session, row, (CorrectionState.APPROVED,), new_state)
        elif row.state != CorrectionState.APPROVED.value:  # pragma: no cover - authz says so
            raise CorrectionConflict(f"Đề nghị số {row.id} chưa được phê duyệt.")
        add_step(ctx, session, row, "witness", acting, rule, played.value, note)
        as_actor(ctx, acting).record_event(
            session,
            "correction.witnessed",
            row.document_id,
            correction=row.id,
            version=row.version,
            witness=played.value,
            note=note,
            part=rule,
        )
        return played


def _witness_part(
    acting: Acting, record: RecordInfo, resource: Any, wanted: list[WitnessPart]
) -> tuple[WitnessPart | None, str]:
    for candidate in wanted:
        who = _as_role(acting, record, candidate.role)
        if who is None:
            continue
        decision = authorize(who, Action.CORRECTION_WITNESS, resource)
        if decision.allowed:
            return candidate, _part_name(acting, decision)
    return None, ""


def _refuse_witness(
    acting: Acting,
    record: RecordInfo,
    resource: Any,
    done: set[WitnessPart],
    part: WitnessPart | None,
) -> None:
    if len(done) == len(WitnessPart):
        raise CorrectionConflict(
            "Đề nghị đính chính này đã đủ hai người chứng kiến.",
            hint="Bước tiếp theo: áp dụng đính chính («hsdt correction apply»).",
        )
    for already in sorted(done):
        who = _as_role(acting, record, already.role)
        if (
            (part is None or part is already)
            and who is not None
            and authorize(who, Action.CORRECTION_WITNESS, resource).allowed
        ):
            raise CorrectionConflict(
                f"Phần chứng kiến của {already.role.label} đã có người thực hiện.",
                hint="Cần người chứng kiến còn lại: "
                + ", ".join(p.role.label for p in WitnessPart if p not in done)
                + ".",
            )
    # the matrix's own reason (not approved, separation of duties, out of scope, no role)
    who = _as_role(acting, record, part.role) if part is not None else acting.principal
    if who is None:
        who = Principal(acting.actor, ())
    require(who, Action.CORRECTION_WITNESS, resource)
    raise HsdtError("Không chứng kiến được đề nghị này.")  # pragma: no cover - require raised


def _as_role(acting: Acting, record: RecordInfo, role: Role) -> Principal | None:
    if acting.principal is None:
        return _local_principal(acting.actor, record, role)
    grants = tuple(g for g in acting.principal.grants if g.role is role)
    return Principal(acting.principal.account_id, grants) if grants else None


# ---------------------------------------------------------------------------- shared


def _authorize(
    acting: Acting, record: RecordInfo, action: Action, resource: Any, local_role: Role
) -> str:
    who = acting.principal or _local_principal(acting.actor, record, local_role)
    return _part_name(acting, require(who, action, resource))


def _part_name(acting: Acting, decision: Decision) -> str:
    return decision.rule if acting.principal is not None else f"local:{decision.rule}"


def current_record(ctx: Context, session: Session, row: CorrectionRow) -> tuple[RecordInfo, Any]:
    """The record as it is now; refused when a newer version made the request stale."""
    record = read_record(session, row.document_id, ctx.clock.now())
    if record.version != row.version:
        raise CorrectionConflict(
            f"Đề nghị số {row.id} được lập cho phiên bản {row.version} của hồ sơ "
            f"{row.document_id}, nay đã có phiên bản {record.version}.",
            hint="Từ chối đề nghị này và lập đề nghị mới trên phiên bản hiện hành.",
        )
    return record, correction_ref(session, row)


def move_state(
    session: Session,
    row: CorrectionRow,
    from_states: tuple[CorrectionState, ...],
    to: CorrectionState,
) -> None:
    """Compare-and-set on the correction's state: two people acting at once cannot both win."""
    moved = cast(
        CursorResult[Any],
        session.execute(
            update(CorrectionRow)
            .where(
                CorrectionRow.id == row.id,
                CorrectionRow.state.in_([s.value for s in from_states]),
            )
            .values(state=to.value)
            .execution_options(synchronize_session=False)
        ),
    )
    if moved.rowcount != 1:
        raise CorrectionConflict(
            f"Đề nghị đính chính số {row.id} vừa được người khác xử lý "
            f"(trạng thái: {CorrectionState(row.state).label}).",
            hint="Xem lại đề nghị («hsdt correction show») rồi làm bước tiếp theo.",
        )
    row.state = to.value


def add_step(
    ctx: Context,
    session: Session,
    row: CorrectionRow,
    step: str,
    acting: Acting,
    part: str,
    role: str | None,
    note: str,
) -> None:
    session.add(
        CorrectionStepRow(
            correction_id=row.id,
            step=step,
            actor=acting.actor,
            part=part,
            role=role,
            note=note,
            at=ctx.clock.now(),
        )
    )


def as_actor(ctx: Context, acting: Acting) -> Context:
    """The context with the acting person as the audit log's actor (events are attributable)."""
    return replace(ctx, actor=acting.actor)


def forbidden(reason: str, code: str) -> Forbidden:
    return Forbidden(Decision(False, reason, code))
