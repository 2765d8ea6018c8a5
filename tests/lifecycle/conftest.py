"""Fixtures: two small schools (A and B, same province, different districts), rendered from
confirmed data in a template home built once per session; each test gets a copy on SQLite and on
PostgreSQL (``database_url``).

School A's plan has two slots per record (homeroom teacher GV003, then principal GV001), so a
record is "signing" after one signature and "signed" after two; its development PKI is served all
session. School B is never signed: it is there to be (or not be) covered by lock windows.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from archive_flow.flow import MovableClock, configure
from sqlalchemy import Integer, create_engine, insert, select, text
from support.schools import small_school

from records.canonical import dataset_to_json
from records.model import Dataset
from service.context import Context
from service.db.models import Base
from service.importing import import_file
from service.rendering import render_dataset
from service.signing_env import ensure_dev_pki
from signing.devpki import DevPki, load_dev_pki, serve_dev_pki

PLAN = {
    "id": "lifecycle-gvcn-roi-hieu-truong",
    "record_types": ["hoc-ba-trung-hoc", "so-theo-doi"],
    "steps": [
        {"role": "homeroom_teacher", "order": 1, "locks": "own"},
        {"role": "principal", "order": 2, "locks": "all"},
    ],
}


@dataclass(frozen=True)
class Schools:
    a: Dataset
    b: Dataset
    pki: DevPki
    template: Path

    @property
    def class_id(self) -> str:
        return self.a.classes[0].id


def school_b(a: Dataset) -> Dataset:
    """School A moved to another district under another code (same province)."""
    return a.model_copy(
        update={
            "school": a.school.model_copy(update={"code": "10099001", "name": "Trường THCS B"}),
            "district": a.district.model_copy(update={"code": "099", "name": "Huyện B"}),
        }
    )


def store(ctx: Context, ds: Dataset, name: str) -> int:
    source = ctx.home.root / "samples" / name
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(dataset_to_json(ds))
    return import_file(ctx, source).dataset_id


@pytest.fixture(scope="session")
def schools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Schools]:
    a = small_school()
    b = school_b(a)
    root = tmp_path_factory.mktemp("lifecycle") / "home"
    ctx = Context.open(root)
    configure(ctx, '\n[archive.primary]\nkind = "local"\ndirectory = "objects"\n')
    plans = root / "plans"
    plans.mkdir(exist_ok=True)
    plan = {**PLAN, "scope": {"school": a.school.code}}
    (plans / "lifecycle.json").write_text(json.dumps(plan), encoding="utf-8")
    for ds, name in ((a, "a.json"), (b, "b.json")):
        render_dataset(ctx, store(ctx, ds, name), ds, confirm_as="tester")
    ensure_dev_pki(ctx, a)
    ctx.close()
    pki = load_dev_pki(root / "pki")
    with serve_dev_pki(pki):
        yield Schools(a, b, pki, root)


def _copy_rows(source_url: str, ctx: Context) -> None:
    source = create_engine(source_url)
    with source.connect() as src, ctx.engine.begin() as dst:
        for table in Base.metadata.sorted_tables:
            rows = [dict(r) for r in src.execute(select(table)).mappings()]
            if rows:
                dst.execute(insert(table), rows)
            id_column = table.columns.get("id")
            if ctx.engine.dialect.name == "postgresql" and isinstance(
                getattr(id_column, "type", None), Integer
            ):
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
    source.dispose()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def home(
    schools: Schools,
    database_url: str,
    tmp_path: Path,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Context]:
    """A copy of the template on the parametrized database."""
    root = tmp_path / "home"
    shutil.copytree(schools.template, root, ignore=shutil.ignore_patterns("hsdt.db*"))
    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    ctx = Context.open(root, clock=clock)
    _copy_rows(f"sqlite:///{schools.template / 'hsdt.db'}", ctx)
    yield ctx
    ctx.close()
