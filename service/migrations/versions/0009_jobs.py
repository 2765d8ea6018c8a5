"""Durable bulk jobs and their per-document tasks.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("school_code", sa.String(64), nullable=True),
        sa.Column("school_year", sa.String(16), nullable=True),
        sa.Column("class_ids", sa.Text, nullable=False, server_default=""),
        sa.Column("parameters", sa.Text, nullable=False, server_default="{}"),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_jobs_school_code", "jobs", ["school_code"])
    op.create_table(
        "job_tasks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(512), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("outcome", sa.Text, nullable=False, server_default=""),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("claim", sa.String(32), nullable=True),
        sa.Column("worker", sa.String(128), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("job_id", "subject", name="uq_job_tasks_subject"),
    )
    op.create_index("ix_job_tasks_job_id", "job_tasks", ["job_id"])
    op.create_index("ix_job_tasks_state", "job_tasks", ["state"])


def downgrade() -> None:
    op.drop_table("job_tasks")
    op.drop_table("jobs")
