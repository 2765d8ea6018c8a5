"""Importing: errors store nothing; the same data twice is one dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from records.canonical import dataset_to_json
from records.sample import generate_school
from service.context import Context
from service.db.models import DatasetRow, EventRow
from service.importing import RejectedImport, import_file


def _sample_file(tmp_path: Path) -> Path:
    ds = generate_school(seed=3, primary_classes=0, secondary_classes=1)
    path = tmp_path / "school.json"
    path.write_bytes(dataset_to_json(ds))
    return path


def test_a_file_with_errors_stores_nothing(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    good = _sample_file(tmp_path)
    data = json.loads(good.read_text(encoding="utf-8"))
    subjects = data["classes"][0]["students"][0]["secondary"]["subjects"]
    scored = next(s for s in subjects.values() if s.get("term1"))
    scored["term1"]["final"] = 11  # out of the 10-point scale
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    ctx = Context.open(tmp_path / "home")
    with pytest.raises(RejectedImport) as caught:
        import_file(ctx, bad)
    assert any(f.code == "score.out_of_range" for f in caught.value.report.findings)
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(DatasetRow)) == 0
        assert s.scalar(select(func.count()).select_from(EventRow)) == 0
    assert not ctx.home.imports_dir.exists() or not any(ctx.home.imports_dir.rglob("*.*"))

    first = import_file(ctx, good)
    again = import_file(ctx, good)
    assert first.created and not again.created and first.dataset_id == again.dataset_id
    ctx.close()
