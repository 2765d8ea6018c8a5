"""The archive's tables and queries on SQLite and PostgreSQL: the archive time persisted before a
crash comes back as the same instant (SQLite drops the zone, PostgreSQL keeps it), fixity dates
are upserted, the status counts run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Integer, create_engine, insert, select, text

from archive_flow.conftest import Template
from archive_flow.flow import MovableClock, PowerCut, ingests, power_cut
from service.archiving import Status, archive_signed
from service.archiving_audit import audit_archive
from service.archiving_config import open_archive
from service.archiving_status import archive_status
from service.context import Context
from service.db.models import Base


def copy_rows(source_url: str, ctx: Context) -> None:
    """Every row of the template's SQLite database into the (migrated, empty) database of ctx."""
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
def home_on(
    database_url: str,
    signed_template: Template,
    tmp_path: Path,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Context]:
    root = tmp_path / "on-db"
    shutil.copytree(signed_template.root, root, ignore=shutil.ignore_patterns("hsdt.db*"))
    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    ctx = Context.open(root, clock=clock)
    copy_rows(f"sqlite:///{signed_template.root / 'hsdt.db'}", ctx)
    yield ctx
    ctx.close()


def test_the_archive_time_survives_a_crash_and_audits_are_dated(
    home_on: Context,
    signed_template: Template,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = signed_template.hoc_ba
    stores = open_archive(home_on)
    first_attempt = clock.now()
    with power_cut(stores.primary, monkeypatch, after=2), pytest.raises(PowerCut):
        archive_signed(home_on, document_ids=[doc], stores=stores)
    clock.at += timedelta(minutes=30)

    (outcome,) = archive_signed(home_on, document_ids=[doc], stores=stores).documents

    assert outcome.status is Status.ARCHIVED, outcome.message
    assert outcome.archived_at == first_attempt
    (ingest,) = ingests(home_on)
    assert ingest.index_key == outcome.index_key

    clock.at += timedelta(days=3)
    assert len(audit_archive(home_on).packages) == 1
    assert len(audit_archive(home_on).packages) == 1  # the second run updates the same row
    assert audit_archive(home_on, older_than=timedelta(days=1)).packages == ()
    status = archive_status(home_on)
    assert status.states == {"archived": 1, "locked": 2}
    assert (status.packages, status.in_progress, status.never_audited) == (1, 0, 0)
    assert status.last_audit is not None and status.last_audit.at == clock.now()
