"""Revision 0005 chains the events of a home from before the audit log, in id order, so that
home verifies; the downgrade takes the chain away cleanly and a new upgrade rebuilds the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert, select

from audit_log.helpers import chain, record
from service.audit_chain import GENESIS_HASH, entry_hash
from service.audit_verify import verify_audit_log
from service.context import Context
from service.db.engine import MIGRATIONS, connect
from service.db.models import EventRow


def to_revision(engine: Engine, revision: str, *, down: bool = False) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_events_from_before_the_audit_log_are_chained_and_verify(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = connect(database_url)
    to_revision(engine, "0004")
    start = datetime(2025, 9, 5, 1, 0, tzinfo=UTC)
    with engine.begin() as c:  # as the old record_event wrote them (spaces after separators)
        for i, action in enumerate(["dataset.imported", "document.rendered", "document.signed"]):
            c.execute(
                insert(EventRow).values(
                    at=start + timedelta(minutes=i), actor="system", action=action,
                    subject="HB-0001", detail=f'{{"version": {i}}}',
                )
            )  # fmt: skip
    to_revision(engine, "head")

    links = chain(engine)
    assert [seq for seq, _, _ in links] == [1, 2, 3]
    with engine.connect() as c:
        ids = c.scalars(select(EventRow.id).order_by(EventRow.id)).all()
    assert ids == sorted(ids)  # seq follows id order
    expected = entry_hash(
        1, start, "system", "dataset.imported", "HB-0001", '{"version": 0}', GENESIS_HASH
    )
    assert links[0] == (1, GENESIS_HASH, expected)

    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    ctx = Context.open(tmp_path / "home")
    try:
        record(ctx, 2)  # new entries continue the migrated chain
        report = verify_audit_log(ctx)
        assert report.ok and report.entries == 5

        before = chain(engine)
        to_revision(engine, "0004", down=True)
        to_revision(engine, "head")
        assert chain(engine) == before  # id order is chain order: the same hashes again
        assert verify_audit_log(ctx).ok
    finally:
        ctx.close()
        engine.dispose()
