"""Partial imports (a class workbook, a subject score sheet) merge into the stored school year."""

from __future__ import annotations

from pathlib import Path

import pytest

from records.template import write_csv_template, write_xlsx_template
from service.context import Context
from service.errors import HsdtError
from service.importing import import_file, load_dataset

GOOD = Path(__file__).parent.parent / "fixtures" / "good"


def test_subject_sheet_and_class_workbook_merge_into_the_stored_year(tmp_path: Path) -> None:
    ctx = Context.open(tmp_path / "home")
    with pytest.raises(HsdtError, match="Chưa có dữ liệu năm học"):
        import_file(ctx, GOOD / "toan-8a1.csv")  # nothing to merge into yet
    first = import_file(ctx, GOOD / "small-school.json")
    base = load_dataset(ctx)[1]

    csv = tmp_path / "toan.csv"
    write_csv_template(csv, grade=8, subject="TOAN", dataset=base, class_id="8A1")
    text = csv.read_text(encoding="utf-8-sig")
    assert import_file(ctx, csv).created is False  # same scores: the same dataset, not a new one

    xlsx = tmp_path / "8a1.xlsx"
    write_xlsx_template(xlsx, dataset=base, class_id="8A1")
    outcome = import_file(ctx, xlsx)
    merged = load_dataset(ctx)[1]
    assert outcome.dataset_id == first.dataset_id  # a lossless round trip changes nothing
    assert [c.id for c in merged.classes] == [c.id for c in base.classes]
    assert "TOAN" in text
    ctx.close()
