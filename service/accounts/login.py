"""Signing in and recognising a signed-in account.

    login(ctx, username, password, totp_code=None) -> AccessToken
    authenticate_token(ctx, token_value) -> Principal     # on every API request

Failures share one counter (wrong password or wrong TOTP code); at ``max_failures`` the account is
locked for ``lockout``. An unknown username costs the same argon2 work as a known one and is
neither logged by name nor written to the audit log (people type their password into the
username field; the audit log is permanent).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from service.accounts import store, tokens
from service.accounts.errors import (
    AccountDisabled,
    AccountError,
    AccountLocked,
    LoginFailed,
    SecondFactorFailed,
    SecondFactorRequired,
    TokenRejected,
)
from service.accounts.keys import InstallationKeys
from service.accounts.lockout import lock_after, locked_until
from service.accounts.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from service.accounts.policy import DEFAULT_POLICY, AccountPolicy
from service.accounts.tokens import AccessToken
from service.accounts.totp import matching_step
from service.authz import Principal
from service.context import Context
from service.db.account_models import AccountRow

log = logging.getLogger(__name__)


def login(
    ctx: Context,
    username: str,
    password: str,
    totp_code: str | None = None,
    *,
    policy: AccountPolicy = DEFAULT_POLICY,
) -> AccessToken:
    keys = InstallationKeys.of(ctx.home)
    with ctx.sessions.begin() as s:
        outcome = _sign_in(s, keys, username, password, totp_code, ctx.clock.now(), policy)
    # committed: a failure's counter and audit entry stay, then the failure is raised
    if isinstance(outcome, AccountError):
        raise outcome
    return outcome


def _sign_in(
    s: Session,
    keys: InstallationKeys,
    username: str,
    password: str,
    totp_code: str | None,
    now: datetime,
    policy: AccountPolicy,
) -> AccessToken | AccountError:
    """A token, or the counted failure to raise after commit. Refusals that change nothing
    (unknown name, locked, disabled, code missing) are raised here and roll back."""
    row = store.find_account(s, username)
    if row is None:
        verify_password(dummy_hash(policy.hashing), password, policy)
        log.info("sign-in refused: no such account")
        raise LoginFailed()
    failure = check_password(s, row, password, now, policy)
    if failure is not None:
        return failure
    if row.disabled_at is not None:
        raise AccountDisabled()  # said only to someone who knows the password
    if row.totp_secret is not None:
        if not totp_code:
            raise SecondFactorRequired()
        failure = _check_totp(s, keys, row, totp_code, now, policy)
        if failure is not None:
            return failure
    row.failed_logins = 0
    if needs_rehash(row.password_hash, policy):
        row.password_hash = hash_password(password, policy)
    factors = "password+totp" if row.totp_secret is not None else "password"
    store.audit(s, now, row.username, "account.signed_in", row.username, factors=factors)
    return tokens.issue(keys.token_key, row.username, row.generation, now, policy.token_lifetime)


def check_password(
    s: Session, row: AccountRow, password: str, now: datetime, policy: AccountPolicy
) -> AccountError | None:
    """None when the password is right; otherwise the error to raise once the failure counted
    (the caller commits first). A locked account is refused without checking."""
    until = locked_until(row.locked_until, now)
    if until is not None:
        raise AccountLocked(until)
    if row.locked_until is not None:  # a lock that has run out: a fresh start
        row.locked_until, row.failed_logins = None, 0
    if verify_password(row.password_hash, password, policy):
        return None
    return _count_failure(s, row, now, policy, "password")


def _check_totp(
    s: Session,
    keys: InstallationKeys,
    row: AccountRow,
    code: str,
    now: datetime,
    policy: AccountPolicy,
) -> AccountError | None:
    assert row.totp_secret is not None
    secret = keys.open_totp(row.totp_secret, row.username)
    step = (
        None
        if secret is None
        else matching_step(
            secret, code, now, drift=policy.totp_drift_steps, last_step=row.totp_last_step
        )
    )
    if secret is None:
        log.error("TOTP secret of %s does not decrypt with this installation key", row.username)
    if step is None:
        return _count_failure(s, row, now, policy, "totp")
    row.totp_last_step = step
    return None


def _count_failure(
    s: Session, row: AccountRow, now: datetime, policy: AccountPolicy, factor: str
) -> AccountError:
    # one atomic increment: concurrent wrong attempts all count, on SQLite and PostgreSQL
    failures = s.execute(
        update(AccountRow)
        .where(AccountRow.id == row.id)
        .values(failed_logins=AccountRow.failed_logins + 1)
        .returning(AccountRow.failed_logins)
    ).scalar_one()
    until = lock_after(failures, now, policy)
    if until is not None:
        row.locked_until, row.failed_logins = until, 0
        store.audit(
            s, now, row.username, "account.locked", row.username, failures=failures, factor=factor
        )
        log.warning("account %s locked after %d failed sign-ins", row.username, failures)
        return AccountLocked(until)
    store.audit(
        s,
        now,
        row.username,
        "account.sign_in_failed",
        row.username,
        failures=failures,
        factor=factor,
    )
    log.info("sign-in failed for %s (%s, %d in a row)", row.username, factor, failures)
    return SecondFactorFailed() if factor == "totp" else LoginFailed()


def authenticate_token(ctx: Context, value: str) -> Principal:
    """The account a bearer token was issued to, with its current grants; ``TokenRejected`` for
    an expired, altered or revoked token (HTTP 401)."""
    keys = InstallationKeys.of(ctx.home)
    try:
        claims = tokens.verify(keys.token_key, value, ctx.clock.now())
    except tokens.BadToken as exc:
        raise TokenRejected(str(exc)) from None
    with ctx.sessions() as s:
        row = store.find_account(s, claims.username)
        if row is None or row.disabled_at is not None or row.generation != claims.generation:
            raise TokenRejected("mã phiên đã bị thu hồi")
        return store.principal_of(s, row)
