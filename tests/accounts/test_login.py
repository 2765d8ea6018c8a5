"""Signing in: tokens, lockout after repeated failures and its end, revocation, rehashing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.conftest import School
from accounts.helpers import FAST, T0, TEACHER, TEACHER_GRANT, advance
from service.accounts import (
    DEFAULT_POLICY,
    AccountDisabled,
    AccountLocked,
    InvalidAccountData,
    LoginFailed,
    TokenRejected,
    authenticate_token,
    change_password,
    disable_account,
    login,
    reset_password,
    unlock_account,
)
from service.audit_log import events_table
from service.context import Context
from service.db.account_models import AccountRow


def events(ctx: Context) -> list[tuple[str, str, str]]:
    with ctx.engine.connect() as c:
        rows = c.execute(
            select(events_table.c.actor, events_table.c.action, events_table.c.subject).order_by(
                events_table.c.id
            )
        )
        return [(r.actor, r.action, r.subject) for r in rows]


def test_sign_in_gives_a_token_that_yields_the_accounts_grants(school: School) -> None:
    ctx = school.ctx
    token = login(ctx, "Giang.Thi.Mai", TEACHER.password, policy=FAST)
    assert token.username == "giang.thi.mai"
    assert token.expires_at == T0 + timedelta(minutes=15)
    principal = authenticate_token(ctx, token.value)
    assert principal.account_id == "giang.thi.mai"
    assert principal.grants == (TEACHER_GRANT,)
    assert ("giang.thi.mai", "account.signed_in", "account:giang.thi.mai") in events(ctx)


def test_tokens_are_short_lived(school: School) -> None:
    token = login(school.ctx, TEACHER.username, TEACHER.password, policy=FAST)
    advance(school.ctx, minutes=14, seconds=59)
    authenticate_token(school.ctx, token.value)
    advance(school.ctx, seconds=1)
    with pytest.raises(TokenRejected, match="hết hạn"):
        authenticate_token(school.ctx, token.value)


def test_wrong_password_and_unknown_user_get_the_same_answer(school: School) -> None:
    with pytest.raises(LoginFailed) as wrong:
        login(school.ctx, TEACHER.username, "không phải mật khẩu", policy=FAST)
    with pytest.raises(LoginFailed) as unknown:
        login(school.ctx, "khong.ai.ca", TEACHER.password, policy=FAST)
    assert (
        str(wrong.value)
        == str(unknown.value)
        == (
            "Sai tên đăng nhập hoặc mật khẩu.\n→ Kiểm tra lại (chú ý bộ gõ tiếng Việt và phím Caps "
            "Lock); nhập sai nhiều lần liên tiếp, tài khoản sẽ bị tạm khoá."
        )
    )
    logged = events(school.ctx)
    assert ("giang.thi.mai", "account.sign_in_failed", "account:giang.thi.mai") in logged
    # an unknown name is not recorded: it may be someone's password typed in the wrong field
    assert not any("khong.ai.ca" in str(e) for e in logged)


def test_five_failures_lock_the_account_for_fifteen_minutes(school: School) -> None:
    ctx = school.ctx
    for _ in range(4):
        with pytest.raises(LoginFailed):
            login(ctx, TEACHER.username, "sai mật khẩu rồi", policy=FAST)
    with pytest.raises(AccountLocked) as locked:
        login(ctx, TEACHER.username, "sai mật khẩu rồi", policy=FAST)
    assert locked.value.until == T0 + timedelta(minutes=15)
    assert "14:15 ngày 05/01/2026 (giờ Việt Nam)" in str(locked.value)
    # while locked, even the right password is refused (and not checked)
    advance(ctx, minutes=14)
    with pytest.raises(AccountLocked):
        login(ctx, TEACHER.username, TEACHER.password, policy=FAST)
    advance(ctx, minutes=1)
    login(ctx, TEACHER.username, TEACHER.password, policy=FAST)
    assert ("giang.thi.mai", "account.locked", "account:giang.thi.mai") in events(ctx)


def test_after_a_lock_runs_out_the_count_starts_again(school: School) -> None:
    ctx = school.ctx
    for _ in range(5):
        with pytest.raises((LoginFailed, AccountLocked)):
            login(ctx, TEACHER.username, "sai mật khẩu rồi", policy=FAST)
    advance(ctx, minutes=15)
    with pytest.raises(LoginFailed):  # one failure after the lock: not locked again at once
        login(ctx, TEACHER.username, "sai mật khẩu rồi", policy=FAST)
    login(ctx, TEACHER.username, TEACHER.password, policy=FAST)


def test_a_success_resets_the_count(school: School) -> None:
    ctx = school.ctx
    for _ in range(4):
        with pytest.raises(LoginFailed):
            login(ctx, TEACHER.username, "sai mật khẩu rồi", policy=FAST)
    login(ctx, TEACHER.username, TEACHER.password, policy=FAST)
    for _ in range(4):
        with pytest.raises(LoginFailed):
            login(ctx, TEACHER.username, "sai mật khẩu rồi", policy=FAST)
    login(ctx, TEACHER.username, TEACHER.password, policy=FAST)


def test_an_administrator_ends_a_lock_early(school: School) -> None:
    ctx = school.ctx
    for _ in range(5):
        with pytest.raises((LoginFailed, AccountLocked)):
            login(ctx, TEACHER.username, "sai mật khẩu rồi", policy=FAST)
    unlock_account(ctx, school.school_admin, TEACHER.username)
    login(ctx, TEACHER.username, TEACHER.password, policy=FAST)
    assert ("qt.banxeo", "account.unlocked", "account:giang.thi.mai") in events(ctx)


def test_changing_the_password_signs_out_every_session(school: School) -> None:
    ctx = school.ctx
    old = login(ctx, TEACHER.username, TEACHER.password, policy=FAST)
    change_password(ctx, TEACHER.username, TEACHER.password, "mật khẩu mới của Mai", policy=FAST)
    with pytest.raises(TokenRejected, match="thu hồi"):
        authenticate_token(ctx, old.value)
    with pytest.raises(LoginFailed):
        login(ctx, TEACHER.username, TEACHER.password, policy=FAST)
    login(ctx, TEACHER.username, "mật khẩu mới của Mai", policy=FAST)
    with pytest.raises(InvalidAccountData, match="khác mật khẩu đang dùng"):
        change_password(ctx, TEACHER.username, "mật khẩu mới của Mai", "mật khẩu mới của Mai")


def test_a_wrong_old_password_counts_towards_the_lock(school: School) -> None:
    ctx = school.ctx
    for _ in range(4):
        with pytest.raises(LoginFailed):
            change_password(
                ctx, TEACHER.username, "đoán mò mật khẩu", "mật khẩu mới dài", policy=FAST
            )
    with pytest.raises(AccountLocked):
        login(ctx, TEACHER.username, "vẫn đoán mò tiếp", policy=FAST)


def test_reset_and_disable_by_an_administrator(school: School) -> None:
    ctx = school.ctx
    token = login(ctx, TEACHER.username, TEACHER.password, policy=FAST)
    reset_password(ctx, school.school_admin, TEACHER.username, "mật khẩu tạm thời 1", policy=FAST)
    with pytest.raises(TokenRejected):
        authenticate_token(ctx, token.value)
    token = login(ctx, TEACHER.username, "mật khẩu tạm thời 1", policy=FAST)
    disable_account(ctx, school.school_admin, TEACHER.username)
    with pytest.raises(TokenRejected):
        authenticate_token(ctx, token.value)
    with pytest.raises(AccountDisabled):
        login(ctx, TEACHER.username, "mật khẩu tạm thời 1", policy=FAST)
    with pytest.raises(LoginFailed):  # only the password's owner learns it is disabled
        login(ctx, TEACHER.username, "không phải mật khẩu", policy=FAST)


def test_a_token_from_another_installation_is_refused(school: School) -> None:
    token = login(school.ctx, TEACHER.username, TEACHER.password, policy=FAST)
    (school.ctx.home.root / "secrets" / "installation.key").write_bytes(bytes(32))
    with pytest.raises(TokenRejected, match="cài đặt khác"):
        authenticate_token(school.ctx, token.value)


def test_old_hashes_are_upgraded_at_sign_in(school: School) -> None:
    ctx = school.ctx
    with ctx.sessions() as s:
        before = s.scalar(
            select(AccountRow.password_hash).where(AccountRow.username == TEACHER.username)
        )
    assert before is not None and "m=1024,t=1,p=1" in before
    login(ctx, TEACHER.username, TEACHER.password, policy=DEFAULT_POLICY)
    with ctx.sessions() as s:
        after = s.scalar(
            select(AccountRow.password_hash).where(AccountRow.username == TEACHER.username)
        )
    assert after is not None and after.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    login(ctx, TEACHER.username, TEACHER.password, policy=DEFAULT_POLICY)
