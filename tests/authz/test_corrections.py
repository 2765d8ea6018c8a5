"""Corrections after lock (Điều 11.4): a teacher requests, the principal decides, a member of the
school's board and the class's homeroom teacher witness — four different people."""

from __future__ import annotations

from dataclasses import replace

import pytest

from authz.world import GRANTS, INSIDE, SCHOOL
from service.authz import (
    Action,
    CorrectionRef,
    Forbidden,
    Grant,
    Principal,
    RecordState,
    Role,
    Scope,
    authorize,
    require,
)

LOCKED = replace(INSIDE, state=RecordState.LOCKED)
TEACHER = Principal("gv.toan", (GRANTS[Role.SUBJECT_TEACHER],))
PRINCIPAL = Principal("hieu.truong", (GRANTS[Role.PRINCIPAL],))
BOARD = Principal("ban.quan.tri", (GRANTS[Role.BOARD_MEMBER],))
HOMEROOM = Principal("gv.chu.nhiem", (GRANTS[Role.HOMEROOM_TEACHER],))


def at(correction: CorrectionRef | None) -> object:
    return replace(LOCKED, correction=correction)


def test_the_whole_workflow_with_four_people() -> None:
    assert require(TEACHER, Action.CORRECTION_REQUEST, LOCKED).rule == (
        "correction.request:subject_teacher"
    )
    requested = CorrectionRef("gv.toan")
    assert require(PRINCIPAL, Action.CORRECTION_APPROVE, replace(LOCKED, correction=requested))
    approved = replace(requested, approved_by="hieu.truong")
    first = require(BOARD, Action.CORRECTION_WITNESS, replace(LOCKED, correction=approved))
    witnessed = replace(approved, witnessed_by=("ban.quan.tri",))
    second = require(HOMEROOM, Action.CORRECTION_WITNESS, replace(LOCKED, correction=witnessed))
    # which part each witness played is in the rule id
    assert (first.rule, second.rule) == (
        "correction.witness:board_member",
        "correction.witness:homeroom_teacher",
    )


def test_the_requester_cannot_approve_reject_or_witness_their_own_request() -> None:
    # a principal who also teaches mathematics in 8A1 and is on the board
    teaching_head = Principal(
        "hieu.truong",
        (GRANTS[Role.PRINCIPAL], GRANTS[Role.SUBJECT_TEACHER], GRANTS[Role.BOARD_MEMBER]),
    )
    assert authorize(teaching_head, Action.CORRECTION_REQUEST, LOCKED).allowed
    own = replace(LOCKED, correction=CorrectionRef("hieu.truong"))
    for action in (Action.CORRECTION_APPROVE, Action.CORRECTION_REJECT):
        decision = authorize(teaching_head, action, own)
        assert (decision.allowed, decision.rule) == (False, "deny.sod.requester")
        assert "đề nghị" in decision.reason
    approved_by_other = replace(
        LOCKED, correction=CorrectionRef("hieu.truong", approved_by="pho.hieu.truong")
    )
    decision = authorize(teaching_head, Action.CORRECTION_WITNESS, approved_by_other)
    assert (decision.allowed, decision.rule) == (False, "deny.sod.requester")


def test_the_approver_cannot_witness() -> None:
    # Điều 6.1: the principal heads the school's board, so this combination is ordinary
    head_of_board = Principal("hieu.truong", (GRANTS[Role.PRINCIPAL], GRANTS[Role.BOARD_MEMBER]))
    approved = replace(LOCKED, correction=CorrectionRef("gv.toan", approved_by="hieu.truong"))
    decision = authorize(head_of_board, Action.CORRECTION_WITNESS, approved)
    assert (decision.allowed, decision.rule) == (False, "deny.sod.approver")


def test_one_person_witnesses_once_even_holding_both_witness_roles() -> None:
    both = Principal("gv.chu.nhiem", (GRANTS[Role.HOMEROOM_TEACHER], GRANTS[Role.BOARD_MEMBER]))
    approved = CorrectionRef("gv.toan", approved_by="hieu.truong")
    assert authorize(both, Action.CORRECTION_WITNESS, replace(LOCKED, correction=approved)).allowed
    again = replace(approved, witnessed_by=("gv.chu.nhiem",))
    decision = authorize(both, Action.CORRECTION_WITNESS, replace(LOCKED, correction=again))
    assert (decision.allowed, decision.rule) == (False, "deny.sod.witness_twice")


@pytest.mark.parametrize(
    ("correction", "action", "code"),
    [
        (CorrectionRef("gv.toan"), Action.CORRECTION_WITNESS, "deny.workflow.not_approved"),
        (
            CorrectionRef("gv.toan", rejected_by="hieu.truong"),
            Action.CORRECTION_WITNESS,
            "deny.workflow.rejected",
        ),
        (
            CorrectionRef("gv.toan", approved_by="hieu.truong"),
            Action.CORRECTION_REJECT,
            "deny.workflow.decided",
        ),
        (
            CorrectionRef("gv.toan", rejected_by="hieu.truong"),
            Action.CORRECTION_APPROVE,
            "deny.workflow.decided",
        ),
        (None, Action.CORRECTION_APPROVE, "deny.correction.missing"),
        (None, Action.CORRECTION_WITNESS, "deny.correction.missing"),
    ],
)
def test_steps_happen_in_order(correction: CorrectionRef | None, action: Action, code: str) -> None:
    who = PRINCIPAL if action is not Action.CORRECTION_WITNESS else BOARD
    decision = authorize(who, action, replace(LOCKED, correction=correction))
    assert (decision.allowed, decision.rule) == (False, code)


def test_only_the_schools_board_witnesses() -> None:
    district_board = Principal("ban.phong", (Grant(Role.BOARD_MEMBER, Scope("LC", "BX")),))
    approved = replace(LOCKED, correction=CorrectionRef("gv.toan", approved_by="hieu.truong"))
    decision = authorize(district_board, Action.CORRECTION_WITNESS, approved)
    assert (decision.allowed, decision.rule) == (False, "deny.tier")
    # …though it may read the record it is about
    assert authorize(district_board, Action.RECORD_VIEW, approved).allowed


def test_only_the_homeroom_teacher_of_that_class_witnesses() -> None:
    other_class = Principal(
        "gv.8a2",
        (
            Grant(
                Role.HOMEROOM_TEACHER,
                replace(SCHOOL, year="2025-2026", classes=frozenset({"8A2"})),
                "GV009",
            ),
        ),
    )
    approved = replace(LOCKED, correction=CorrectionRef("gv.toan", approved_by="hieu.truong"))
    decision = authorize(other_class, Action.CORRECTION_WITNESS, approved)
    assert (decision.allowed, decision.rule) == (False, "deny.scope.class")


def test_require_raises_forbidden_with_the_decision() -> None:
    with pytest.raises(Forbidden) as caught:
        require(TEACHER, Action.CORRECTION_APPROVE, replace(LOCKED, correction=CorrectionRef("x")))
    assert caught.value.decision.rule == "deny.role"
    assert "Hiệu trưởng" in str(caught.value) and caught.value.hint  # ask for the right
    with pytest.raises(Forbidden) as caught:
        require(
            PRINCIPAL,
            Action.CORRECTION_APPROVE,
            replace(LOCKED, correction=CorrectionRef("hieu.truong")),
        )
    assert caught.value.hint is None  # the reason itself says what to do
