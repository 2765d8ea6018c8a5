"""Every error as ``application/problem+json`` (RFC 9457) with a stable ``code``.

    {"type": "urn:hsdt:problem:<code>", "title", "status", "detail", "code", "hint", "instance"}

``detail`` is the service's Vietnamese message, ``hint`` what to do. Refusals by the permission
matrix carry the decision's rule as ``code`` (``deny.scope.class``); service errors their own
``code`` or one derived from their class; anything unexpected is a 500 with a generic sentence and
an ``incident`` id whose traceback is written to the home's ``logs/`` — never into the body.
"""

from __future__ import annotations

import logging
import re
import secrets
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.accounts import AccountError
from service.authz import Forbidden
from service.db.engine import database_unavailable
from service.errors import HsdtError
from service.importing import RejectedImport
from signing.errors import CertificateRejectedError, SigningError
from signing.plans import PlanError, PlanViolation

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """Mô tả lỗi theo RFC 9457 (application/problem+json)."""

    type: str = Field(description="URI định danh loại lỗi: urn:hsdt:problem:<code>.")
    title: str = Field(description="Tên ngắn của loại lỗi.")
    status: int = Field(description="Mã trạng thái HTTP.")
    detail: str = Field(description="Điều gì sai, ở đâu (tiếng Việt).")
    code: str = Field(description="Mã lỗi ổn định, ví dụ deny.scope.class, login.locked.")
    hint: str | None = Field(default=None, description="Nên làm gì tiếp theo.")
    instance: str = Field(description="Đường dẫn của yêu cầu gây lỗi.")
    incident: str | None = Field(default=None, description="Mã sự cố (chỉ với lỗi 500).")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Từng trường dữ liệu sai (lỗi 422 của yêu cầu)."
    )
    findings: list[dict[str, Any]] | None = Field(
        default=None, description="Các lỗi của tệp dữ liệu (nhập dữ liệu bị từ chối)."
    )


class ApiProblem(HsdtError):
    """An error raised by a route itself (not found, conflict, …) with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code


TITLES = {
    400: "Yêu cầu không hợp lệ",
    401: "Chưa đăng nhập hoặc phiên đã hết hạn",
    403: "Không có quyền",
    404: "Không tìm thấy",
    405: "Phương thức không được hỗ trợ",
    409: "Xung đột trạng thái",
    410: "Không còn hiệu lực",
    413: "Yêu cầu quá lớn",
    415: "Kiểu nội dung không được hỗ trợ",
    422: "Dữ liệu không hợp lệ",
    423: "Tài khoản đang tạm khoá",
    500: "Lỗi nội bộ",
    502: "Dịch vụ bên ngoài không trả lời",
    503: "Dịch vụ tạm thời không sẵn sàng",
}

# Stable HTTP status per service error code (codes are documented in docs/api.md).
STATUS_BY_CODE: dict[str, int] = {
    "login.failed": 401,
    "login.totp_required": 401,
    "login.totp_failed": 401,
    "token.rejected": 401,
    "login.locked": 423,
    "login.disabled": 403,
    "account.invalid": 422,
    "account.duplicate": 409,
    "account.unknown": 404,
    "account.certificate": 422,
    "pending.unknown": 404,
    "pending.used": 409,
    "pending.expired": 410,
    "pending.discarded": 410,
    "external.document_changed": 409,
    "external.signature_invalid": 422,
    "external.state_unreadable": 409,
    "cert.rejected": 422,
    "signer.unavailable": 503,
    "signer.wrong_passphrase": 422,
    "signer.wrong_pin": 422,
    "signer.pin_locked": 423,
    "import.rejected": 422,
}

_STATUS_CODES = {
    401: "http.unauthorized",
    404: "http.not_found",
    405: "http.method_not_allowed",
    413: "request.too_large",
    415: "http.unsupported_media_type",
}


def problem_response(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    hint: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = Problem(
        type=f"urn:hsdt:problem:{code}",
        title=TITLES.get(status, "Lỗi"),
        status=status,
        detail=detail,
        code=code,
        hint=hint,
        instance=request.url.path,
        **extra,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def error_code(exc: BaseException) -> str:
    """The stable code of a service error: its own ``code``, else ``hsdt.<class_name>``."""
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code:
        return code
    if isinstance(exc, RejectedImport):
        return "import.rejected"
    return "hsdt." + _snake(type(exc).__name__)


async def _forbidden(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Forbidden)
    return problem_response(request, 403, exc.decision.rule, exc.message, hint=exc.hint)


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HsdtError)
    code = error_code(exc)
    if isinstance(exc, ApiProblem):
        status = exc.status
    else:
        status = STATUS_BY_CODE.get(code, 400 if not isinstance(exc, AccountError) else 401)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    extra: dict[str, Any] = {}
    if isinstance(exc, RejectedImport):
        extra["findings"] = [f.to_json() for f in exc.report.findings]
    return problem_response(
        request, status, code, exc.message, hint=exc.hint, headers=headers, **extra
    )


async def _plan_violation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PlanViolation)
    return problem_response(request, 409, exc.code, exc.message)


async def _plan_error(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(request, 409, "plan.invalid", str(exc))


async def _signing_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SigningError)
    extra: dict[str, Any] = {}
    if isinstance(exc, CertificateRejectedError):
        extra["errors"] = [{"code": p.code, "msg": p.message} for p in exc.check.problems]
    status = STATUS_BY_CODE.get(exc.code, 502)
    return problem_response(request, status, exc.code, exc.message, **extra)


# pydantic's messages are English; the common ones in Vietnamese (the rest pass through)
_VALIDATION_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "int_parsing": "phải là số nguyên",
    "bool_parsing": "phải là true hoặc false",
    "greater_than_equal": "nhỏ hơn giá trị tối thiểu {ge}",
    "less_than_equal": "lớn hơn giá trị tối đa {le}",
    "string_too_short": "cần ít nhất {min_length} ký tự",
    "string_too_long": "tối đa {max_length} ký tự",
    "too_short": "cần ít nhất {min_length} mục",
    "too_long": "tối đa {max_length} mục",
    "json_invalid": "không phải JSON hợp lệ",
    "enum": "không thuộc các giá trị cho phép: {expected}",
    "string_type": "phải là chuỗi ký tự",
    "model_attributes_type": "phải là một đối tượng JSON",
    "dict_type": "phải là một đối tượng JSON",
    "list_type": "phải là một danh sách",
}


def _message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind == "value_error":  # our own validators speak Vietnamese already
        return str(error.get("msg", "")).removeprefix("Value error, ")
    template = _VALIDATION_MESSAGES.get(kind)
    if template is None:
        return str(error.get("msg", ""))
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # never the rejected input itself: it may be a password
    errors = [
        {"loc": list(e.get("loc", ())), "msg": _message(e), "type": e.get("type")}
        for e in exc.errors()
    ]
    where = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors[:5])
    return problem_response(
        request,
        422,
        "request.invalid",
        f"Yêu cầu có dữ liệu không hợp lệ ({where}).",
        hint="Xem danh sách «errors»: mỗi mục chỉ rõ trường nào sai và vì sao.",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _STATUS_CODES.get(status, f"http.{status}")
    detail = {
        404: f"Không có địa chỉ {request.url.path} trong API.",
        405: f"Địa chỉ {request.url.path} không nhận phương thức {request.method}.",
    }.get(status, str(exc.detail))
    hint = "Danh sách địa chỉ và phương thức: /docs." if status in (404, 405) else None
    return problem_response(
        request, status, code, detail, hint=hint, headers=dict(exc.headers or {}) or None
    )


def incident_log(logs_dir: Path, request: Request, exc: BaseException) -> str:
    """Write the traceback of an unexpected error to ``logs/``; the incident id to quote."""
    incident = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(4)
    # method and path only: never headers (the bearer token) nor the body (passwords)
    text = f"{request.method} {request.url.path}\n\n" + "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__)
    )
    try:
        logs_dir.mkdir(parents=True, exist_ok=True)
        (logs_dir / f"api-incident-{incident}.txt").write_text(text, encoding="utf-8")
    except OSError:
        log.error("incident %s: could not write its report to %s", incident, logs_dir)
    return incident


def install(app: FastAPI, logs_dir: Path) -> None:
    """Register the handlers that turn every error into a problem response."""

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        gone = database_unavailable(exc)  # lost or locked database: nothing half-written, retry
        if gone is not None:
            log.warning("database unavailable on %s %s", request.method, request.url.path)
            return problem_response(
                request,
                503,
                "database.unavailable",
                gone.message,
                hint=gone.hint,
                headers={"Retry-After": "5"},
            )
        incident = incident_log(logs_dir, request, exc)
        log.error("internal error %s on %s %s", incident, request.method, request.url.path)
        return problem_response(
            request,
            500,
            "internal",
            "Lỗi nội bộ của hệ thống; dữ liệu đã ghi vẫn trọn vẹn.",
            hint=f"Xin báo cho bộ phận hỗ trợ mã sự cố {incident}.",
            incident=incident,
        )

    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(HsdtError, _service_error)
    app.add_exception_handler(PlanViolation, _plan_violation)
    app.add_exception_handler(PlanError, _plan_error)
    app.add_exception_handler(SigningError, _signing_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem bodies for ``statuses``."""
    return {
        s: {
            "model": Problem,
            "description": TITLES.get(s, "Lỗi"),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }


COMMON_ERRORS: Sequence[int] = (401, 403, 422, 500)
