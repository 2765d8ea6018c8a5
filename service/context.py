"""The composition root: settings, database and clock built once per command, never at import."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.audit_log import append_entry
from service.clock import Clock, SystemClock
from service.db.engine import connect, migrate, session_factory
from service.home import Home, Settings


@dataclass
class Context:
    home: Home
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)
    actor: str = "system"

    @staticmethod
    def open(root: Path, *, clock: Clock | None = None, actor: str = "system") -> Context:
        home = Home.open(root)
        settings = home.settings()
        engine = connect(settings.database_url)
        migrate(engine)
        return Context(
            home, settings, engine, session_factory(engine), clock or SystemClock(), actor
        )

    def record_event(self, session: Session, action: str, subject: str, **detail: Any) -> None:
        """Append to the hash-chained audit log in the caller's transaction (service.audit_log)."""
        append_entry(
            session,
            at=self.clock.now(),
            actor=self.actor,
            action=action,
            subject=subject,
            detail=detail,
        )

    def close(self) -> None:
        self.engine.dispose()
