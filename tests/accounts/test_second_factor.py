"""TOTP second factor: enrol → confirm → required at every sign-in; codes used once; wrong codes
count towards the lockout; the secret is stored encrypted; an administrator resets it."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from accounts.conftest import School
from accounts.helpers import FAST, TEACHER, advance
from service.accounts import (
    AccountLocked,
    InvalidAccountData,
    SecondFactorFailed,
    SecondFactorRequired,
    TokenRejected,
    authenticate_token,
    begin_totp_enrolment,
    confirm_totp_enrolment,
    login,
    reset_second_factor,
)
from service.context import Context
from service.db.account_models import AccountRow


def code(secret: str, ctx: Context) -> str:
    return pyotp.TOTP(secret).at(ctx.clock.now())


def enrol(ctx: Context) -> str:
    enrolment = begin_totp_enrolment(ctx, TEACHER.username)
    confirm_totp_enrolment(ctx, TEACHER.username, code(enrolment.secret, ctx), policy=FAST)
    return enrolment.secret


def test_once_enrolled_every_sign_in_needs_a_fresh_code(school: School) -> None:
    ctx = school.ctx
    before = login(ctx, TEACHER.username, TEACHER.password, policy=FAST)
    secret = enrol(ctx)
    # sessions opened with the password alone end when the second factor is turned on
    with pytest.raises(TokenRejected):
        authenticate_token(ctx, before.value)
    with pytest.raises(SecondFactorRequired):
        login(ctx, TEACHER.username, TEACHER.password, policy=FAST)
    advance(ctx, seconds=30)  # the enrolment used this step's code
    token = login(ctx, TEACHER.username, TEACHER.password, code(secret, ctx), policy=FAST)
    assert authenticate_token(ctx, token.value).account_id == TEACHER.username
    # the same code again (a replay within its 30 seconds) is refused
    with pytest.raises(SecondFactorFailed):
        login(ctx, TEACHER.username, TEACHER.password, code(secret, ctx), policy=FAST)


def test_wrong_codes_count_towards_the_lockout(school: School) -> None:
    ctx = school.ctx
    secret = enrol(ctx)
    advance(ctx, minutes=1)
    wrong = f"{(int(code(secret, ctx)) + 1) % 1_000_000:06d}"
    for _ in range(4):
        with pytest.raises(SecondFactorFailed):
            login(ctx, TEACHER.username, TEACHER.password, wrong, policy=FAST)
    with pytest.raises(AccountLocked):
        login(ctx, TEACHER.username, TEACHER.password, wrong, policy=FAST)
    with pytest.raises(AccountLocked):
        login(ctx, TEACHER.username, TEACHER.password, code(secret, ctx), policy=FAST)
    advance(ctx, minutes=15)
    login(ctx, TEACHER.username, TEACHER.password, code(secret, ctx), policy=FAST)


def test_enrolment_needs_a_code_from_the_app_and_stores_the_secret_encrypted(
    school: School,
) -> None:
    ctx = school.ctx
    enrolment = begin_totp_enrolment(ctx, TEACHER.username)
    with pytest.raises(SecondFactorFailed):
        confirm_totp_enrolment(ctx, TEACHER.username, "000000", policy=FAST)
    # not enabled yet: the password alone still signs in
    login(ctx, TEACHER.username, TEACHER.password, policy=FAST)
    confirm_totp_enrolment(ctx, TEACHER.username, code(enrolment.secret, ctx), policy=FAST)
    with ctx.sessions() as s:
        row = s.scalars(select(AccountRow).where(AccountRow.username == TEACHER.username)).one()
        assert row.totp_secret is not None and row.totp_pending is None
        assert enrolment.secret.encode() not in row.totp_secret
        assert row.totp_enabled_at is not None
    with pytest.raises(InvalidAccountData, match="đã được bật"):
        begin_totp_enrolment(ctx, TEACHER.username)


def test_an_administrator_resets_a_lost_second_factor(school: School) -> None:
    ctx = school.ctx
    enrol(ctx)
    reset_second_factor(ctx, school.school_admin, TEACHER.username)
    login(ctx, TEACHER.username, TEACHER.password, policy=FAST)
    enrolment = begin_totp_enrolment(ctx, TEACHER.username)  # and enrols again
    assert enrolment.uri.startswith("otpauth://totp/HS%C4%90T:giang.thi.mai?secret=")
