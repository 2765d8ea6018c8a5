"""The steps every importer shares once it has a JSON-like tree and a source map.

1. Text: every string is NFC-normalised (warning ``text.nfd`` where it was not) and checked for
   legacy TCVN3/VNI mojibake (error ``text.legacy_encoding``).
2. Shape: pydantic builds the :class:`Dataset`; its errors become located findings in Vietnamese.
3. Meaning: :func:`records.validate.validate_dataset`, minus the cascades of cells the importer
   already reported (a score that is not a number makes no "wrong number of ĐĐGtx" finding).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from records import findings as F
from records.findings import Finding, JsonPath, Location
from records.importers import limits
from records.importers.source_map import SourceMap
from records.model import Dataset
from records.text import decode_legacy, legacy_encoding, needs_nfc, nfc
from records.validate import validate_dataset

_SCORE_FIELDS = {
    "regular",
    "midterm",
    "final",
    "submitted_average",
    "submitted_year_average",
    "retest_score",
}
_ABSENCE_FIELDS = {"absences_term1", "absences_term2", "absences_excused", "absences_unexcused"}


def who(raw: Any, path: JsonPath) -> tuple[str | None, str | None]:
    """The student and subject codes a raw-tree path belongs to (for locating findings early)."""
    student = subject = None
    if len(path) >= 4 and path[0] == "classes" and path[2] == "students":
        try:
            code = raw["classes"][path[1]]["students"][path[3]]["student"]["code"]
        except (KeyError, IndexError, TypeError):
            code = None
        student = code if isinstance(code, str) else None
    for i, step in enumerate(path[:-1]):
        if step == "subjects" and isinstance(path[i + 1], str):
            subject = str(path[i + 1])
    return student, subject


def _located(source: SourceMap, raw: Any, path: JsonPath) -> Location:
    where = source.locate(path)
    student, subject = who(raw, path)
    return replace(
        where,
        field=where.field or _last_name(path),
        student=student or where.student,
        subject=subject or where.subject,
    )


def _last_name(path: JsonPath) -> str | None:
    return next((p for p in reversed(path) if isinstance(p, str)), None)


def scan_text(raw: Any, source: SourceMap) -> tuple[Any, list[Finding]]:
    """``raw`` with every string in NFC, and the text findings (NFD, legacy encodings)."""
    findings: list[Finding] = []

    def visit(node: Any, path: JsonPath) -> Any:
        if isinstance(node, str):
            return check(node, path)
        if isinstance(node, list):
            return [visit(v, (*path, i)) for i, v in enumerate(node)]
        if isinstance(node, dict):
            return {check(k, path): visit(v, (*path, k)) for k, v in node.items()}
        return node

    def check(text: str, path: JsonPath) -> str:
        problem = _unsafe(text)
        if problem is not None:
            code, detail = problem
            findings.append(Finding(code, _located(source, raw, path), detail))
            # an error (nothing is stored); the report still shows the value, printable
            return limits.without_unsafe(text)
        if text.isascii():
            return text
        if needs_nfc(text):
            findings.append(
                Finding(
                    F.TEXT_NFD,
                    _located(source, raw, path),
                    f"«{nfc(text)}» được gõ ở dạng tổ hợp; đã chuyển sang dạng dựng sẵn.",
                )
            )
            text = nfc(text)
        encoding = legacy_encoding(text)
        if encoding is not None:
            findings.append(
                Finding(
                    F.TEXT_LEGACY,
                    _located(source, raw, path),
                    f"«{text}» có vẻ được gõ bằng bảng mã {encoding.value} "
                    f"(đọc theo bảng mã đó là «{decode_legacy(text, encoding)}»).",
                    {"encoding": encoding.value},
                )
            )
        return text

    return visit(raw, ()), findings


def _unsafe(text: str) -> tuple[str, str] | None:
    """The hostile-input check of one string (see records/importers/limits.py)."""
    long = limits.too_long(text)
    if long is not None:
        return F.TEXT_TOO_LONG, f"{long} Bắt đầu bằng «{limits.shown(text, 40)}»."
    character = limits.unsafe_character(text)
    if character is not None:
        return F.TEXT_CONTROL, f"«{limits.shown(text)}»: {character}"
    if limits.looks_like_formula(text):
        return F.TEXT_FORMULA, f"«{limits.shown(text)}» có dạng công thức bảng tính."
    return None


def schema_findings(error: ValidationError, raw: Any, source: SourceMap) -> list[Finding]:
    out = []
    for e in error.errors(include_url=False):
        loc = tuple(e["loc"])
        key_error = bool(loc) and loc[-1] == "[key]"
        path: JsonPath = tuple(p for p in loc if p != "[key]")
        code, detail = _explain(e["type"], path, e.get("input"), e.get("ctx") or {}, e["msg"])
        if key_error:
            detail = f"Khoá «{path[-1]}» không hợp lệ: {detail}"
        out.append(Finding(code, _located(source, raw, path), detail))
    return out


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _explain(
    kind: str, path: JsonPath, value: Any, ctx: dict[str, Any], msg: str
) -> tuple[str, str]:
    name = _last_name(path) or "giá trị"
    shown = _show(value)
    if kind == "missing":
        return F.SCHEMA_INVALID, f"Thiếu «{name}»."
    if kind == "extra_forbidden":
        return F.SCHEMA_INVALID, f"«{name}» không có trong định dạng hsdt (viết sai tên trường?)."
    if kind in ("enum", "literal_error"):
        allowed = ", ".join(f"«{v}»" for v in re.findall(r"'([^']*)'", str(ctx.get("expected"))))
        return F.SCHEMA_INVALID, f"«{shown}» không hợp lệ; chọn một trong: {allowed}."
    numeric = kind.startswith(("int_", "decimal_", "float_")) or kind in (
        "int_type",
        "decimal_type",
    )
    if numeric and name == "score":
        if kind == "int_from_float":
            return F.SCORE_RANGE, f"Điểm kiểm tra {shown}: điểm tiểu học là số nguyên 1–10."
        return F.SCORE_NOT_NUMBER, f"«{shown}» không phải là số."
    if numeric and name in _SCORE_FIELDS:
        return F.SCORE_NOT_NUMBER, f"«{shown}» không phải là số."
    if numeric and name in _ABSENCE_FIELDS:
        return F.ABSENCE_INVALID, f"Số buổi nghỉ «{shown}» phải là số nguyên."
    if numeric:
        return (
            F.SCHEMA_INVALID,
            f"«{name}» = «{shown}»: cần một số{' nguyên' if 'int' in kind else ''}.",
        )
    if kind.startswith("date"):
        return (
            F.SCHEMA_INVALID,
            f"«{shown}» không phải ngày hợp lệ (dd/mm/yyyy, hoặc YYYY-MM-DD trong JSON).",
        )
    if kind in ("string_type", "str_type"):
        return F.SCHEMA_INVALID, f"«{name}» phải là văn bản, không phải «{shown}»."
    if kind in ("list_type", "tuple_type"):
        return F.SCHEMA_INVALID, f"«{name}» phải là một danh sách."
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return F.SCHEMA_INVALID, f"«{name}» phải là một đối tượng JSON ({{…}})."
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return F.SCHEMA_INVALID, f"«{name}» = {shown} nằm ngoài khoảng cho phép ({msg})."
    return F.SCHEMA_INVALID, f"«{name}»: {msg}"


def is_cascade(finding: Finding, blocked: Iterable[JsonPath]) -> bool:
    """Whether a semantic finding only repeats a cell problem the importer already reported."""
    path = finding.location.path
    for b in blocked:
        if path[: len(b)] == b:
            return True
        # student-level results (learning, promotion, title) of the same student
        if finding.code == F.SUBMITTED_MISMATCH and len(path) == 6 and path[:5] == b[:5]:
            return True
    return False


def build(
    raw: Any,
    source: SourceMap,
    findings: list[Finding],
    blocked: set[JsonPath] | None = None,
) -> tuple[Dataset | None, list[Finding]]:
    """Text scan → pydantic → semantic validation. ``findings`` are the importer's own so far."""
    raw, text = scan_text(raw, source)
    findings = [*findings, *text]
    try:
        ds = Dataset.model_validate(raw)
    except ValidationError as error:
        return None, [*findings, *schema_findings(error, raw, source)]
    semantic = validate_dataset(ds, source.locate)
    if blocked:
        semantic = [f for f in semantic if not is_cascade(f, blocked)]
    return ds, [*findings, *semantic]
