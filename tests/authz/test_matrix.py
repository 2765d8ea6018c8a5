"""Every action × every role, in scope and out of it, in every record state.

The expectations below are written from the regulation (docs/permissions.md explains each), not
derived from ``service.authz.permissions``: a change to the matrix data must be made here too.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import pytest

from authz.world import GRANTS, INSIDE, SLOTS, principal, resource_for
from service.authz import Action, RecordState, Role, authorize

PA, DA, SA, BM = "province_admin", "district_admin", "school_admin", "board_member"
P, VP, HT, ST, CL = "principal", "vice_principal", "homeroom_teacher", "subject_teacher", "clerk"
HS, PH = "student", "parent"
ADMINS = {PA, DA, SA}

ALLOWED: dict[str, set[str]] = {
    "dataset.import": {SA, HT, ST},
    "dataset.confirm": {HT, ST},
    "record.render": {SA, P, VP, HT},
    "record.view": {PA, DA, SA, BM, P, VP, HT, ST, CL, HS, PH},
    "record.sign": {P, VP, HT, ST, CL},
    "record.lock": ADMINS | {P},
    "record.unlock": ADMINS | {P},
    "correction.request": {HT, ST},
    "correction.approve": {P},
    "correction.reject": {P},
    "correction.witness": {BM, HT},
    "record.archive": {SA, CL},
    "archive.audit": ADMINS,
    "export.issue": {P, VP, CL},
    "account.manage": ADMINS,
    "plan.configure": ADMINS,
    "progress.view": ADMINS | {BM, P, VP, HT},
    "audit.verify": ADMINS | {BM},
}

NO_RECORD = None
BEFORE_LOCK: set[str | None] = {NO_RECORD, "draft", "confirmed", "signing", "signed"}
AFTER_LOCK: set[str | None] = {"locked", "archived"}
ANY = BEFORE_LOCK | AFTER_LOCK
STATES: dict[str, set[str | None]] = {
    "dataset.import": BEFORE_LOCK,
    "dataset.confirm": {"draft"},
    "record.render": {"confirmed"},
    "record.view": ANY,
    "record.sign": {"confirmed", "signing"},
    "record.lock": BEFORE_LOCK,
    "record.unlock": {NO_RECORD, "locked"},
    "correction.request": AFTER_LOCK,
    "correction.approve": AFTER_LOCK,
    "correction.reject": AFTER_LOCK,
    "correction.witness": AFTER_LOCK,
    "record.archive": {"locked"},
    "archive.audit": ANY,
    "export.issue": AFTER_LOCK,
    "account.manage": ANY,
    "plan.configure": ANY,
    "progress.view": ANY,
    "audit.verify": ANY,
}
# students and parents read their records once signed
ROLE_STATES: dict[tuple[str, str], set[str | None]] = {
    ("record.view", HS): {"signed", "locked", "archived"},
    ("record.view", PH): {"signed", "locked", "archived"},
}
READS = {"record.view", "archive.audit", "export.issue", "progress.view", "audit.verify"}

# The dimensions each role's grant in authz.world names (beyond the province).
NAMES: dict[str, set[str]] = {
    PA: set(),
    DA: {"district"},
    SA: {"district", "school"},
    BM: {"district", "school"},
    P: {"district", "school"},
    VP: {"district", "school"},
    CL: {"district", "school"},
    HT: {"district", "school", "year", "class"},
    ST: {"district", "school", "year", "class", "subject"},
    HS: {"student"},
    PH: {"student"},
}

CELLS = [(a, r) for a in Action for r in Role]


def test_the_expectations_cover_every_action_and_role() -> None:
    assert set(ALLOWED) == {a.value for a in Action} == set(STATES)
    assert set(NAMES) == {r.value for r in Role}


@pytest.mark.parametrize(("action", "role"), CELLS, ids=[f"{a}-{r}" for a, r in CELLS])
def test_each_role_in_its_own_scope(action: Action, role: Role) -> None:
    decision = authorize(principal(role), action, resource_for(action, role))
    assert decision.allowed is (role in ALLOWED[action]), decision.reason
    assert decision.rule == (f"{action}:{role}" if decision.allowed else "deny.role")
    assert decision.reason and unicodedata.is_normalized("NFC", decision.reason)
    if not decision.allowed:
        # names who may do it instead
        assert all(r.label in decision.reason for r in Role if r in ALLOWED[action])


ALLOWED_CELLS = [(a, r) for a, r in CELLS if r in ALLOWED[a]]
IDS = [f"{a}-{r}" for a, r in ALLOWED_CELLS]

# another ... : (dimension, changes to the resource); hierarchy kept consistent
ELSEWHERE = {
    "province": ("province", {"province": "YB", "district": "VY", "school": "YB1"}),
    "district": ("district", {"district": "SP", "school": "SAPA1"}),
    "school": ("school", {"school": "MUONGHUM"}),
    "year": ("year", {"year": "2024-2025"}),
    "class": ("class", {"class_id": "8A2"}),
    "subject": ("subject", {"subject": "VAN"}),
    "student": ("student", {"student": "HS0002"}),
}


@pytest.mark.parametrize(("action", "role"), ALLOWED_CELLS, ids=IDS)
@pytest.mark.parametrize("elsewhere", list(ELSEWHERE))
def test_out_of_scope(action: Action, role: Role, elsewhere: str) -> None:
    dim, changes = ELSEWHERE[elsewhere]
    resource = resource_for(action, role, **changes)
    if elsewhere == "subject" and resource.slot is not None and resource.slot.subject:
        resource = replace(resource, slot=replace(resource.slot, subject="VAN"))
    decision = authorize(principal(role), action, resource)

    if dim == "province":
        expected = "deny.scope.province"  # every grant names its province
    elif dim in NAMES[role]:
        expected = f"deny.scope.{dim}"
        if (action, role, dim) == ("record.view", ST, "subject"):
            expected = "allowed"  # a subject teacher reads the whole books of their classes
        if (action, role, dim) == ("record.sign", ST, "subject"):
            expected = "deny.slot.subject"  # checked on the slot, not the book
    else:
        # tier inheritance: a wider grant covers every narrower part of its scope
        expected = "allowed"
    assert (decision.rule if not decision.allowed else "allowed") == expected, decision.reason


@pytest.mark.parametrize(("action", "role"), ALLOWED_CELLS, ids=IDS)
@pytest.mark.parametrize("state", [None, *RecordState], ids=lambda s: str(s))
def test_record_states(action: Action, role: Role, state: RecordState | None) -> None:
    decision = authorize(principal(role), action, resource_for(action, role, state=state))
    allowed_states = STATES[action] & ROLE_STATES.get((action, role), ANY)
    key = None if state is None else state.value
    assert decision.allowed is (key in allowed_states), decision.reason
    if decision.allowed:
        return
    if state is None:
        assert decision.rule == "deny.state.missing"
    elif key in AFTER_LOCK and action not in READS:
        assert decision.rule == "deny.locked"
        assert "Điều 11.4" in decision.reason  # points at the correction workflow
    else:
        assert decision.rule == "deny.state"
        assert state.label in decision.reason


RECORD_WRITES = ["dataset.import", "dataset.confirm", "record.render", "record.sign", "record.lock"]


@pytest.mark.parametrize("state", [RecordState.LOCKED, RecordState.ARCHIVED])
@pytest.mark.parametrize("action", RECORD_WRITES)
def test_a_locked_record_refuses_every_write_for_everyone(action: str, state: RecordState) -> None:
    everyone = principal(*GRANTS)
    decision = authorize(
        everyone, Action(action), resource_for(action, Role.PRINCIPAL, state=state)
    )
    assert not decision.allowed and decision.rule == "deny.locked"
    assert "đính chính" in decision.reason


@pytest.mark.parametrize(
    "action", ["correction.request", "correction.approve", "correction.witness", "record.archive"]
)
def test_a_locked_record_still_takes_corrections_and_archiving(action: str) -> None:
    everyone = principal(*GRANTS)
    resource = resource_for(action, Role.PRINCIPAL, state=RecordState.LOCKED, slot=None)
    assert authorize(everyone, Action(action), resource).allowed


def test_a_resource_inside_every_grant() -> None:
    # the premise of the tests above: INSIDE really is inside each grant
    assert all(
        authorize(
            principal(r), Action.RECORD_VIEW, replace(INSIDE, state=RecordState.LOCKED)
        ).allowed
        for r in Role
    )
    assert SLOTS.keys() <= set(Role)
