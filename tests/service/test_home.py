"""The home directory: chosen by --home / $HSDT_HOME / default, relocatable, never clobbering."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from records.canonical import dataset_to_json
from records.sample import generate_school
from service.context import Context
from service.db.models import DatasetRow, DocumentRow, EventRow
from service.errors import HomeError
from service.home import DEFAULT_HOME, Home, resolve_home
from service.importing import import_file, load_dataset
from service.rendering import render_dataset


def test_home_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HSDT_HOME", raising=False)
    assert resolve_home(None) == Path(DEFAULT_HOME)
    monkeypatch.setenv("HSDT_HOME", "/srv/hsdt")
    assert resolve_home(None) == Path("/srv/hsdt")
    assert resolve_home("elsewhere") == Path("elsewhere")


def test_refuses_a_non_empty_folder_that_is_not_a_home(tmp_path: Path) -> None:
    (tmp_path / "thesis.docx").write_bytes(b"mine")
    with pytest.raises(HomeError, match="not empty"):
        Home.open(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis.docx"]


def test_home_is_relocatable(tmp_path: Path) -> None:
    first = tmp_path / "first"
    ctx = Context.open(first)
    ds = generate_school(seed=7, primary_classes=1, secondary_classes=0)
    src = tmp_path / "school.json"
    src.write_bytes(dataset_to_json(ds))
    outcome = import_file(ctx, src)
    small = ds.model_copy(
        update={
            "classes": [ds.classes[0].model_copy(update={"students": ds.classes[0].students[:2]})]
        }
    )
    render_dataset(ctx, outcome.dataset_id, small, confirm_as="test")
    ctx.close()

    moved = tmp_path / "moved"
    shutil.move(first, moved)
    ctx = Context.open(moved)
    with ctx.sessions() as s:
        rows = list(s.scalars(select(DocumentRow)))
        texts = [r.pdf_path for r in rows]
        texts += [d.source_path for d in s.scalars(select(DatasetRow))]
        texts += [e.detail for e in s.scalars(select(EventRow))]
    assert rows, "something was rendered"
    assert all(str(first) not in t and not t.startswith("/") for t in texts)
    assert str(first) not in (moved / "hsdt.toml").read_text(encoding="utf-8")
    assert all(ctx.home.absolute(r.pdf_path).is_file() for r in rows)
    assert load_dataset(ctx)[1] == ds
    ctx.close()
