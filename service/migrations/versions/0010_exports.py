"""The export register: exports issued, their documents (traceable to the archived originals)
and the extracts (trích lục) signed by the school.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("school_code", sa.String(64), nullable=False),
        sa.Column("student_code", sa.String(64), nullable=False),
        sa.Column("school_year", sa.String(16), nullable=True),
        sa.Column("recipient", sa.String(256), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("delivery", sa.String(64), nullable=False),
        sa.Column("issued_by", sa.String(128), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("authorized_by", sa.String(128), nullable=False),
        sa.Column("file_name", sa.String(256), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("file_size", sa.Integer, nullable=False),
    )
    op.create_index("ix_exports_school_code", "exports", ["school_code"])
    op.create_index("ix_exports_student_code", "exports", ["student_code"])
    op.create_table(
        "export_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("export_id", sa.String(40), sa.ForeignKey("exports.id"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("document_id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("index_key", sa.String(256), nullable=False),
        sa.Column("package_sha256", sa.String(64), nullable=False),
    )
    op.create_index("ix_export_items_export_id", "export_items", ["export_id"])
    op.create_index("ix_export_items_document_id", "export_items", ["document_id"])
    op.create_table(
        "export_documents",
        sa.Column("document_id", sa.String(64), primary_key=True),
        sa.Column(
            "export_id", sa.String(40), sa.ForeignKey("exports.id"), nullable=False, unique=True
        ),
        sa.Column("source_document_id", sa.String(128), nullable=False),
        sa.Column("source_version", sa.Integer, nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_export_documents_source_document_id", "export_documents", ["source_document_id"]
    )


def downgrade() -> None:
    op.drop_table("export_documents")
    op.drop_table("export_items")
    op.drop_table("exports")
