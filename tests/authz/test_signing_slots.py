"""``record.sign``: each person fills only the slot the signing plan assigned to them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from authz.world import GRANTS, INSIDE, principal
from records.slots import SignerRole
from service.authz import Action, RecordState, Role, SlotRef, authorize

SIGNING = replace(INSIDE, state=RecordState.SIGNING)


def sign(role: Role, slot: SlotRef | None, **changes: Any) -> tuple[bool, str]:
    decision = authorize(
        principal(role),
        Action.RECORD_SIGN,
        replace(SIGNING, slot=slot, **changes),
    )
    return decision.allowed, decision.rule


@pytest.mark.parametrize(
    ("role", "slot", "expected"),
    [
        (Role.HOMEROOM_TEACHER, SlotRef(SignerRole.HOMEROOM_TEACHER, "GV003"), "allowed"),
        (
            Role.HOMEROOM_TEACHER,
            SlotRef(SignerRole.SUBJECT_TEACHER, "GV003", "TOAN"),
            "deny.slot.role",
        ),
        (Role.HOMEROOM_TEACHER, SlotRef(SignerRole.HOMEROOM_TEACHER, "GV009"), "deny.slot.signer"),
        (Role.SUBJECT_TEACHER, SlotRef(SignerRole.SUBJECT_TEACHER, "GV004", "TOAN"), "allowed"),
        (
            Role.SUBJECT_TEACHER,
            SlotRef(SignerRole.SUBJECT_TEACHER, "GV004", "VAN"),
            "deny.slot.subject",
        ),
        (
            Role.SUBJECT_TEACHER,
            SlotRef(SignerRole.SUBJECT_TEACHER, "GV005", "TOAN"),
            "deny.slot.signer",
        ),
        (Role.SUBJECT_TEACHER, SlotRef(SignerRole.HOMEROOM_TEACHER, "GV004"), "deny.slot.role"),
        (Role.PRINCIPAL, SlotRef(SignerRole.PRINCIPAL, "GV001"), "allowed"),
        # the plan named the vice principal: the principal may not take their slot…
        (Role.PRINCIPAL, SlotRef(SignerRole.PRINCIPAL, "GV002"), "deny.slot.signer"),
        # …and the vice principal signs only where named
        (Role.VICE_PRINCIPAL, SlotRef(SignerRole.PRINCIPAL, "GV002"), "allowed"),
        (Role.VICE_PRINCIPAL, SlotRef(SignerRole.PRINCIPAL, "GV001"), "deny.slot.signer"),
        (Role.PRINCIPAL, SlotRef(SignerRole.SCHOOL_SEAL, "BANXEO"), "deny.slot.role"),
        (Role.CLERK, SlotRef(SignerRole.SCHOOL_SEAL, "BANXEO"), "allowed"),
        (Role.CLERK, SlotRef(SignerRole.SCHOOL_SEAL, "MUONGHUM"), "deny.slot.signer"),
        (Role.CLERK, SlotRef(SignerRole.PRINCIPAL, "GV001"), "deny.slot.role"),
        (Role.HOMEROOM_TEACHER, None, "deny.slot.missing"),
    ],
)
def test_own_slot_only(role: Role, slot: SlotRef | None, expected: str) -> None:
    allowed, rule = sign(role, slot)
    assert (rule if not allowed else "allowed") == expected


def test_a_subject_teacher_signs_their_subject_on_a_whole_class_book() -> None:
    # Sổ theo dõi: the book is the class's (no subject), the slot is the subject's
    slot = SlotRef(SignerRole.SUBJECT_TEACHER, "GV004", "TOAN")
    assert sign(Role.SUBJECT_TEACHER, slot, subject=None) == (True, "record.sign:subject_teacher")
    assert sign(Role.SUBJECT_TEACHER, slot, subject=None, class_id="8A2")[1] == "deny.scope.class"


@pytest.mark.parametrize(
    ("state", "code"),
    [
        (RecordState.DRAFT, "deny.state"),
        (RecordState.SIGNED, "deny.state"),
        (RecordState.LOCKED, "deny.locked"),
        (RecordState.ARCHIVED, "deny.locked"),
    ],
)
def test_signing_happens_between_confirmation_and_the_last_signature(
    state: RecordState, code: str
) -> None:
    slot = SlotRef(SignerRole.HOMEROOM_TEACHER, "GV003")
    assert sign(Role.HOMEROOM_TEACHER, slot, state=state) == (False, code)


def test_the_grant_carries_the_teacher_id_of_its_school() -> None:
    # the same person is GV003 at Bản Xèo and GV017 at Mường Hum: each school's slot names its id
    at_muong_hum = replace(
        GRANTS[Role.HOMEROOM_TEACHER],
        scope=replace(GRANTS[Role.HOMEROOM_TEACHER].scope, school="MUONGHUM"),
        person_id="GV017",
    )
    both = replace(
        principal(Role.HOMEROOM_TEACHER), grants=(GRANTS[Role.HOMEROOM_TEACHER], at_muong_hum)
    )
    slot17 = SlotRef(SignerRole.HOMEROOM_TEACHER, "GV017")
    assert authorize(
        both, Action.RECORD_SIGN, replace(SIGNING, school="MUONGHUM", slot=slot17)
    ).allowed
    assert not authorize(both, Action.RECORD_SIGN, replace(SIGNING, slot=slot17)).allowed
