"""Passwords, keys, TOTP secrets and codes, and tokens never reach a log record, the audit log or
a ``repr``: a whole account life is run with every logger at DEBUG and everything is searched."""

from __future__ import annotations

import base64
import logging

import pyotp
import pytest
from sqlalchemy import select

from accounts.conftest import School
from accounts.helpers import FAST, SCHOOL_ADMIN, TEACHER, advance, certificate
from service.accounts import (
    AccountError,
    NewAccount,
    authenticate_token,
    begin_totp_enrolment,
    bind_certificate,
    change_password,
    confirm_totp_enrolment,
    login,
    reset_password,
)
from service.accounts.keys import KEY_FILE, InstallationKeys
from service.audit_log import events_table


def test_no_secret_in_logs_audit_entries_or_reprs(
    school: School, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = school.ctx
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = [TEACHER.password, SCHOOL_ADMIN.password]
    shown: list[object] = [TEACHER]

    for wrong in ("mật khẩu sai số một", "mật khẩu sai số hai"):
        secrets.append(wrong)
        with pytest.raises(AccountError) as caught:
            login(ctx, TEACHER.username, wrong, policy=FAST)
        shown.append(caught.value)
    with pytest.raises(AccountError):
        login(ctx, "mat.khau.go.nham.cho", TEACHER.password, policy=FAST)

    enrolment = begin_totp_enrolment(ctx, TEACHER.username)
    first = pyotp.TOTP(enrolment.secret).at(ctx.clock.now())
    token = confirm_totp_enrolment(ctx, TEACHER.username, first, policy=FAST)
    secrets += [enrolment.secret, enrolment.uri, first, token.value]
    shown += [enrolment, token]
    advance(ctx, seconds=30)
    second = pyotp.TOTP(enrolment.secret).at(ctx.clock.now())
    token = login(ctx, TEACHER.username, TEACHER.password, second, policy=FAST)
    secrets += [second, token.value]
    shown.append(token)
    with pytest.raises(AccountError) as caught:
        login(ctx, TEACHER.username, TEACHER.password, second, policy=FAST)  # replayed
    shown.append(caught.value)
    with pytest.raises(AccountError) as caught:
        authenticate_token(ctx, token.value[:-2] + "AA")  # tampered
    shown.append(caught.value)

    renewed = "mật khẩu mới toanh của Mai"
    change_password(ctx, TEACHER.username, TEACHER.password, renewed, policy=FAST)
    temporary = "mật khẩu tạm cho quản trị"
    reset_password(ctx, school.province_admin, SCHOOL_ADMIN.username, temporary, policy=FAST)
    secrets += [renewed, temporary]
    bind_certificate(ctx, school.school_admin, TEACHER.username, certificate("Giàng Thị Mai"))

    key = (ctx.home.root / KEY_FILE).read_bytes()
    keys = InstallationKeys.of(ctx.home)
    secrets += [key.hex(), base64.b64encode(key).decode(), keys.token_key.hex()]
    shown += [keys, NewAccount("a.b", "A B", "010203040599", renewed)]

    assert caplog.records, "the use cases log what happens (without secrets)"
    logged = [r.getMessage() for r in caplog.records] + [repr(r.args) for r in caplog.records]
    with ctx.engine.connect() as c:
        audit = [
            f"{r.actor} {r.action} {r.subject} {r.detail}"
            for r in c.execute(select(events_table)).all()
        ]
    reprs = [repr(o) for o in shown] + [str(o) for o in shown]
    for secret in secrets:
        for where, texts in (("log", logged), ("audit", audit), ("repr", reprs)):
            leaks = [t for t in texts if secret in t]
            assert not leaks, f"secret found in {where}: {leaks[0][:200]}"
    assert any("locked" in t or "failed" in t for t in logged)
