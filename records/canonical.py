"""The canonical JSON form of a dataset: one byte sequence per dataset, exact decimals.

Canonical means: keys sorted, no insignificant whitespace, UTF-8 (no escapes for Vietnamese
letters), every string NFC, ``Decimal`` written as a JSON number in its shortest exact form
(``8.5``, ``10``; 9.0 and 9 are the same score), dates in ISO 8601. The same dataset always gives
the same bytes, so a SHA-256 of them identifies it (imports are de-duplicated on it).

Floats are refused: a binary float cannot say "8.1" exactly, and scores must be exact. Parsing reads
every number with a fraction or exponent as ``Decimal`` (integers stay ``int``), rejects NaN and
Infinity, and rejects duplicate keys rather than silently keeping the last one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from records.model import Dataset
from records.text import nfc


def canonical_json(obj: Any) -> bytes:
    """``obj`` (dicts, lists, str, int, bool, None, Decimal, date, str enums) as canonical JSON."""
    out: list[str] = []
    _write(obj, out, indent=None, level=0)
    return "".join(out).encode("utf-8")


def pretty_json(obj: Any) -> bytes:
    """The same values, indented for people (committed fixtures, examples); not canonical."""
    out: list[str] = []
    _write(obj, out, indent=2, level=0)
    out.append("\n")
    return "".join(out).encode("utf-8")


def _string(text: str) -> str:
    return json.dumps(nfc(text), ensure_ascii=False)


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} cannot be written as a JSON number")
    # Equal values must give equal bytes: 9, 9.0 and 9.00 (an Excel cell, a JSON integer, a typed
    # "9,0") are one score, written "9"; "f" avoids the exponent normalize() produces for 10.
    # (trailing zeros are stripped by hand: normalize() would round to the context's precision)
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    digits_list = list(digits)
    while exponent < 0 and len(digits_list) > 1 and digits_list[-1] == 0:
        digits_list.pop()
        exponent += 1
    if all(d == 0 for d in digits_list):
        return "0"
    return format(Decimal((sign, tuple(digits_list), exponent)), "f")


def _write(obj: Any, out: list[str], *, indent: int | None, level: int) -> None:
    if obj is None or isinstance(obj, bool):
        out.append({None: "null", True: "true", False: "false"}[obj])
    elif isinstance(obj, str):  # str enums included: their value is the string
        out.append(_string(obj))
    elif isinstance(obj, int):
        out.append(str(obj))
    elif isinstance(obj, Decimal):
        out.append(_decimal(obj))
    elif isinstance(obj, float):
        raise TypeError(f"float {obj!r} is not exact: use Decimal for scores")
    elif isinstance(obj, bytes | bytearray):
        raise TypeError("bytes have no JSON form: decode them first")
    elif isinstance(obj, datetime | date):
        out.append(_string(obj.isoformat()))
    elif isinstance(obj, Enum):
        _write(obj.value, out, indent=indent, level=level)
    elif isinstance(obj, Mapping):
        items = sorted(((_key(k), v) for k, v in obj.items()), key=lambda kv: kv[0])
        _container("{", "}", items, out, indent=indent, level=level)
    elif isinstance(obj, Sequence):
        _container("[", "]", [(None, v) for v in obj], out, indent=indent, level=level)
    else:
        raise TypeError(f"cannot write {type(obj).__name__} as canonical JSON")


def _key(key: Any) -> str:
    if isinstance(key, Enum):
        key = key.value
    if not isinstance(key, str):
        raise TypeError(f"JSON object keys must be strings, got {key!r}")
    return nfc(key)


def _container(
    open_: str,
    close: str,
    items: Sequence[tuple[str | None, Any]],
    out: list[str],
    *,
    indent: int | None,
    level: int,
) -> None:
    if not items:
        out.append(open_ + close)
        return
    sep, pad, end = ",", "", ""
    if indent is not None:
        pad = "\n" + " " * (indent * (level + 1))
        end = "\n" + " " * (indent * level)
    out.append(open_)
    for i, (key, value) in enumerate(items):
        out.append((sep if i else "") + pad)
        if key is not None:
            out.append(_string(key) + (": " if indent is not None else ":"))
        _write(value, out, indent=indent, level=level + 1)
    out.append(end + close)


def parse_json(data: bytes) -> Any:
    """Parse JSON bytes (UTF-8, optional BOM) with exact decimals. Raises ``ValueError``."""
    text = data.decode("utf-8-sig")
    return json.loads(
        text,
        parse_float=Decimal,
        parse_constant=_no_constant,
        object_pairs_hook=_unique_keys,
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r} in a JSON object")
        out[key] = value
    return out


def dataset_to_json(ds: Dataset) -> bytes:
    """The canonical bytes of a dataset. Every field is written, defaults included."""
    return canonical_json(ds.model_dump(mode="python"))


def dataset_from_json(data: bytes) -> Dataset:
    """A dataset from JSON bytes. Raises ``ValueError`` (incl. pydantic's ``ValidationError``)."""
    return Dataset.model_validate(parse_json(data))
