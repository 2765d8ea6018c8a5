"""Data confirmations and lock windows.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_confirmations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("school_code", sa.String(64), nullable=False),
        sa.Column("school_year", sa.String(16), nullable=False),
        sa.Column("class_id", sa.String(32), nullable=False),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("dataset_sha256", sa.String(64), nullable=False),
        sa.Column("class_sha256", sa.String(64), nullable=False),
        sa.Column("confirmed_by", sa.String(128), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by_dataset", sa.Integer, nullable=True),
    )
    op.create_index("ix_data_confirmations_school_code", "data_confirmations", ["school_code"])
    op.create_table(
        "lock_windows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("province", sa.String(64), nullable=False),
        sa.Column("district", sa.String(64), nullable=True),
        sa.Column("school", sa.String(64), nullable=True),
        sa.Column("school_year", sa.String(16), nullable=False),
        sa.Column("term", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("opened_by", sa.String(128), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(128), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.Text, nullable=True),
    )
    op.create_table(
        "lock_window_documents",
        sa.Column("window_id", sa.Integer, sa.ForeignKey("lock_windows.id"), primary_key=True),
        sa.Column("document_row", sa.Integer, sa.ForeignKey("documents.id"), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("lock_window_documents")
    op.drop_table("lock_windows")
    op.drop_index("ix_data_confirmations_school_code", "data_confirmations")
    op.drop_table("data_confirmations")
