"""Signing plans configured in the home decide the signature fields a record is rendered with."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest

from records.canonical import dataset_to_json
from records.sample import generate_school
from service.context import Context
from service.errors import HsdtError
from service.importing import import_file
from service.plan_config import plan_registry
from service.rendering import render_dataset


def _fields(pdf: Path) -> set[str]:
    with pikepdf.open(pdf) as doc:
        return {str(f.T) for f in doc.Root.AcroForm.Fields}


def test_a_school_plan_in_the_home_shapes_the_rendered_fields(tmp_path: Path) -> None:
    ds = generate_school(seed=5, primary_classes=0, secondary_classes=1)
    cls = ds.classes[0]
    ds = ds.model_copy(update={"classes": [cls.model_copy(update={"students": cls.students[:1]})]})
    ctx = Context.open(tmp_path / "home")
    (ctx.home.root / "plans").mkdir()
    (ctx.home.root / "plans" / "truong.json").write_text(
        json.dumps(
            {
                "id": "truong-chi-gvcn-va-hieu-truong",
                "scope": {"school": ds.school.code},
                "record_types": ["hoc-ba-trung-hoc"],
                "steps": [
                    {"role": "homeroom_teacher", "order": 2, "locks": "own"},
                    {"role": "principal", "order": 3, "locks": "all"},
                ],
            }
        ),
        encoding="utf-8",
    )
    src = tmp_path / "school.json"
    src.write_bytes(dataset_to_json(ds))
    outcome = import_file(ctx, src)
    summary = render_dataset(ctx, outcome.dataset_id, ds, confirm_as="test")
    by_kind = {p.name.split("-")[0]: p for p in summary.paths}
    assert _fields(by_kind["HB"]) == {"gvcn", "hieu_truong"}  # the school's plan
    assert "con_dau" not in _fields(by_kind["HB"])
    assert {f for f in _fields(by_kind["STD"]) if f.startswith("gvbm_")}  # default plan elsewhere
    ctx.close()


def test_a_malformed_plan_names_its_file(tmp_path: Path) -> None:
    ctx = Context.open(tmp_path / "home")
    (ctx.home.root / "plans").mkdir()
    (ctx.home.root / "plans" / "hong.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(HsdtError, match=r"hong\.json"):
        plan_registry(ctx.home)
    (ctx.home.root / "plans" / "hong.json").write_text(
        json.dumps({"id": "x", "record_types": ["hoc-ba-trung-hoc"], "steps": []}), encoding="utf-8"
    )
    with pytest.raises(HsdtError, match="không hợp lệ"):
        plan_registry(ctx.home)
    ctx.close()
