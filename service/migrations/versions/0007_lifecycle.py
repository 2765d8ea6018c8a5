"""Data confirmations and lock windows.

Revision ID: 0007
Revises: 0006
"""

from alembic import op  # noqa: F401  (filled in by the lifecycle work)

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
