"""Each class of an imported dataset stored on its own (the dataset's canonical JSON with only that
class), so one class is read without parsing the whole school's year. Datasets imported before
this revision have no slices; readers fall back to cutting the class out of the whole
(service.dataset_slices).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_classes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("class_id", sa.String(64), nullable=False),
        sa.Column("canonical", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("dataset_id", "class_id", name="uq_dataset_classes_class"),
    )
    op.create_index("ix_dataset_classes_dataset_id", "dataset_classes", ["dataset_id"])


def downgrade() -> None:
    op.drop_table("dataset_classes")
