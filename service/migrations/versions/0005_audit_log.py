"""Audit log: events become a hash chain (sequence number, previous hash, entry hash), with one
chain-head row that appenders lock, and RFC 3161 anchors of the head. Existing events are chained
in id order, so a home from before this revision verifies.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from service.audit_chain import GENESIS_HASH, entry_hash, utc

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("seq", sa.Integer, nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("entry_hash", sa.String(64), nullable=True))
    # unique, and NULL for a row written around the log (which verification reports)
    op.create_index("uq_events_seq", "events", ["seq"], unique=True)
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_anchors",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("token", sa.LargeBinary, nullable=False),
        sa.Column("tsa_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archive_key", sa.String(256), nullable=False),
    )
    seq, prev = _chain_existing_events()
    op.bulk_insert(head, [{"id": 1, "seq": seq, "entry_hash": prev}])


def _chain_existing_events() -> tuple[int, str]:
    """Chain every existing event in id order (the format is service.audit_chain's version 1,
    which never changes). Returns the new head."""
    bind = op.get_bind()
    events = sa.table(
        "events",
        sa.column("id", sa.Integer),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor", sa.String),
        sa.column("action", sa.String),
        sa.column("subject", sa.String),
        sa.column("detail", sa.Text),
        sa.column("seq", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("entry_hash", sa.String),
    )
    seq, prev, last_id = 0, GENESIS_HASH, -1
    while True:
        rows = bind.execute(
            sa.select(events).where(events.c.id > last_id).order_by(events.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return seq, prev
        values = []
        for row in rows:
            seq += 1
            at = utc(row.at)
            digest = entry_hash(seq, at, row.actor, row.action, row.subject, row.detail, prev)
            values.append({"row_id": row.id, "s": seq, "p": prev, "h": digest})
            prev, last_id = digest, row.id
        bind.execute(
            sa.update(events)
            .where(events.c.id == sa.bindparam("row_id"))
            .values(
                seq=sa.bindparam("s"), prev_hash=sa.bindparam("p"), entry_hash=sa.bindparam("h")
            ),
            values,
        )


def downgrade() -> None:
    op.drop_table("audit_anchors")
    op.drop_table("audit_head")
    op.drop_index("uq_events_seq", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("entry_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
