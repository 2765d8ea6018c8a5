"""Input guards for the public verification endpoint: hostile PDFs are refused before parsing.

Anyone on the internet can upload a file, so nothing reaches pyHanko until the bytes have passed
cheap checks with hard limits:

1. raw bytes, no parser: a ``%PDF-`` header; cross-reference tables and ``/Size`` entries no
   larger than ``max_objects`` (a huge table would make every parser allocate for it); no run of
   ``max_depth`` nested arrays or dictionaries (recursive parsers overflow on them); every zlib
   stream inflated *incrementally* with a cap per stream and for the whole file (a decompression
   bomb is stopped after ``max_stream_bytes`` of output, not after 20 GiB), and no LZW or
   filter chains that would put a decoder in front of Flate (PDF/A forbids LZW; our records
   never chain filters);
2. pikepdf (qpdf) opens the file: object count, qpdf's own warnings about nesting, and the
   nesting depth of every object walked without following references.

The worker process that runs these checks also has a memory and CPU limit
(``service.public_worker``): the guards say *why* a file is refused, the limits are the backstop.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass
from typing import Any

from service.errors import HsdtError

__all__ = ["GuardLimits", "HostilePdfError", "PdfFacts", "check_pdf"]

MiB = 1024 * 1024
_DOCUMENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SHORT_HASH = re.compile(r"^[0-9a-f]{6,64}$")


@dataclass(frozen=True)
class GuardLimits:
    max_upload_bytes: int = 20 * MiB
    max_objects: int = 100_000
    max_depth: int = 64
    max_stream_bytes: int = 64 * MiB  # one stream, decompressed
    max_total_stream_bytes: int = 256 * MiB  # every stream of the file, decompressed


class HostilePdfError(HsdtError):
    """The upload was refused before verification; ``code`` is stable (JSON ``error.code``)."""

    def __init__(self, code: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


@dataclass(frozen=True)
class PdfFacts:
    """What the file says about itself (unverified: the verification decides what it is worth)."""

    document_id: str | None  # from the document information /Keywords hsdt writes
    short_hash: str | None


_XREF_SECTION = re.compile(rb"xref\s+(\d{1,12})\s+(\d{1,12})")
_SIZE = re.compile(rb"/Size\s+(\d{1,15})")
_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_LZW = re.compile(rb"/(?:LZWDecode|LZW)\b")
_CHAINED = re.compile(
    rb"/Filter\s*\[\s*/(?:ASCIIHexDecode|ASCII85Decode|AHx|A85|RunLengthDecode|RL)"
)
_CHUNK = 64 * 1024


def _deep_run(depth: int) -> re.Pattern[bytes]:
    # a run of ``depth`` openers with at most a key in between: [[[[ or << /A << /A << …
    return re.compile(
        rb"(?:(?:\[|<<)\s*(?:/[^\s/\[\]<>()]{0,64}\s*)?){" + str(depth).encode() + rb"}"
    )


def check_pdf(data: bytes, limits: GuardLimits = GuardLimits()) -> PdfFacts:
    """Refuse a file that is not a PDF or that is built to exhaust a parser; else its facts."""
    if len(data) > limits.max_upload_bytes:
        raise HostilePdfError(
            "too_large",
            f"Tệp quá lớn ({len(data) // MiB} MiB); giới hạn là "
            f"{limits.max_upload_bytes // MiB} MiB.",
            hint="Hồ sơ điện tử thường nhỏ hơn vài MiB: hãy tải lên đúng tệp PDF đã ký.",
        )
    if b"%PDF-" not in data[:1024]:
        raise HostilePdfError(
            "not_pdf",
            "Tệp tải lên không phải là tệp PDF.",
            hint="Chọn tệp hồ sơ có đuôi .pdf đã được xuất từ hệ thống.",
        )
    _check_xref(data, limits)
    _check_raw_nesting(data, limits)
    _check_filters(data)
    _check_streams(data, limits)
    return _check_structure(data, limits)


def _check_xref(data: bytes, limits: GuardLimits) -> None:
    entries = sum(int(m.group(2)) for m in _XREF_SECTION.finditer(data))
    sizes = [int(m.group(1)) for m in _SIZE.finditer(data)]
    if entries > limits.max_objects or any(s > limits.max_objects for s in sizes):
        raise HostilePdfError(
            "huge_xref",
            "Bảng tham chiếu chéo (xref) của tệp khai báo quá nhiều đối tượng (hơn "
            f"{limits.max_objects:,}).".replace(",", "."),
            hint="Tệp không phải hồ sơ do hệ thống tạo ra, hoặc đã bị làm hỏng có chủ ý.",
        )


def _nesting_error(limits: GuardLimits) -> HostilePdfError:
    return HostilePdfError(
        "deep_nesting",
        f"Tệp chứa cấu trúc lồng nhau quá sâu (hơn {limits.max_depth} tầng).",
        hint="Tệp không phải hồ sơ do hệ thống tạo ra, hoặc đã bị làm hỏng có chủ ý.",
    )


def _check_raw_nesting(data: bytes, limits: GuardLimits) -> None:
    if _deep_run(limits.max_depth).search(data):
        raise _nesting_error(limits)


def _check_filters(data: bytes) -> None:
    if _LZW.search(data) or _CHAINED.search(data):
        raise HostilePdfError(
            "unsupported_filter",
            "Tệp dùng bộ lọc nén không được phép trong hồ sơ PDF/A (LZW hoặc chuỗi bộ lọc lồng "
            "nhau).",
            hint="Hồ sơ do hệ thống tạo ra không dùng các bộ lọc này: hãy tải lên tệp gốc.",
        )


def _bomb_error(limits: GuardLimits, what: str) -> HostilePdfError:
    return HostilePdfError(
        "decompression_bomb",
        f"Tệp chứa dữ liệu nén giải nén ra quá lớn ({what}): có dấu hiệu «bom giải nén».",
        hint="Tệp không phải hồ sơ do hệ thống tạo ra, hoặc đã bị làm hỏng có chủ ý.",
    )


def _check_streams(data: bytes, limits: GuardLimits) -> None:
    """Inflate every zlib stream in bounded chunks; stop at the first cap reached."""
    view = memoryview(data)
    total = 0
    for match in _STREAM.finditer(data):
        start = match.end()
        header = data[start : start + 2]
        if len(header) < 2 or header[0] & 0x0F != 8 or (header[0] * 256 + header[1]) % 31:
            continue  # not a zlib header: images (DCT, JPX) and raw streams are not inflated
        inflater = zlib.decompressobj()
        produced = 0
        position = start
        try:
            while not inflater.eof and position < len(data):
                chunk = view[position : position + _CHUNK]
                position += len(chunk)
                while chunk and not inflater.eof:
                    out = inflater.decompress(chunk, limits.max_stream_bytes - produced + 1)
                    produced += len(out)
                    if produced > limits.max_stream_bytes:
                        raise _bomb_error(
                            limits, f"hơn {limits.max_stream_bytes // MiB} MiB một luồng"
                        )
                    chunk = memoryview(inflater.unconsumed_tail)
        except zlib.error:
            pass  # a damaged stream is the verification's business (it will not match)
        total += produced
        if total > limits.max_total_stream_bytes:
            raise _bomb_error(limits, f"hơn {limits.max_total_stream_bytes // MiB} MiB tổng cộng")


def _check_structure(data: bytes, limits: GuardLimits) -> PdfFacts:
    import pikepdf  # imported here: the raw checks above must not need it

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        if "nest" in str(exc).lower():
            raise _nesting_error(limits) from None
        raise HostilePdfError(
            "unreadable",
            "Không đọc được cấu trúc tệp PDF (tệp bị hỏng hoặc không đầy đủ).",
            hint="Tải lại tệp gốc từ hệ thống hoặc từ người đã gửi cho bạn.",
        ) from None
    with pdf:
        if any("nest" in w.lower() for w in pdf.get_warnings()):
            raise _nesting_error(limits)
        if len(pdf.objects) > limits.max_objects:
            raise HostilePdfError(
                "huge_xref",
                f"Tệp có quá nhiều đối tượng (hơn {limits.max_objects:,}).".replace(",", "."),
                hint="Tệp không phải hồ sơ do hệ thống tạo ra.",
            )
        for obj in pdf.objects:
            if _depth(obj, limits.max_depth) > limits.max_depth:
                raise _nesting_error(limits)
        return _facts(pdf)


def _children(obj: Any) -> list[Any]:
    import pikepdf

    if isinstance(obj, pikepdf.Stream):
        return list(obj.stream_dict.values())
    if isinstance(obj, pikepdf.Dictionary):
        return list(obj.values())
    if isinstance(obj, pikepdf.Array):
        return list(obj)
    return []


def _depth(root: Any, cap: int) -> int:
    """Nesting depth of one object, references not followed (each object is walked on its own)."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        obj, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > cap:
            return depth
        for child in _children(obj):
            if not getattr(child, "is_indirect", False):
                stack.append((child, depth + 1))
    return deepest


def _facts(pdf: Any) -> PdfFacts:
    try:
        keywords = str(pdf.docinfo.get("/Keywords", ""))
    except Exception:  # an unreadable /Info only means the file does not say what it is
        keywords = ""
    parts = [p.strip() for p in keywords.split(";")]
    document_id = parts[0] if parts and _DOCUMENT_ID.match(parts[0]) else None
    short_hash = parts[1] if len(parts) > 1 and _SHORT_HASH.match(parts[1]) else None
    return PdfFacts(document_id, short_hash if document_id else None)


def valid_document_id(value: str) -> bool:
    return bool(_DOCUMENT_ID.match(value))


def valid_short_hash(value: str) -> bool:
    return bool(_SHORT_HASH.match(value))
