"""Signed-in sessions for the pages: the access token in a cookie, CSRF tokens for forms.

The cookie holds the short-lived token ``service.accounts.login`` issues (15 minutes, revoked
with the account's generation): HttpOnly (no script reads it), SameSite=Strict (no other site's
page sends it), Secure except over plain HTTP to this machine (the demo). Every request reads the
grants fresh from the database (``authenticate_token``).

CSRF: every form POST carries ``csrf`` = HMAC(session token). It needs no storage, changes with
each sign-in, and cannot be computed without the HttpOnly cookie. The login form, before any
session, uses a double-submit cookie instead (login CSRF).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from api.http.state import ApiState, api_state
from service.accounts import AccountError, authenticate_token
from service.authz import Principal
from service.context import Context
from service.db.account_models import AccountRow
from service.errors import HsdtError

SESSION_COOKIE = "hsdt_phien"
LOGIN_COOKIE = "hsdt_dang_nhap"  # double-submit CSRF of the login form
_LABEL = b"hsdt-web-csrf-v1"
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class NotSignedIn(Exception):
    """No valid session: the page redirects to the login form (with why, when known)."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "")
        self.reason = reason


class CsrfRejected(HsdtError):
    """A form POST without the session's CSRF token (an old page, or another site's form)."""

    def __init__(self) -> None:
        super().__init__(
            "Biểu mẫu không hợp lệ hoặc đã cũ (phiên làm việc đã đổi): không thực hiện gì.",
            hint="Tải lại trang rồi thao tác lại.",
        )
        self.code = "web.csrf"


@dataclass(frozen=True)
class User:
    principal: Principal
    ctx: Context  # the app's context acting as this account (audit entries name them)
    state: ApiState
    full_name: str
    csrf: str

    @property
    def username(self) -> str:
        return self.principal.account_id


def csrf_of(token: str) -> str:
    return hmac.new(_LABEL, token.encode("utf-8"), hashlib.sha256).hexdigest()[:40]


def secure_cookie(request: Request) -> bool:
    """Secure everywhere but plain HTTP to this machine (a browser drops Secure cookies there)."""
    if request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https":
        return True
    return (request.url.hostname or "") not in _LOOPBACK


def set_session(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/")


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def login_nonce(request: Request) -> str:
    """The login form's CSRF value: the cookie's when there is one, else a fresh one."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


def set_login_nonce(response: Response, request: Request, nonce: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request),
    )


def check_login_nonce(request: Request, sent: str) -> None:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not sent or not secrets.compare_digest(cookie, sent):
        raise CsrfRejected


def current_user(request: Request, state: Annotated[ApiState, Depends(api_state)]) -> User:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotSignedIn
    try:
        principal = authenticate_token(state.ctx, token)
    except AccountError:
        raise NotSignedIn(
            "Phiên làm việc đã hết hạn hoặc không còn hiệu lực: xin đăng nhập lại."
        ) from None
    with state.ctx.sessions() as s:
        full_name = s.scalar(
            select(AccountRow.full_name).where(AccountRow.username == principal.account_id)
        )
    ctx = dataclasses.replace(state.ctx, actor=principal.account_id)
    return User(principal, ctx, state, full_name or principal.account_id, csrf_of(token))


def check_csrf(user: User, sent: str) -> None:
    if not sent or not secrets.compare_digest(user.csrf, sent):
        raise CsrfRejected


UserDep = Annotated[User, Depends(current_user)]
