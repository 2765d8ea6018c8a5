"""Migration 0007: the lifecycle tables as the models describe them, and a clean downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from service.context import Context
from service.db.engine import MIGRATIONS
from service.db.lifecycle_models import ConfirmationRow, LockedDocumentRow, LockWindowRow
from service.db.models import Base

TABLES = tuple(
    Base.metadata.tables[m.__tablename__]
    for m in (ConfirmationRow, LockWindowRow, LockedDocumentRow)
)


@pytest.fixture
def bare(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    ctx = Context.open(tmp_path / "home")
    yield ctx
    ctx.close()


def test_migrated_tables_match_the_models(bare: Context) -> None:
    found = inspect(bare.engine)
    for table in TABLES:
        columns = {c["name"]: c["nullable"] for c in found.get_columns(table.name)}
        assert columns == {c.name: c.nullable for c in table.columns}, table.name
    keys = found.get_pk_constraint("lock_window_documents")["constrained_columns"]
    assert sorted(keys) == ["document_row", "window_id"]


def test_downgrade_to_0006_and_back(bare: Context) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with bare.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0006")
    assert not {t.name for t in TABLES} & set(inspect(bare.engine).get_table_names())
    with bare.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    assert {t.name for t in TABLES} <= set(inspect(bare.engine).get_table_names())
