"""A small province for the authorization tests: one grant per role, all on the same school,
class, subject, student and year, so that one resource is inside every grant.

    Lào Cai (LC) ── Phòng Bát Xát (BX) ── PTDTBT Bản Xèo (BANXEO), Mường Hum (MUONGHUM)
                └─ Phòng Sa Pa (SP) ───── Sa Pa 1 (SAPA1)
    Yên Bái (YB) ── Phòng Văn Yên (VY) ── Yên Bái 1 (YB1)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from records.slots import SignerRole
from service.authz import (
    CorrectionRef,
    Grant,
    Principal,
    RecordState,
    ResourceRef,
    Role,
    Scope,
    SlotRef,
)

ME = "tai.khoan.dang.thu"  # the account whose permissions are being tried
YEAR, OTHER_YEAR = "2025-2026", "2024-2025"
SCHOOL = Scope("LC", "BX", "BANXEO")

GRANTS: dict[Role, Grant] = {
    Role.PROVINCE_ADMIN: Grant(Role.PROVINCE_ADMIN, Scope("LC")),
    Role.DISTRICT_ADMIN: Grant(Role.DISTRICT_ADMIN, Scope("LC", "BX")),
    Role.SCHOOL_ADMIN: Grant(Role.SCHOOL_ADMIN, SCHOOL),
    Role.BOARD_MEMBER: Grant(Role.BOARD_MEMBER, SCHOOL),
    Role.PRINCIPAL: Grant(Role.PRINCIPAL, SCHOOL, "GV001"),
    Role.VICE_PRINCIPAL: Grant(Role.VICE_PRINCIPAL, SCHOOL, "GV002"),
    Role.HOMEROOM_TEACHER: Grant(
        Role.HOMEROOM_TEACHER, replace(SCHOOL, year=YEAR, classes=frozenset({"8A1"})), "GV003"
    ),
    Role.SUBJECT_TEACHER: Grant(
        Role.SUBJECT_TEACHER,
        replace(SCHOOL, year=YEAR, classes=frozenset({"8A1", "9A1"}), subject="TOAN"),
        "GV004",
    ),
    Role.CLERK: Grant(Role.CLERK, SCHOOL),
    Role.STUDENT: Grant(Role.STUDENT, Scope("LC", student="HS0001")),
    Role.PARENT: Grant(Role.PARENT, Scope("LC", student="HS0001")),
}

# The slot each role would fill on the record (a role that signs nothing gets the homeroom slot).
SLOTS: dict[Role, SlotRef] = {
    Role.PRINCIPAL: SlotRef(SignerRole.PRINCIPAL, "GV001"),
    Role.VICE_PRINCIPAL: SlotRef(SignerRole.PRINCIPAL, "GV002"),
    Role.SUBJECT_TEACHER: SlotRef(SignerRole.SUBJECT_TEACHER, "GV004", "TOAN"),
    Role.CLERK: SlotRef(SignerRole.SCHOOL_SEAL, "BANXEO"),
}
HOMEROOM_SLOT = SlotRef(SignerRole.HOMEROOM_TEACHER, "GV003")

INSIDE = ResourceRef(
    "LC", "BX", "BANXEO", year=YEAR, class_id="8A1", subject="TOAN", student="HS0001"
)


def principal(*roles: Role, account: str = ME) -> Principal:
    return Principal(account, tuple(GRANTS[r] for r in roles))


def resource_for(action: str, role: Role, **changes: Any) -> ResourceRef:
    """The resource inside ``role``'s grant that ``action`` would normally be asked about."""
    state = DEFAULT_STATE[action]
    base = replace(INSIDE, state=state, slot=SLOTS.get(role, HOMEROOM_SLOT))
    if action in ("correction.approve", "correction.reject"):
        base = replace(base, correction=CorrectionRef("gv.de.nghi"))
    if action == "correction.witness":
        base = replace(base, correction=CorrectionRef("gv.de.nghi", approved_by="hieu.truong"))
    if action == "account.manage":
        base = replace(base, account="nguoi.khac")
    return replace(base, **changes)


# A state each action is normally asked in (students and parents read signed records).
DEFAULT_STATE: dict[str, RecordState | None] = {
    "dataset.import": RecordState.DRAFT,
    "dataset.confirm": RecordState.DRAFT,
    "record.render": RecordState.CONFIRMED,
    "record.view": RecordState.SIGNED,
    "record.sign": RecordState.SIGNING,
    "record.lock": RecordState.SIGNED,
    "record.unlock": RecordState.LOCKED,
    "correction.request": RecordState.LOCKED,
    "correction.approve": RecordState.LOCKED,
    "correction.reject": RecordState.LOCKED,
    "correction.witness": RecordState.LOCKED,
    "record.archive": RecordState.LOCKED,
    "archive.audit": None,
    "export.issue": RecordState.LOCKED,
    "account.manage": None,
    "plan.configure": None,
    "progress.view": None,
    "audit.verify": None,
}
