"""The schema migrates on both databases and survives being applied twice."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, select

from service.db.engine import connect, migrate, session_factory
from service.db.models import EventRow


def test_migrations_create_the_schema_idempotently(database_url: str) -> None:
    engine = connect(database_url)
    migrate(engine)
    migrate(engine)  # a second run is a no-op, not an error
    tables = set(inspect(engine).get_table_names())
    assert {"datasets", "documents", "events", "alembic_version"} <= tables
    sessions = session_factory(engine)
    with sessions.begin() as s:
        s.add(
            EventRow(
                at=datetime(2026, 1, 2, tzinfo=UTC),
                actor="GV001",
                action="x",
                subject="Nguyễn Thị Hằng",
                detail="{}",
            )
        )
    with sessions() as s:
        row = s.scalars(select(EventRow)).one()
        assert row.subject == "Nguyễn Thị Hằng"
    engine.dispose()
