"""Alembic environment: runs on the connection handed over by service.db.engine.migrate."""

from __future__ import annotations

from alembic import context

from service.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when alembic is run by hand
    raise SystemExit("Run migrations through hsdt (service.db.engine.migrate).")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
