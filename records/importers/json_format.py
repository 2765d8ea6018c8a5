"""The canonical JSON format (a whole school year): parse, check the format marker, build."""

from __future__ import annotations

import json
from typing import Any

from records import findings as F
from records.canonical import parse_json
from records.findings import Finding, Location
from records.importers import limits
from records.importers.pipeline import build
from records.importers.result import FileKind, ImportResult
from records.importers.source_map import SourceMap
from records.model import FORMAT_NAME, FORMAT_VERSION


def read_json(data: bytes, name: str) -> ImportResult:
    source = SourceMap(name)

    def fail(code: str, detail: str, **where: Any) -> ImportResult:
        finding = Finding(code, Location(file=name, **where), detail)
        return ImportResult(name, FileKind.JSON, None, [finding], source)

    try:
        raw = parse_json(data)
    except RecursionError:
        return fail(
            F.FILE_UNREADABLE, "JSON lồng nhau quá sâu (hàng nghìn cấp): không phải dữ liệu hsdt."
        )
    except UnicodeDecodeError as error:
        return fail(F.FILE_ENCODING, f"Tệp JSON phải ở mã UTF-8 (byte lỗi ở vị trí {error.start}).")
    except json.JSONDecodeError as error:
        return fail(
            F.FILE_UNREADABLE,
            f"Sai cú pháp JSON ở dòng {error.lineno}, cột {error.colno}: {error.msg}.",
            row=error.lineno,
            column=str(error.colno),
        )
    except ValueError as error:  # duplicate keys, NaN
        return fail(F.FILE_UNREADABLE, f"JSON không hợp lệ: {error}.")
    depth = _depth(raw)
    if depth > limits.MAX_JSON_DEPTH:
        return fail(
            F.FILE_UNREADABLE,
            f"JSON lồng nhau {depth} cấp (định dạng hsdt chỉ khoảng 10 cấp, giới hạn "
            f"{limits.MAX_JSON_DEPTH}).",
        )
    marker = (raw.get("format"), raw.get("format_version")) if isinstance(raw, dict) else None
    if marker != (FORMAT_NAME, FORMAT_VERSION):
        shown = (
            f"format={marker[0]!r}, format_version={marker[1]!r}"
            if marker
            else "không phải đối tượng JSON"
        )
        return fail(
            F.SCHEMA_FORMAT,
            f"Không phải dữ liệu {FORMAT_NAME} phiên bản {FORMAT_VERSION} ({shown}).",
            path=("format",),
        )
    dataset, findings = build(raw, source, [])
    return ImportResult(name, FileKind.JSON, dataset, findings, source)


def _depth(tree: Any) -> int:
    """How deep ``tree`` nests, without recursion (the checks after this one recurse)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level > limits.MAX_JSON_DEPTH:
                break
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return deepest
