"""Signing in and out, the home page of each role, and the pages' static files."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.http.state import StateDep
from api.web import data
from api.web.menu import can, roles
from api.web.render import HERE, WebRoute, page
from api.web.session import (
    UserDep,
    check_csrf,
    check_login_nonce,
    clear_session,
    login_nonce,
    set_login_nonce,
    set_session,
)
from service.accounts import (
    AccountError,
    SecondFactorFailed,
    SecondFactorRequired,
    login,
)
from service.authz import Action

router = APIRouter(route_class=WebRoute)

STATIC = {
    "web.css": ("text/css; charset=utf-8", HERE / "static" / "web.css"),
    "web.js": ("text/javascript; charset=utf-8", HERE / "static" / "web.js"),
}


@router.get("/tai-nguyen/{name}")
def static_file(name: str) -> Response:
    found = STATIC.get(name)
    if found is None:
        return Response("Không có tệp này.", status_code=404, media_type="text/plain")
    media, path = found
    return Response(
        path.read_bytes(), media_type=media, headers={"Cache-Control": "public, max-age=3600"}
    )


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _login_form(
    request: Request,
    *,
    message: str | None = None,
    hint: str | None = None,
    username: str = "",
    totp: bool = False,
    target: str = "/",
    status: int = 200,
) -> Response:
    nonce = login_nonce(request)
    expired = request.query_params.get("het-han") == "1"
    response = page(
        "login.html",
        None,
        status=status,
        nonce=nonce,
        message=message or ("Phiên làm việc đã hết hạn: xin đăng nhập lại." if expired else None),
        hint=hint,
        username=username,
        totp=totp,
        target=target,
    )
    set_login_nonce(response, request, nonce)
    return response


@router.get("/dang-nhap")
def get_login(request: Request, tiep: str | None = None) -> Response:
    return _login_form(request, target=_safe_next(tiep))


@router.post("/dang-nhap")
def post_login(
    request: Request,
    state: StateDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    totp_code: Annotated[str, Form(max_length=16)] = "",
    nonce: Annotated[str, Form(max_length=64)] = "",
    tiep: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    check_login_nonce(request, nonce)
    target = _safe_next(tiep)
    if not username or not password:
        return _login_form(
            request,
            message="Nhập tên đăng nhập và mật khẩu.",
            username=username,
            target=target,
            status=422,
        )
    try:
        token = login(
            state.ctx, username, password, totp_code or None, policy=state.settings.policy
        )
    except SecondFactorRequired:
        return _login_form(
            request,
            message="Tài khoản bật xác thực hai bước: nhập mã 6 chữ số từ ứng dụng xác thực.",
            username=username,
            totp=True,
            target=target,
            status=401,
        )
    except SecondFactorFailed as exc:
        return _login_form(
            request, message=exc.message, hint=exc.hint, username=username, totp=True,
            target=target, status=401,
        )  # fmt: skip
    except AccountError as exc:
        return _login_form(
            request, message=exc.message, hint=exc.hint, username=username, target=target,
            status=423 if exc.code == "login.locked" else 401,
        )  # fmt: skip
    response = RedirectResponse(target, status_code=303)
    now = state.ctx.clock.now()
    seconds = int((token.expires_at - now.astimezone(UTC)).total_seconds())
    set_session(response, request, token.value, max(seconds, 60))
    return response


@router.post("/dang-xuat")
def post_logout(user: UserDep, csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
    check_csrf(user, csrf)
    response = RedirectResponse("/dang-nhap", status_code=303)
    clear_session(response)
    return response


@router.get("/")
def home(user: UserDep) -> Response:
    held = roles(user)
    classes = data.visible_classes(user) if can(user, Action.RECORD_VIEW) else []
    queue = data.signing_queue(user)
    return page(
        "home.html",
        user,
        grants=user.principal.grants,
        held=held,
        classes=classes,
        queue_count=len(queue),
    )
