"""Extracts archived: each extract's own archive package (index key, package SHA-256, archive
time), and an index on the extract's PDF SHA-256 for the public verification of uploads.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("export_documents") as batch:
        batch.add_column(sa.Column("index_key", sa.String(256), nullable=True))
        batch.add_column(sa.Column("package_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_export_documents_pdf_sha256", "export_documents", ["pdf_sha256"])


def downgrade() -> None:
    op.drop_index("ix_export_documents_pdf_sha256", "export_documents")
    with op.batch_alter_table("export_documents") as batch:
        batch.drop_column("archived_at")
        batch.drop_column("package_sha256")
        batch.drop_column("index_key")
