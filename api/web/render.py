"""Templates, and errors as readable Vietnamese pages.

``WebRoute`` wraps every page: a refusal by the permission matrix is a 403 page with the
decision's reason, a service error its message and hint with the API's status for its code, no
session a redirect to the login form, anything unexpected a generic sentence and an incident id
(the traceback goes to the home's ``logs/``, never to the page).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from api.http.problems import STATUS_BY_CODE, TITLES, ApiProblem, error_code, incident_log
from api.http.state import ApiState
from api.web.session import NotSignedIn, User, clear_session
from service.accounts import AccountError
from service.authz import Forbidden
from service.errors import HsdtError
from signing.errors import SigningError
from signing.plans import PlanError, PlanViolation

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _nfc(value: object) -> str:
    return unicodedata.normalize("NFC", "" if value is None else str(value))


def _time(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(VN).strftime("%d/%m/%Y %H:%M")


# Scripts, styles and frames from this site only; no inline script (the one script is a file).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages show personal data: never kept by a shared browser
}

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=lambda v: unicodedata.normalize("NFC", v) if isinstance(v, str) else v,
)
env.filters["vn_time"] = _time
env.filters["nfc"] = _nfc


def page(template: str, user: User | None, *, status: int = 200, **values: Any) -> HTMLResponse:
    from api.web.menu import menu  # the navigation depends on what the user may do

    html = env.get_template(template).render(
        user=user, menu=menu(user) if user is not None else [], **values
    )
    return HTMLResponse(
        unicodedata.normalize("NFC", html), status_code=status, headers=SECURITY_HEADERS
    )


def error_page(
    status: int, message: str, hint: str | None, *, code: str = "", incident: str | None = None
) -> HTMLResponse:
    return page(
        "error.html",
        None,
        status=status,
        title=TITLES.get(status, "Lỗi"),
        message=message,
        hint=hint,
        code=code,
        incident=incident,
    )


def _status(exc: HsdtError) -> int:
    if isinstance(exc, ApiProblem):
        return exc.status
    code = error_code(exc)
    if code == "web.csrf":
        return 403
    return STATUS_BY_CODE.get(code, 401 if isinstance(exc, AccountError) else 400)


def _validation_message(exc: RequestValidationError) -> str:
    fields = sorted({str(e.get("loc", ("", "?"))[-1]) for e in exc.errors()})
    return f"Biểu mẫu thiếu hoặc sai: {', '.join(fields)}."


def handle_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, NotSignedIn):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        where = "/dang-nhap?tiep=" + quote(target, safe="")
        if exc.reason:
            where += "&het-han=1"
        response: Response = RedirectResponse(where, status_code=303)
        clear_session(response)
        return response
    if isinstance(exc, Forbidden):
        d = exc.decision
        return error_page(403, d.reason, exc.hint, code=d.rule)
    if isinstance(exc, HsdtError):
        return error_page(_status(exc), exc.message, exc.hint, code=error_code(exc))
    if isinstance(exc, PlanViolation):
        return error_page(409, exc.message, None, code=exc.code)
    if isinstance(exc, PlanError):
        return error_page(409, str(exc), None, code="plan.invalid")
    if isinstance(exc, SigningError):
        return error_page(STATUS_BY_CODE.get(exc.code, 502), exc.message, None, code=exc.code)
    if isinstance(exc, RequestValidationError):
        return error_page(
            422, _validation_message(exc), "Quay lại trang trước, điền đủ rồi gửi lại."
        )
    state = getattr(request.app.state, "hsdt", None)
    logs = state.ctx.home.logs_dir if isinstance(state, ApiState) else Path("logs")
    incident = incident_log(logs, request, exc)
    log.error("web: internal error %s on %s %s", incident, request.method, request.url.path)
    return error_page(
        500,
        "Hệ thống gặp lỗi ngoài dự kiến; dữ liệu đã ghi vẫn trọn vẹn.",
        f"Xin báo cho bộ phận hỗ trợ mã sự cố {incident}.",
        code="internal",
        incident=incident,
    )


class WebRoute(APIRoute):
    """Every page's errors become pages (the API's problem handlers answer JSON)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except Exception as exc:  # every error is a page, never a traceback
                return await run_in_threadpool(handle_error, request, exc)

        return handler
