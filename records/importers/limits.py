"""Bounds on what an import may contain, and text that no school data needs (hostile input).

A class's data is small: tens of students, a few dozen columns, names and comments of a few
hundred characters. Anything far beyond that is a damaged or hostile file, refused with
``file.too_large`` *before* it is expanded in memory (a zip bomb is refused on the sizes its zip
directory declares; :mod:`zipfile` never inflates a member past its declared size). Text that can
do harm later — control characters, bidi overrides, unpaired surrogates, spreadsheet formulas
that run when an export is opened — is an error, never silently stripped. See
docs/hostile-inputs.md.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
import zlib

MAX_FILE_BYTES = 64 * 1024 * 1024  # a school year of 5 000 students, pretty-printed JSON: ~50 MiB
MAX_ROWS = 5_000  # per sheet / CSV (a class has < 100 students)
MAX_COLUMNS = 500  # the widest template sheet has < 40 columns
MAX_TEXT = 2_000  # characters in one value (a long «Nhận xét» is a few hundred)
MAX_JSON_DEPTH = 32  # the canonical format nests about 10 deep
MAX_ZIP_MEMBERS = 500  # a template workbook has ~20 parts
MAX_ZIP_MEMBER_BYTES = 64 * 1024 * 1024  # one part, uncompressed
MAX_ZIP_TOTAL_BYTES = 128 * 1024 * 1024  # all parts, uncompressed

# =, @ always; + or - only before a function call (a comment may well start with "- ", a value
# with "-2"); "cmd|' /C calc'!A0" style DDE anywhere at the start.
_FORMULA = re.compile(r"\s*(?:[=@]|[+-]\s*[A-Za-z_][\w.]*\s*\(|[+-]?\s*\w+\|[^!]*!)")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def mib(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MiB"


def too_long(text: str) -> str | None:
    if len(text) <= MAX_TEXT:
        return None
    return f"Giá trị dài {len(text):,} ký tự (giới hạn {MAX_TEXT:,}).".replace(",", ".")


def unsafe_character(text: str) -> str | None:
    """A description of the first control/invisible character in ``text``, if any."""
    for i, ch in enumerate(text):
        if ch in _ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or ch in _BIDI:
            kind = {
                "Cc": "ký tự điều khiển",
                "Cs": "nửa cặp UTF-16 (surrogate)",
            }.get(category, "ký tự đảo chiều chữ")
            return f"Có {kind} U+{ord(ch):04X} ở vị trí {i + 1}."
    return None


def without_unsafe(text: str) -> str:
    """``text`` with each control/invisible character replaced by U+FFFD, so that a report that
    quotes it can still be printed and written as UTF-8 (a lone surrogate cannot)."""
    return "".join(
        "\ufffd"
        if ch not in _ALLOWED_CONTROLS and (unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI)
        else ch
        for ch in text
    )


def looks_like_formula(text: str) -> bool:
    return _FORMULA.match(text) is not None


def shown(text: str, limit: int = 60) -> str:
    """``text`` safe to quote in a message: short, control characters made visible."""
    clean = "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cs") or c in _BIDI else c
        for c in text[: limit + 1]
    )
    return clean if len(text) <= limit else clean[: limit - 1] + "…"


def zip_too_large(data: bytes) -> str | None:
    """Why a workbook's zip is over the limits, judged from its directory alone (nothing is
    inflated); None when it is within them or is not a readable zip (the reader says so)."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    if len(infos) > MAX_ZIP_MEMBERS:
        return f"Tệp nén chứa {len(infos):,} phần (giới hạn {MAX_ZIP_MEMBERS}).".replace(",", ".")
    for info in infos:
        if info.file_size > MAX_ZIP_MEMBER_BYTES:
            return (
                f"Phần «{shown(info.filename)}» giải nén ra {mib(info.file_size)} "
                f"(giới hạn {mib(MAX_ZIP_MEMBER_BYTES)}): có thể là «bom nén»."
            )
    total = sum(info.file_size for info in infos)
    if total > MAX_ZIP_TOTAL_BYTES:
        return (
            f"Tệp giải nén ra {mib(total)} (giới hạn {mib(MAX_ZIP_TOTAL_BYTES)}): có thể là "
            "«bom nén»."
        )
    return None


def zip_declares_dtd(data: bytes) -> str | None:
    """Which XML part of a workbook declares a DTD or entities (billion laughs, XXE): Excel never
    writes one, so such a file is refused before any XML parser sees it. Only each part's prolog
    (its first 4 KiB, before the root element) is inflated. Call after :func:`zip_too_large`."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                if not info.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                with z.open(info) as part:
                    head = part.read(4096)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    return (
                        f"Phần «{shown(info.filename)}» của bảng tính khai báo DTD/thực thể XML "
                        "(<!DOCTYPE>/<!ENTITY>) — Excel không bao giờ tạo ra; tệp có thể đã bị "
                        "chỉnh sửa để tấn công."
                    )
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, NotImplementedError):
        return None  # the reader reports a damaged zip
    return None
