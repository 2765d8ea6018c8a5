"""Document revisions: the current PDF bytes live in the database next to a revision counter, so
concurrent signers compare-and-swap and never lose a signature; pending two-phase signatures.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("revision", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("pdf", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("signed_fields", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "pending_signatures",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("document_row", sa.Integer, sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("base_sha256", sa.String(64), nullable=False),
        sa.Column("field_name", sa.String(128), nullable=False),
        sa.Column("signer_id", sa.String(128), nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pending_signatures")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("signed_fields")
        batch.drop_column("pdf")
        batch.drop_column("revision")
