"""Persistence: SQLAlchemy 2 models and the Alembic-migrated schema."""
