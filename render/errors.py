"""The render package's errors: one root type, each subclass with a stable code.

Messages are Vietnamese, for the person who runs the render: what failed, in which record, and what
to do. The API/CLI shells map ``code`` to problem details and exit codes; they never show a
traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar


class RenderError(Exception):
    """Root of every error raised by ``render``: the record could not be rendered."""

    code: ClassVar[str] = "render.error"

    def __init__(self, message: str, *, document_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.document_id = document_id


class LayoutError(RenderError):
    """The record or its signing plan does not fit the form (e.g. a slot with no place on it)."""

    code = "render.layout"


class UnsupportedTextError(RenderError):
    """The record holds characters the embedded font cannot draw: they would print as boxes."""

    code = "render.unsupported_text"

    def __init__(self, document_id: str, characters: Sequence[str]) -> None:
        listed = ", ".join(f"«{c}» (U+{ord(c):04X})" for c in characters)
        super().__init__(
            f"Hồ sơ {document_id}: phông chữ của hồ sơ không có các kí tự {listed}, nên chúng sẽ "
            "in ra thành ô vuông. Hãy sửa các kí tự này trong dữ liệu nguồn (thường là kí hiệu "
            "dán từ Word hoặc biểu tượng cảm xúc) rồi tạo lại hồ sơ.",
            document_id=document_id,
        )
        self.characters = tuple(characters)


class PdfaCheckError(RenderError):
    """The rendered file failed the PDF/A-3b check; ``rule_ids`` names the failed rules."""

    code = "render.pdfa_check"

    def __init__(self, document_id: str, rule_ids: Sequence[str], details: Sequence[str]) -> None:
        shown = "\n  ".join(details[:20])
        more = f"\n  … và {len(details) - 20} lỗi khác" if len(details) > 20 else ""
        super().__init__(
            f"Hồ sơ {document_id}: tệp PDF vừa tạo không đạt kiểm tra PDF/A-3b (quy tắc "
            f"{', '.join(rule_ids)}), nên không được lưu. Đây là lỗi của bộ tạo PDF, không phải "
            f"của dữ liệu nhà trường: hãy báo cho quản trị hệ thống kèm mã hồ sơ.\n  {shown}{more}",
            document_id=document_id,
        )
        self.rule_ids = tuple(rule_ids)
        self.details = tuple(details)
