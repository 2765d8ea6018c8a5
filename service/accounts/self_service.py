"""What a signed-in person does to their own account: change the password, enrol a second factor.

The API passes the username of the authenticated principal (``Principal.account_id``); these
need no permission beyond being that person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.accounts import store, tokens
from service.accounts.errors import AccountError, InvalidAccountData, SecondFactorFailed
from service.accounts.keys import InstallationKeys
from service.accounts.login import check_password
from service.accounts.passwords import check_new_password, hash_password, normalise
from service.accounts.policy import DEFAULT_POLICY, AccountPolicy
from service.accounts.tokens import AccessToken
from service.accounts.totp import TotpEnrolment, matching_step, new_secret, provisioning_uri
from service.context import Context


def change_password(
    ctx: Context,
    username: str,
    old_password: str,
    new_password: str,
    *,
    policy: AccountPolicy = DEFAULT_POLICY,
) -> None:
    """Every token issued so far stops working (sign in again with the new password). A wrong old
    password counts towards the lockout like a wrong sign-in."""
    now = ctx.clock.now()
    with ctx.sessions.begin() as s:
        failure = _change(s, username, old_password, new_password, now, policy)
    if failure is not None:
        raise failure


def _change(
    s: Session, username: str, old: str, new: str, now: datetime, policy: AccountPolicy
) -> AccountError | None:
    row = store.get_account(s, username)
    failure = check_password(s, row, old, now, policy)
    if failure is not None:
        return failure
    if normalise(new) == normalise(old):
        raise InvalidAccountData(
            "Mật khẩu mới phải khác mật khẩu đang dùng.", hint="Chọn một mật khẩu mới."
        )
    check_new_password(new, policy, forbidden=(row.username, row.national_id))
    row.password_hash = hash_password(new, policy)
    row.password_changed_at = now
    row.generation += 1
    store.audit(s, now, row.username, "account.password_changed", row.username)
    return None


def begin_totp_enrolment(ctx: Context, username: str) -> TotpEnrolment:
    """A new secret, kept pending (encrypted) until a code from the app confirms it."""
    keys = InstallationKeys.of(ctx.home)
    with ctx.sessions.begin() as s:
        row = store.get_account(s, username)
        if row.totp_secret is not None:
            raise InvalidAccountData(
                "Xác thực hai bước đã được bật cho tài khoản này.",
                hint="Đổi điện thoại hay mất ứng dụng: nhờ quản trị viên đặt lại rồi đăng ký lại.",
            )
        secret = new_secret()
        row.totp_pending = keys.seal_totp(secret, row.username)
        store.audit(
            s, ctx.clock.now(), row.username, "account.totp_enrolment_started", row.username
        )
        return TotpEnrolment(row.username, secret, provisioning_uri(secret, row.username))


def confirm_totp_enrolment(
    ctx: Context, username: str, code: str, *, policy: AccountPolicy = DEFAULT_POLICY
) -> AccessToken:
    """Turn the second factor on with a first code from the app. From now on every sign-in needs
    a code; other sessions (signed in with the password alone) end. Returns a fresh token."""
    keys = InstallationKeys.of(ctx.home)
    now = ctx.clock.now()
    with ctx.sessions.begin() as s:
        row = store.get_account(s, username)
        pending = None if row.totp_pending is None else keys.open_totp(row.totp_pending, username)
        if pending is None:
            raise InvalidAccountData(
                "Chưa bắt đầu đăng ký xác thực hai bước (hoặc mã bí mật đã hết hiệu lực).",
                hint="Bắt đầu đăng ký lại để nhận mã QR mới.",
            )
        step = matching_step(pending, code, now, drift=policy.totp_drift_steps, last_step=None)
        if step is None:
            raise SecondFactorFailed()
        row.totp_secret, row.totp_pending = row.totp_pending, None
        row.totp_enabled_at, row.totp_last_step = now, step
        row.generation += 1
        store.audit(s, now, row.username, "account.totp_enabled", row.username)
        return tokens.issue(
            keys.token_key, row.username, row.generation, now, policy.token_lifetime
        )
