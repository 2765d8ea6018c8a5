"""From a spreadsheet/CSV cell to a value of the canonical dataset, per column kind.

Excel gives numbers as binary floats: 8.1 arrives as 8.0999999999999996447…, so a float is turned
into a decimal through its shortest repr ("8.1"), never through ``Decimal(float)``. A score typed
as text may use the Vietnamese decimal comma ("8,5"). Anything that cannot be read raises
:class:`CellError` with the finding code of the column and a Vietnamese explanation.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from records import findings as F
from records.importers.layout import Choice, Column, Kind, normalise
from records.model import Level
from records.text import nfc

_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


class CellError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    """Any cell as text: codes typed as numbers lose nothing but a trailing ".0"."""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return " ".join(nfc(str(value)).split()) if isinstance(value, str) else str(value)


def decimal(value: Any, code: str, label: str) -> Decimal:
    if isinstance(value, bool):
        raise CellError(code, f"{label}: «{text(value)}» không phải là số.")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        try:
            return Decimal(value.strip().replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            pass
    raise CellError(code, f"{label}: «{text(value)}» không phải là số.")


def score(value: Any, label: str) -> Decimal:
    """A secondary score. Đ/CĐ in a score column is a level on a scored subject."""
    if isinstance(value, str) and normalise(value) in {"đ", "cđ", "đạt", "chưa đạt"}:
        raise CellError(
            F.LEVEL_ON_SCORED, f"{label}: «{text(value)}» là mức Đ/CĐ, môn này đánh giá bằng điểm."
        )
    return decimal(value, F.SCORE_NOT_NUMBER, label)


def primary_score(value: Any, label: str) -> int:
    number = decimal(value, F.SCORE_NOT_NUMBER, label)
    if number != number.to_integral_value():
        raise CellError(
            F.SCORE_RANGE, f"{label} = {text(value)}: điểm kiểm tra tiểu học là số nguyên 1–10."
        )
    return int(number)


def integer(value: Any, code: str, label: str) -> int:
    number = decimal(value, code, label)
    if number != number.to_integral_value():
        raise CellError(code, f"{label}: «{text(value)}» không phải là số nguyên.")
    return int(number)


def iso_date(value: Any) -> str:
    """A date as ISO text. Unreadable text is returned as typed, for the model to report."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raw = text(value)
    match = _DMY.fullmatch(raw)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return raw
    return raw


def choice(value: Any, options: Choice, label: str) -> str:
    found = options.lookup().get(normalise(text(value)))
    if found is None:
        allowed = ", ".join(options.values) + (
            f", {options.none_label}" if options.none_label else ""
        )
        raise CellError(
            F.SCHEMA_INVALID, f"{label}: «{text(value)}» không hợp lệ; chọn một trong: {allowed}."
        )
    return found


def ids(value: Any) -> list[str]:
    return [part.strip() for part in re.split(r"[,;]", text(value)) if part.strip()]


def levels(value: Any) -> list[str]:
    out = []
    for part in ids(value):
        matched = next((lv.value for lv in Level if normalise(lv.value) == normalise(part)), part)
        out.append(matched)
    return out


def read(column: Column, value: Any) -> Any:
    """The dataset value of a non-blank cell in ``column``; raises :class:`CellError`."""
    label = f"«{column.header}»"
    kind = column.kind
    if kind is Kind.SCORE:
        return score(value, label)
    if kind is Kind.PRIMARY_SCORE:
        return primary_score(value, label)
    if kind is Kind.INT:
        return integer(value, column.error, label)
    if kind is Kind.DECIMAL:
        return decimal(value, column.error, label)
    if kind is Kind.DATE:
        return iso_date(value)
    if kind is Kind.IDS:
        return ids(value)
    if kind is Kind.LEVELS:
        return levels(value)
    if kind is Kind.CHOICE:
        assert column.choice is not None
        return choice(value, column.choice, label)
    return text(value)
