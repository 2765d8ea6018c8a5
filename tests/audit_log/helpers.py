"""Helpers for the audit log tests: a deterministic clock, recording, reading and tampering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, text

from service.audit_chain import GENESIS_HASH, entry_hash, utc
from service.audit_log import events_table
from service.context import Context


class TickingClock:
    """Each reading one second after the previous one: entries get distinct, known times."""

    def __init__(self, start: datetime = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)) -> None:
        self.at = start

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


def record(ctx: Context, count: int, *, action: str = "document.rendered") -> None:
    """``count`` entries, one transaction each, as the use cases record them."""
    for i in range(count):
        with ctx.sessions.begin() as session:
            ctx.record_event(session, action, f"HB-{i:04d}", version=1, học_sinh="Lò Thị Ánh")


def chain(engine: Engine) -> list[tuple[int, str, str]]:
    """(seq, prev_hash, entry_hash) of every chained entry, in order."""
    with engine.connect() as c:
        rows = c.execute(
            text("SELECT seq, prev_hash, entry_hash FROM events WHERE seq IS NOT NULL ORDER BY seq")
        )
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def sql(engine: Engine, statement: str, **params: Any) -> None:
    """Tamper with the database directly, as someone with database access could."""
    with engine.begin() as c:
        c.execute(text(statement), params)


def rehash_from(engine: Engine, first: int) -> None:
    """Recompute every hash from entry ``first`` on, and the head: a consistent forgery by
    someone who knows the (public) format."""
    e = events_table.c
    with engine.begin() as c:
        prev = c.execute(select(e.entry_hash).where(e.seq == first - 1)).scalar() or GENESIS_HASH
        rows = c.execute(select(events_table).where(e.seq >= first).order_by(e.seq)).all()
        for r in rows:
            digest = entry_hash(r.seq, utc(r.at), r.actor, r.action, r.subject, r.detail, prev)
            c.execute(
                text("UPDATE events SET prev_hash = :p, entry_hash = :h WHERE id = :i"),
                {"p": prev, "h": digest, "i": r.id},
            )
            prev = digest
        c.execute(
            text("UPDATE audit_head SET seq = :s, entry_hash = :h WHERE id = 1"),
            {"s": rows[-1].seq, "h": prev},
        )
