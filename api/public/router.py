"""The public verification pages and JSON API: no login, for anyone holding a record.

Pages (Vietnamese, server-rendered, no JavaScript needed, no external CDN):
    GET  /xac-minh                 form: upload a PDF, or enter a document id / paste the QR link;
                                   with ?id=…&h=… (what the QR code encodes) the look-up result
    POST /xac-minh                 the result page for an upload, or a redirect to the look-up
    GET  /xac-minh/{document_id}   the look-up: public facts only, no personal data
    GET  /xac-thuc                 the same as /xac-minh (the default link printed by older homes)
JSON:
    POST /api/v1/verify                  body: the PDF (application/pdf) or multipart field «file»
    GET  /api/v1/verify/{document_id}    ?h=<check code>

``install_public(app, ctx)`` attaches the state the endpoints need (home, limits, rate limiter)
and includes ``router``; ``create_public_app(ctx)`` is a FastAPI app with only these routes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from api.http.authz import PUBLIC, guarded
from api.public.ratelimit import RateLimiter
from service.context import Context
from service.errors import HsdtError
from service.public_guard import HostilePdfError, valid_document_id, valid_short_hash
from service.public_lookup import is_extract_id
from service.public_verification import (
    DEMO_NOTICE,
    DocumentNotFound,
    ExtractLookup,
    PublicLimits,
    PublicLookup,
    PublicVerdict,
    TrustNotConfigured,
    local_time,
    lookup_document,
    lookup_extract,
    public_limits,
    trust_material,
    verify_upload,
)
from service.public_worker import VerificationTimeout

__all__ = ["PUBLIC_PREFIXES", "PublicState", "create_public_app", "install_public", "router"]

# Paths served here: they enforce their own upload limit, so the main app's limit skips them.
PUBLIC_PREFIXES = ("/xac-minh", "/xac-thuc", "/api/v1/verify")

HERE = Path(__file__).parent
LOOKUP_COST = 0.2  # a look-up is a database read; a verification is seconds of CPU
BUSY_WAIT = 10.0  # seconds an upload waits for a free verification slot
_MULTIPART_SLACK = 64 * 1024  # form boundaries and headers around the file

router = APIRouter(tags=["xác minh công khai"])
_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters["vn_time"] = local_time


@dataclass
class PublicState:
    ctx: Context
    limits: PublicLimits
    limiter: RateLimiter
    slots: threading.BoundedSemaphore


def install_public(app: FastAPI, ctx: Context, limits: PublicLimits | None = None) -> None:
    limits = limits or public_limits(ctx)
    app.state.public_verification = PublicState(
        ctx,
        limits,
        RateLimiter(per_minute=limits.rate_per_minute, burst=limits.rate_burst),
        threading.BoundedSemaphore(limits.concurrent),
    )
    app.include_router(router)


def create_public_app(ctx: Context, limits: PublicLimits | None = None) -> FastAPI:
    app = FastAPI(title="hsdt — xác minh hồ sơ", docs_url=None, redoc_url=None)
    install_public(app, ctx, limits)
    return app


def _state(request: Request) -> PublicState:
    state: PublicState = request.app.state.public_verification
    return state


class _Refused(Exception):
    """An HTTP refusal with a Vietnamese message (rendered as a page or as JSON)."""

    def __init__(
        self, status: int, code: str, error: HsdtError, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(error.message)
        self.status, self.code, self.error, self.headers = status, code, error, headers or {}


def _rate_limit(request: Request, cost: float) -> None:
    client = request.client.host if request.client else "unknown"
    wait = _state(request).limiter.take(client, cost)
    if wait > 0:
        seconds = max(1, int(wait + 0.999))
        raise _Refused(
            429,
            "rate_limited",
            HsdtError(
                "Bạn đã gửi quá nhiều yêu cầu trong thời gian ngắn.",
                hint=f"Vui lòng thử lại sau {seconds} giây.",
            ),
            {"Retry-After": str(seconds)},
        )


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes ``limit`` (declared or streamed)."""
    too_large = _Refused(
        413,
        "too_large",
        HsdtError(
            f"Tệp quá lớn; giới hạn là {limit // (1024 * 1024)} MiB.",
            hint="Hồ sơ điện tử thường nhỏ hơn vài MiB: hãy tải lên đúng tệp PDF đã ký.",
        ),
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + _MULTIPART_SLACK:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit + _MULTIPART_SLACK:
            raise too_large
    # Starlette's form parser reads ``_body`` when present: the bytes are parsed once, bounded.
    request._body = bytes(body)
    return request._body


async def _uploaded_pdf(request: Request) -> tuple[bytes | None, str | None]:
    """(the PDF, or None; the «q» text field, or None) from a raw or multipart body."""
    limit = _state(request).limits.guard.max_upload_bytes
    body = await _read_body(request, limit)
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        return body, None
    try:
        form = await request.form(max_files=1, max_fields=5)
    except Exception:  # python-multipart's errors: a malformed or oversized form
        raise _Refused(
            400,
            "bad_form",
            HsdtError(
                "Không đọc được biểu mẫu gửi lên.",
                hint="Gửi đúng một tệp PDF trong trường «file», hoặc mã hồ sơ trong trường «q».",
            ),
        ) from None
    upload = form.get("file")
    text = form.get("q")
    data = None
    if upload is not None and not isinstance(upload, str):
        data = await upload.read()
        if not data:
            data = None
    if data is not None and len(data) > limit:
        raise _Refused(
            413, "too_large", HsdtError(f"Tệp quá lớn; giới hạn là {limit // (1024 * 1024)} MiB.")
        )
    return data, text if isinstance(text, str) and text.strip() else None


def _verify(request: Request, data: bytes) -> PublicVerdict:
    state = _state(request)
    if not state.slots.acquire(timeout=BUSY_WAIT):
        raise _Refused(
            503,
            "busy",
            HsdtError("Hệ thống đang bận kiểm tra các tệp khác.", hint="Thử lại sau ít phút."),
            {"Retry-After": "30"},
        )
    try:
        return verify_upload(state.ctx, data, state.limits)
    except HostilePdfError as exc:
        raise _Refused(413 if exc.code == "too_large" else 422, exc.code, exc) from None
    except VerificationTimeout as exc:
        raise _Refused(503, "timeout", exc, {"Retry-After": "60"}) from None
    except TrustNotConfigured as exc:
        raise _Refused(503, "not_configured", exc) from None
    except HsdtError as exc:
        raise _Refused(500, "internal", exc) from None
    finally:
        state.slots.release()


def _lookup(
    request: Request, document_id: str, check_code: str | None
) -> PublicLookup | ExtractLookup:
    if not valid_document_id(document_id):
        raise _Refused(
            400,
            "bad_document_id",
            HsdtError(
                "Mã hồ sơ không đúng định dạng.",
                hint="Mã hồ sơ in ở chân mỗi trang, ví dụ HB-10082256-2025-7323938135.",
            ),
        )
    if check_code is not None and not valid_short_hash(check_code):
        check_code = None  # a malformed check code is ignored, not echoed back
    try:
        if is_extract_id(document_id):  # an extract (trích lục) the school issued
            return lookup_extract(_state(request).ctx, document_id, check_code)
        return lookup_document(_state(request).ctx, document_id, check_code)
    except DocumentNotFound as exc:
        raise _Refused(404, "not_found", exc) from None
    except TrustNotConfigured as exc:
        raise _Refused(503, "not_configured", exc) from None


def _demo(request: Request) -> bool:
    try:
        return trust_material(_state(request).ctx)[1]
    except HsdtError:
        return False


def _page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(
        demo=_demo(request),
        demo_notice=DEMO_NOTICE,
        base=request.scope.get("root_path", ""),
        **values,
    )
    return HTMLResponse(html, status_code=status, headers=_NO_STORE)


def _error_page(request: Request, refused: _Refused) -> HTMLResponse:
    response = _page(request, "error.html", refused.status, error=refused.error, code=refused.code)
    response.headers.update(refused.headers)
    return response


def _error_json(request: Request, refused: _Refused) -> JSONResponse:
    body = {
        "error": {
            "code": refused.code,
            "message": refused.error.message,
            "hint": refused.error.hint,
        },
        "demo_mode": _demo(request),
    }
    return JSONResponse(body, refused.status, headers={**refused.headers, **_NO_STORE})


# Results describe someone's record: never cached by a shared proxy.
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _parse_query(text: str) -> tuple[str, str | None] | None:
    """A document id, or the QR link (…?id=…&h=… or …/xac-minh/<id>), → (id, check code)."""
    text = text.strip()
    if valid_document_id(text):
        return text, None
    parts = urlsplit(text)
    query = parse_qs(parts.query)
    if "id" in query:
        ident = query["id"][0]
        code = query.get("h", [None])[0]
        return (ident, code) if valid_document_id(ident) else None
    tail = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return (tail, None) if valid_document_id(tail) else None


# ------------------------------------------------------------------------------------ pages


@router.get("/xac-minh", response_class=HTMLResponse, include_in_schema=False)
@router.get("/xac-thuc", response_class=HTMLResponse, include_in_schema=False)
async def form_page(request: Request, id: str | None = None, h: str | None = None) -> Response:
    if id is not None:
        target = f"{request.scope.get('root_path', '')}/xac-minh/{quote(id, safe='')}"
        if h:
            target += f"?h={quote(h, safe='')}"
        return RedirectResponse(target, status_code=303)
    return _page(request, "form.html")


@router.post("/xac-minh", response_class=HTMLResponse, include_in_schema=False)
async def verify_page(request: Request) -> Response:
    try:
        _rate_limit(request, 1.0)
        data, text = await _uploaded_pdf(request)
        if data is None and text is not None:
            parsed = _parse_query(text)
            if parsed is None:
                raise _Refused(
                    400,
                    "bad_document_id",
                    HsdtError(
                        "Không nhận ra mã hồ sơ hoặc đường liên kết đã nhập.",
                        hint="Nhập mã hồ sơ in ở chân trang, hoặc dán đường liên kết của mã QR.",
                    ),
                )
            target = f"{request.scope.get('root_path', '')}/xac-minh/{quote(parsed[0], safe='')}"
            if parsed[1]:
                target += f"?h={quote(parsed[1], safe='')}"
            return RedirectResponse(target, status_code=303)
        if data is None:
            raise _Refused(
                400,
                "no_input",
                HsdtError(
                    "Chưa chọn tệp PDF hoặc nhập mã hồ sơ.",
                    hint="Chọn tệp hồ sơ (.pdf), hoặc nhập mã hồ sơ in ở chân trang.",
                ),
            )
        verdict = await run_in_threadpool(_verify, request, data)
    except _Refused as refused:
        return _error_page(request, refused)
    return _page(request, "result.html", result=verdict)


@router.get("/xac-minh/static/style.css", include_in_schema=False)
async def stylesheet() -> Response:
    css = (HERE / "static" / "style.css").read_text("utf-8")
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/xac-minh/{document_id}", response_class=HTMLResponse, include_in_schema=False)
async def lookup_page(request: Request, document_id: str, h: str | None = None) -> Response:
    try:
        _rate_limit(request, LOOKUP_COST)
        found = await run_in_threadpool(_lookup, request, document_id, h)
    except _Refused as refused:
        return _error_page(request, refused)
    template = "extract.html" if isinstance(found, ExtractLookup) else "lookup.html"
    return _page(request, template, found=found)


# ------------------------------------------------------------------------------------- JSON


@router.post(
    "/api/v1/verify",
    summary="Xác minh một tệp PDF (công khai)",
    description=(
        "Gửi tệp PDF trong thân yêu cầu (`application/pdf`) hoặc trường `file` (multipart). Kết "
        "quả: ai đã ký, khi nào, tệp còn nguyên vẹn không, có khớp bản gốc lưu trữ không, phiên "
        "bản hiện hành và trạng thái lưu trữ dài hạn (LTA). Không cần đăng nhập; có giới hạn "
        "kích thước, thời gian và số lần gọi (docs/verification.md)."
    ),
    tags=["xác minh công khai"],
    openapi_extra=guarded(PUBLIC),
    responses={200: {"description": "Kết quả xác minh", "content": {"application/json": {}}}},
)
async def verify_json(request: Request) -> Response:
    try:
        _rate_limit(request, 1.0)
        data, _ = await _uploaded_pdf(request)
        if not data:
            raise _Refused(
                400,
                "no_input",
                HsdtError(
                    "Yêu cầu không có tệp PDF.",
                    hint="Gửi tệp trong thân yêu cầu (Content-Type: application/pdf) hoặc trong "
                    "trường «file» của biểu mẫu multipart.",
                ),
            )
        verdict = await run_in_threadpool(_verify, request, data)
    except _Refused as refused:
        return _error_json(request, refused)
    return JSONResponse(verdict.to_json(), headers=_NO_STORE)


@router.get(
    "/api/v1/verify/{document_id}",
    summary="Tra cứu hồ sơ theo mã (công khai)",
    description=(
        "Tra cứu theo mã hồ sơ (và mã kiểm tra `h` in trên mã QR): loại hồ sơ, trường, năm "
        "học, các phiên bản và trạng thái lưu trữ. Không trả về dữ liệu cá nhân."
    ),
    tags=["xác minh công khai"],
    openapi_extra=guarded(PUBLIC),
    responses={200: {"description": "Thông tin công khai", "content": {"application/json": {}}}},
)
async def lookup_json(request: Request, document_id: str, h: str | None = None) -> Response:
    try:
        _rate_limit(request, LOOKUP_COST)
        found = await run_in_threadpool(_lookup, request, document_id, h)
    except _Refused as refused:
        return _error_json(request, refused)
    return JSONResponse(found.to_json(), headers=_NO_STORE)
