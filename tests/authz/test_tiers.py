"""Tier inheritance (Sở → Phòng → school), lock windows at each tier, several grants at once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from authz.world import GRANTS, INSIDE, principal
from service.authz import (
    Action,
    Grant,
    Principal,
    RecordState,
    ResourceRef,
    Role,
    Scope,
    authorize,
)

YEAR = "2025-2026"
PROVINCE_WINDOW = ResourceRef("LC", year=YEAR)
DISTRICT_WINDOW = ResourceRef("LC", "BX", year=YEAR)
OTHER_DISTRICT_WINDOW = ResourceRef("LC", "SP", year=YEAR)
SCHOOL_WINDOW = ResourceRef("LC", "BX", "BANXEO", year=YEAR)
NEIGHBOUR_SCHOOL_WINDOW = ResourceRef("LC", "BX", "MUONGHUM", year=YEAR)


@pytest.mark.parametrize(
    ("role", "window", "expected"),
    [
        (Role.PROVINCE_ADMIN, PROVINCE_WINDOW, "record.lock:province_admin"),
        (Role.PROVINCE_ADMIN, OTHER_DISTRICT_WINDOW, "record.lock:province_admin"),
        (Role.DISTRICT_ADMIN, DISTRICT_WINDOW, "record.lock:district_admin"),
        (Role.DISTRICT_ADMIN, NEIGHBOUR_SCHOOL_WINDOW, "record.lock:district_admin"),
        (Role.DISTRICT_ADMIN, PROVINCE_WINDOW, "deny.scope.district"),
        (Role.DISTRICT_ADMIN, OTHER_DISTRICT_WINDOW, "deny.scope.district"),
        (Role.SCHOOL_ADMIN, SCHOOL_WINDOW, "record.lock:school_admin"),
        (Role.SCHOOL_ADMIN, DISTRICT_WINDOW, "deny.scope.school"),
        (Role.PRINCIPAL, SCHOOL_WINDOW, "record.lock:principal"),
        (Role.PRINCIPAL, NEIGHBOUR_SCHOOL_WINDOW, "deny.scope.school"),
        (Role.BOARD_MEMBER, SCHOOL_WINDOW, "deny.role"),
    ],
)
def test_lock_windows_at_each_tier(role: Role, window: ResourceRef, expected: str) -> None:
    assert authorize(principal(role), Action.RECORD_LOCK, window).rule == expected
    # opening is decided by the same people over the same windows
    unlock = authorize(principal(role), Action.RECORD_UNLOCK, window).rule
    assert unlock == expected.replace("record.lock", "record.unlock")


def test_a_wider_request_is_not_inside_a_narrower_grant() -> None:
    decision = authorize(principal(Role.DISTRICT_ADMIN), Action.RECORD_LOCK, PROVINCE_WINDOW)
    assert "không giới hạn trong một Phòng GD&ĐT" in decision.reason
    decision = authorize(principal(Role.SCHOOL_ADMIN), Action.RECORD_LOCK, NEIGHBOUR_SCHOOL_WINDOW)
    assert "trường MUONGHUM" in decision.reason and "trường BANXEO" in decision.reason


def test_students_and_parents_see_their_own_records_in_any_school_of_the_province() -> None:
    transferred = replace(
        INSIDE, district="SP", school="SAPA1", class_id="9B", state=RecordState.LOCKED
    )
    for role in (Role.STUDENT, Role.PARENT):
        assert authorize(principal(role), Action.RECORD_VIEW, transferred).allowed
        sibling = replace(transferred, student="HS0002")
        assert authorize(principal(role), Action.RECORD_VIEW, sibling).rule == "deny.scope.student"
        assert authorize(principal(role), Action.EXPORT_ISSUE, transferred).rule == "deny.role"


def test_a_parent_of_two_children_holds_two_grants() -> None:
    parent = Principal(
        "me.hai.con",
        (
            Grant(Role.PARENT, Scope("LC", student="HS0001")),
            Grant(Role.PARENT, Scope("LC", student="HS0002")),
        ),
    )
    for student in ("HS0001", "HS0002"):
        child = replace(INSIDE, student=student, state=RecordState.SIGNED)
        assert authorize(parent, Action.RECORD_VIEW, child).allowed
    assert not authorize(parent, Action.RECORD_VIEW, replace(INSIDE, student="HS0003")).allowed


def test_a_teacher_with_several_grants_is_judged_by_each() -> None:
    # homeroom teacher of 8A1 who also teaches literature in 8A2
    teacher = Principal(
        "gv.van",
        (
            GRANTS[Role.HOMEROOM_TEACHER],
            Grant(
                Role.SUBJECT_TEACHER,
                Scope("LC", "BX", "BANXEO", year=YEAR, classes=frozenset({"8A2"}), subject="VAN"),
                "GV003",
            ),
        ),
    )
    draft = replace(INSIDE, state=RecordState.DRAFT)
    assert authorize(teacher, Action.DATASET_IMPORT, replace(draft, subject="TOAN")).rule == (
        "dataset.import:homeroom_teacher"
    )
    assert authorize(
        teacher, Action.DATASET_IMPORT, replace(draft, class_id="8A2", subject="VAN")
    ).rule == ("dataset.import:subject_teacher")
    # 8A2 mathematics is neither: the furthest-reaching grant explains why
    decision = authorize(
        teacher, Action.DATASET_IMPORT, replace(draft, class_id="8A2", subject="TOAN")
    )
    assert not decision.allowed and decision.rule.startswith("deny.scope.")


def test_the_reported_denial_is_from_the_grant_that_got_furthest() -> None:
    # a clerk (no right to import) who is also homeroom teacher of 8A1, importing into 8A2
    both = principal(Role.CLERK, Role.HOMEROOM_TEACHER)
    decision = authorize(
        both, Action.DATASET_IMPORT, replace(INSIDE, class_id="8A2", state=RecordState.DRAFT)
    )
    assert decision.rule == "deny.scope.class"
    assert "lớp 8A2" in decision.reason and "lớp 8A1" in decision.reason


def test_an_account_without_grants_may_do_nothing() -> None:
    decision = authorize(Principal("moi.tao", ()), Action.RECORD_VIEW, INSIDE)
    assert (decision.allowed, decision.rule) == (False, "deny.no_grants")


def test_nobody_manages_their_own_account() -> None:
    admin = principal(Role.SCHOOL_ADMIN, account="qt.banxeo")
    own = ResourceRef("LC", "BX", "BANXEO", account="qt.banxeo")
    assert authorize(admin, Action.ACCOUNT_MANAGE, own).rule == "deny.sod.self"
    other = replace(own, account="gv.toan")
    assert authorize(admin, Action.ACCOUNT_MANAGE, other).allowed


def test_a_school_cannot_be_named_without_its_district() -> None:
    with pytest.raises(ValueError, match="district"):
        ResourceRef("LC", school="BANXEO")
    with pytest.raises(ValueError, match="school"):
        ResourceRef("LC", "BX", class_id="8A1")
