"""What a file really is, by its name *and* its first bytes (a PDF renamed .json is not JSON)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from records import findings as F
from records.importers.result import FileKind

_SUFFIXES = {".json": FileKind.JSON, ".xlsx": FileKind.XLSX, ".csv": FileKind.CSV}
_BLANK = b" \t\r\n\xef\xbb\xbf"


@dataclass(frozen=True)
class Sniffed:
    kind: FileKind | None  # what to read it as; None when it cannot be read at all
    code: str | None = None  # the finding when it cannot
    detail: str = ""


def describe_content(data: bytes) -> str:
    """A short Vietnamese name for what the bytes are."""
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "tài liệu PDF"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return "tệp nén zip bị hỏng"
        if "xl/workbook.xml" in names:
            return "bảng tính Excel .xlsx"
        if "word/document.xml" in names:
            return "văn bản Word .docx"
        if "content.xml" in names:
            return "tài liệu OpenDocument (.ods/.odt)"
        return "tệp nén zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "tệp Office 97–2003 (.xls/.doc)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "văn bản UTF-16"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff"):
        return "hình ảnh"
    if b"\x00" in data[:4096]:
        return "tệp nhị phân"
    if data.lstrip(_BLANK)[:1] in (b"{", b"["):
        return "văn bản JSON"
    return "văn bản"


def sniff(data: bytes, suffix: str) -> Sniffed:
    if not data.strip(_BLANK):
        return Sniffed(None, F.FILE_EMPTY, "Tệp không có nội dung.")
    content = describe_content(data)
    kind = _SUFFIXES.get(suffix.lower())
    if kind is None:
        hint = (
            " Lưu lại thành .xlsx (Excel 2007 trở lên)."
            if suffix.lower() in (".xls", ".ods")
            else ""
        )
        return Sniffed(
            None,
            F.FILE_WRONG_TYPE,
            f"Đuôi tệp «{suffix or '(không có)'}» ({content}) không phải .json, .xlsx hay .csv."
            + hint,
        )
    if kind is FileKind.XLSX:
        if content == "bảng tính Excel .xlsx":
            return Sniffed(kind)
        if content == "tệp nén zip bị hỏng":
            return Sniffed(None, F.FILE_UNREADABLE, "Tệp .xlsx bị hỏng (không giải nén được).")
        return Sniffed(None, F.FILE_WRONG_TYPE, f"Tệp mang đuôi .xlsx nhưng nội dung là {content}.")
    if content in ("văn bản", "văn bản JSON", "văn bản UTF-16"):
        return Sniffed(kind)  # text: the reader checks the encoding (UTF-8 only)
    return Sniffed(
        None, F.FILE_WRONG_TYPE, f"Tệp mang đuôi {suffix.lower()} nhưng nội dung là {content}."
    )
