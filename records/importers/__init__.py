"""Importers: files in, a canonical :class:`~records.model.Dataset` and located findings out.

``load(path)`` never raises for bad input: a wrong file type, an empty or unreadable file, a
broken workbook are findings like any other. Errors mean "store nothing"; warnings do not.
"""

from __future__ import annotations

from pathlib import Path

from records import findings as F
from records.findings import Finding, Location
from records.importers import limits
from records.importers.result import FileKind, ImportResult, SheetRow, SubjectSheet
from records.importers.sniff import sniff
from records.importers.source_map import SourceMap

__all__ = ["FileKind", "ImportResult", "SheetRow", "SubjectSheet", "load", "load_bytes"]


def load(path: Path) -> ImportResult:
    """Read a .json, .xlsx or .csv file of school data (see docs/import-format.md)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _failed(path.name, F.FILE_UNREADABLE, f"Không tìm thấy tệp «{path}».")
    except IsADirectoryError:
        return _failed(path.name, F.FILE_UNREADABLE, f"«{path}» là một thư mục, không phải tệp.")
    except OSError as error:
        return _failed(path.name, F.FILE_UNREADABLE, f"Không mở được tệp: {error.strerror}.")
    return load_bytes(data, path.name)


def load_bytes(data: bytes, name: str) -> ImportResult:
    """Like :func:`load`, for bytes already in memory (an upload); ``name`` gives the type."""
    # the readers load on demand: a JSON check needs neither openpyxl nor csv
    from records.importers.csv_sheet import read_csv
    from records.importers.json_format import read_json
    from records.importers.xlsx_book import read_xlsx

    if len(data) > limits.MAX_FILE_BYTES:
        return _failed(
            name,
            F.FILE_TOO_LARGE,
            f"Tệp nặng {limits.mib(len(data))} (giới hạn {limits.mib(limits.MAX_FILE_BYTES)}).",
        )
    sniffed = sniff(data, Path(name).suffix)
    if sniffed.kind is None:
        assert sniffed.code is not None
        return _failed(name, sniffed.code, sniffed.detail)
    reader = {FileKind.JSON: read_json, FileKind.XLSX: read_xlsx, FileKind.CSV: read_csv}
    return reader[sniffed.kind](data, name)


def _failed(name: str, code: str, detail: str) -> ImportResult:
    finding = Finding(code, Location(file=name), detail)
    return ImportResult(name, None, None, [finding], SourceMap(name))
