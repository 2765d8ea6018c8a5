"""The composition root: settings, database and clock built once per command, never at import."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.clock import Clock, SystemClock
from service.db.engine import connect, migrate, session_factory
from service.db.models import EventRow
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
        session.add(
            EventRow(
                at=self.clock.now(),
                actor=self.actor,
                action=action,
                subject=subject,
                detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
            )
        )

    def close(self) -> None:
        self.engine.dispose()
