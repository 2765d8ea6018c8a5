"""Correction requests, their approvals and witnesses, and which version supersedes which.

Additive: three new tables, nothing else touched.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document_row", sa.Integer, sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("school_code", sa.String(64), nullable=False),
        sa.Column("school_year", sa.String(16), nullable=False),
        sa.Column("class_id", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("new_dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_corrections_document_id", "corrections", ["document_id"])
    op.create_table(
        "correction_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("correction_id", sa.Integer, sa.ForeignKey("corrections.id"), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("part", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_correction_steps_correction_id", "correction_steps", ["correction_id"])
    op.create_table(
        "document_supersedes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "document_row", sa.Integer, sa.ForeignKey("documents.id"), nullable=False, unique=True
        ),
        sa.Column("supersedes_row", sa.Integer, sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("document_id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("supersedes_version", sa.Integer, nullable=False),
        sa.Column("correction_id", sa.Integer, sa.ForeignKey("corrections.id"), nullable=False),
    )
    op.create_index("ix_document_supersedes_document_id", "document_supersedes", ["document_id"])


def downgrade() -> None:
    op.drop_table("document_supersedes")
    op.drop_table("correction_steps")
    op.drop_table("corrections")
