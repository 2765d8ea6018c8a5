"""Account administration: personal accounts only, managed within the administrator's scope,
every change attributed in the audit log."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from accounts.conftest import School
from accounts.helpers import FAST, PROVINCE_ADMIN, SCHOOL, T0, TEACHER, TEACHER_GRANT, signed_in
from service.accounts import (
    DuplicateAccount,
    InvalidAccountData,
    NewAccount,
    UnknownAccount,
    add_grant,
    bootstrap_admin,
    create_account,
    login,
    revoke_grant,
    unlock_account,
)
from service.audit_log import events_table
from service.authz import Forbidden, Grant, Role, Scope
from service.context import Context
from service.db.account_models import AccountRow

HOMEROOM_8A1 = Grant(
    Role.HOMEROOM_TEACHER, replace(SCHOOL, year="2025-2026", classes=frozenset({"8A1"})), "GV002"
)
NEIGHBOUR = Scope("LC", "BX", "MUONGHUM")
OTHER_DISTRICT = Scope("LC", "SP", "SAPA1")


def audit(ctx: Context, action: str) -> list[tuple[str, str, str]]:
    with ctx.engine.connect() as c:
        rows = c.execute(
            select(events_table.c.actor, events_table.c.subject, events_table.c.detail).where(
                events_table.c.action == action
            )
        )
        return [(r.actor, r.subject, r.detail) for r in rows]


def test_one_person_one_account(school: School) -> None:
    ctx = school.ctx
    same_person = NewAccount("mai.giang", "Giàng Thị Mai", TEACHER.national_id, "mật khẩu khác hẳn")
    with pytest.raises(DuplicateAccount) as caught:
        create_account(ctx, school.school_admin, same_person, [HOMEROOM_8A1], policy=FAST)
    assert "********0508" in str(caught.value) and TEACHER.national_id not in str(caught.value)
    assert "Giao thêm vai trò" in (caught.value.hint or "")
    same_name = NewAccount(TEACHER.username, "Giàng A Páo", "010203040599", "mật khẩu của Páo")
    with pytest.raises(DuplicateAccount, match="Tên đăng nhập"):
        create_account(ctx, school.school_admin, same_name, [HOMEROOM_8A1], policy=FAST)
    shared = NewAccount("van.thu", "Văn thư trường", "010203040598", "mật khẩu dùng chung")
    with pytest.raises(InvalidAccountData, match="dùng chung"):
        create_account(ctx, school.school_admin, shared, [Grant(Role.CLERK, SCHOOL)], policy=FAST)
    # the same person's second job is a second grant on the same account
    add_grant(ctx, school.school_admin, TEACHER.username, HOMEROOM_8A1)
    assert signed_in(ctx, TEACHER).grants == (TEACHER_GRANT, HOMEROOM_8A1)


def test_the_database_itself_refuses_a_second_account_for_a_person(school: School) -> None:
    # a race between two administrators cannot get past the unique constraint
    with pytest.raises(IntegrityError), school.ctx.engine.begin() as c:
        c.execute(
            insert(AccountRow).values(
                username="ban.sao",
                full_name="Giàng Thị Mai",
                national_id=TEACHER.national_id,
                password_hash="x",
                password_changed_at=T0,
                created_at=T0,
                created_by="test",
            )
        )


def test_administrators_act_only_within_their_scope(school: School) -> None:
    ctx = school.ctx
    elsewhere = NewAccount("lo.van.penh", "Lò Văn Pếnh", "010203040511", "Pếnh ở Mường Hum")
    neighbour_teacher = Grant(Role.CLERK, NEIGHBOUR)
    with pytest.raises(Forbidden) as caught:
        create_account(ctx, school.school_admin, elsewhere, [neighbour_teacher], policy=FAST)
    assert caught.value.decision.rule == "deny.scope.school"
    with pytest.raises(Forbidden):  # nor a role above the school
        create_account(
            ctx,
            school.school_admin,
            elsewhere,
            [Grant(Role.DISTRICT_ADMIN, Scope("LC", "BX"))],
            policy=FAST,
        )
    # the district administrator of Bát Xát may, over its schools only
    district = NewAccount("qt.batxat", "Sùng A Tủa", "010203040512", "quản trị Bát Xát 1")
    create_account(
        ctx,
        school.province_admin,
        district,
        [Grant(Role.DISTRICT_ADMIN, Scope("LC", "BX"))],
        policy=FAST,
    )
    district_admin = signed_in(ctx, district)
    create_account(ctx, district_admin, elsewhere, [neighbour_teacher], policy=FAST)
    sapa = NewAccount("ma.thi.sua", "Má Thị Súa", "010203040513", "Súa ở Sa Pa nhé")
    with pytest.raises(Forbidden) as caught:
        create_account(ctx, district_admin, sapa, [Grant(Role.CLERK, OTHER_DISTRICT)], policy=FAST)
    assert caught.value.decision.rule == "deny.scope.district"
    # nothing was written by the refused attempts
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AccountRow)) == 5


def test_a_teacher_in_two_schools_is_managed_by_an_administrator_over_both(school: School) -> None:
    ctx = school.ctx
    add_grant(ctx, school.province_admin, TEACHER.username, Grant(Role.CLERK, NEIGHBOUR))
    with pytest.raises(Forbidden):
        unlock_account(ctx, school.school_admin, TEACHER.username)
    unlock_account(ctx, school.province_admin, TEACHER.username)


def test_nobody_manages_their_own_account(school: School) -> None:
    with pytest.raises(Forbidden) as caught:
        add_grant(school.ctx, school.school_admin, "qt.banxeo", Grant(Role.SCHOOL_ADMIN, NEIGHBOUR))
    # the neighbour school is outside anyway; inside its own school the rule is separation
    assert caught.value.decision.rule == "deny.scope.school"
    with pytest.raises(Forbidden) as caught:
        add_grant(school.ctx, school.school_admin, "qt.banxeo", Grant(Role.CLERK, SCHOOL))
    assert caught.value.decision.rule == "deny.sod.self"


def test_grants_are_revoked_but_never_the_last_one(school: School) -> None:
    ctx = school.ctx
    add_grant(ctx, school.school_admin, TEACHER.username, HOMEROOM_8A1)
    revoke_grant(ctx, school.school_admin, TEACHER.username, HOMEROOM_8A1)
    assert signed_in(ctx, TEACHER).grants == (TEACHER_GRANT,)
    with pytest.raises(InvalidAccountData, match="vai trò cuối cùng"):
        revoke_grant(ctx, school.school_admin, TEACHER.username, TEACHER_GRANT)
    with pytest.raises(InvalidAccountData, match="không có vai trò"):
        revoke_grant(ctx, school.school_admin, TEACHER.username, HOMEROOM_8A1)
    with pytest.raises(UnknownAccount):
        revoke_grant(ctx, school.school_admin, "khong.ai", HOMEROOM_8A1)
    actors = {a for a, _, _ in audit(ctx, "account.granted") + audit(ctx, "account.revoked")}
    assert actors == {"qt.banxeo"}


def test_every_change_is_attributed(school: School) -> None:
    created = audit(school.ctx, "account.created")
    assert [(a, s) for a, s, _ in created] == [
        ("system", "account:qt.so.laocai"),
        ("qt.so.laocai", "account:qt.banxeo"),
        ("qt.banxeo", "account:giang.thi.mai"),
    ]
    detail = created[2][2]
    assert "Giáo viên bộ môn" not in detail and "subject_teacher" in detail  # ids, not labels
    assert "********0508" in detail and TEACHER.national_id not in detail


def test_the_first_administrator_is_created_once(ctx: Context) -> None:
    bootstrap_admin(ctx, PROVINCE_ADMIN, "LC", policy=FAST)
    with pytest.raises(InvalidAccountData, match="một lần"):
        bootstrap_admin(
            ctx,
            NewAccount("ke.gian", "Kẻ Gian", "999999999999", "chiếm quyền quản trị"),
            "LC",
            policy=FAST,
        )
    login(ctx, PROVINCE_ADMIN.username, PROVINCE_ADMIN.password, policy=FAST)
