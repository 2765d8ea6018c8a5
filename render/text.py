"""Text as the forms print it: NFC everywhere, decimal commas, safe Paragraph markup."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from records.documents import decimal_text

DOTS = "……………"  # the form's blank to be filled by hand
SHORT_DOTS = "………"  # a day/month/year blank in "ngày ……… tháng ……… năm ………"


def nfc_tree(value: Any) -> Any:
    """A copy of a JSON-like tree with every string (keys too) in NFC.

    NFD input (common from macOS and some Word exports) would draw combining marks as separate,
    misplaced glyphs.
    """
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc_tree(k): nfc_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [nfc_tree(v) for v in value]
    return value


def strings(value: Any) -> Iterator[str]:
    """Every string value in a JSON-like tree (keys excluded: they are never drawn)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings(v)


def markup(text: str) -> str:
    """Payload text as reportlab Paragraph markup: XML-escaped, line breaks kept."""
    return "<br/>".join(escape(line) for line in text.splitlines())


def value_text(value: Any) -> str:
    """A table value: scores with a decimal comma (8,5), levels as they are, None blank."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, bool):
        return "x" if value else ""
    return str(value)


def upper(text: str) -> str:
    """Vietnamese capitals (str.upper handles the precomposed letters; NFC keeps them one glyph)."""
    return unicodedata.normalize("NFC", text.upper())


def or_dots(text: str | None) -> str:
    return text if text else DOTS


def date_vn(iso: str | None) -> str:
    """ISO date → dd/mm/yyyy as Vietnamese forms write it."""
    if not iso:
        return ""
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def tick(checked: bool) -> str:
    """The box ticked on the form's alternatives (promotion lines)."""
    return "☑" if checked else "☐"
