"""Code run in other threads and processes by the concurrency tests (importable by spawn)."""

from __future__ import annotations

from datetime import UTC, datetime

from service.audit_log import append_entry
from service.db.engine import connect, session_factory


def append_many(url: str, worker: str, transactions: int, per_transaction: int = 2) -> None:
    """Commit ``transactions`` transactions of ``per_transaction`` entries on a fresh engine."""
    engine = connect(url)
    sessions = session_factory(engine)
    try:
        for t in range(transactions):
            with sessions.begin() as session:
                for i in range(per_transaction):
                    append_entry(
                        session,
                        at=datetime.now(UTC),
                        actor=worker,
                        action="test.concurrent",
                        subject=f"{worker}-{t}",
                        detail={"i": i},
                    )
    finally:
        engine.dispose()
