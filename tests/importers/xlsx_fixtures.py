"""Bad XLSX fixtures, made from the minimal good dataset by one deliberate edit each.

Binary workbooks in the repository would hide what is wrong with them; here each edit is one line
that says which cell was changed. ``build(code, directory)`` writes ``<code>.xlsx`` and returns
its path.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from records.canonical import dataset_from_json
from records.template import xlsx_template_bytes

GOOD = Path(__file__).parents[1] / "fixtures" / "good"
MINIMAL = GOOD / "minimal-thcs.json"

# In the minimal class 8A1, the only student (1008300001, Lù Thị Mỷ) is on row 3 of every sheet.
# Sheet «GDCD» (35 periods: 2 ĐĐGtx): D–G HK1 TX1–TX4, H HK1 GK, I HK1 CK, J HK1 ĐTB.
# Sheet «Rèn luyện»: D–G conduct HK1, HK2, year, after summer; H absences HK1.
EDITS: dict[str, Callable[[Workbook], None]] = {
    "template.header": lambda wb: wb["GDCD"].cell(2, 4, "HK1 TX 1"),
    "template.sheet": lambda wb: wb.remove(wb["Rèn luyện"]),
    "assessment.regular_count": lambda wb: wb["GDCD"].cell(3, 6, 7),  # a third ĐĐGtx
    "level.on_scored_subject": lambda wb: wb["GDCD"].cell(3, 9, "Đ"),
    "submitted.mismatch": lambda wb: wb["GDCD"].cell(3, 10, 8.3),  # recomputed: 8.4
    # «Nơi sinh» typed in TCVN3 (ABC): "Xã Bản Xèo, tỉnh Lào Cai"
    "text.legacy_encoding": lambda wb: wb["Học sinh"].cell(3, 7, "X· B¶n XÌo, tØnh Lµo Cai"),
    "absences.invalid": lambda wb: wb["Rèn luyện"].cell(3, 8, -2),
    "student.unknown": lambda wb: _row(wb["GDCD"], 4, [2, "1008300099", "Thào A Lử", 7, 8]),
    "student.name_mismatch": lambda wb: wb["GDTC"].cell(3, 3, "Lù Thị Mai"),
    # hostile input (docs/hostile-inputs.md)
    "file.too_large": lambda wb: wb["GDCD"].cell(5001, 1, "x"),  # past the 5 000-row limit
    "cell.merged": lambda wb: wb["GDCD"].merge_cells("D3:E3"),  # E3 would read as blank
    "cell.formula": lambda wb: wb["GDCD"].cell(3, 10, "=AVERAGE(D3:I3)"),  # never computed
}


def good_workbook() -> Workbook:
    data = xlsx_template_bytes(dataset=dataset_from_json(MINIMAL.read_bytes()))
    return openpyxl.load_workbook(io.BytesIO(data))


def build(code: str, directory: Path) -> Path:
    wb = good_workbook()
    EDITS[code](wb)
    path = directory / f"{code}.xlsx"
    wb.save(path)
    return path


def _row(ws: Worksheet, row: int, values: list[object]) -> None:
    for column, value in enumerate(values, start=1):
        ws.cell(row, column, value)
