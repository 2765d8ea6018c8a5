"""Archive workflow: ingest snapshots (archive time persisted before the first attempt) and the
last fixity check of each archived package.

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "archive_ingests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "document_row",
            sa.Integer,
            sa.ForeignKey("documents.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("document_id", sa.String(128), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_by", sa.String(128), nullable=False),
        sa.Column("verification", sa.Text, nullable=False),
        sa.Column("provenance", sa.Text, nullable=False),
        sa.Column("index_key", sa.String(256), nullable=True),
        sa.Column("bag_id", sa.String(64), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replicated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "archive_fixity_checks",
        sa.Column("index_key", sa.String(256), primary_key=True),
        sa.Column("document_id", sa.String(128), nullable=False, index=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("archive_fixity_checks")
    op.drop_table("archive_ingests")
