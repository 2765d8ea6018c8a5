"""The audit log in the database: entries appended in the caller's transaction, chained at commit.

Every state-changing use case calls ``Context.record_event``, which lands here. The entry joins
the caller's session, so it belongs to the transaction of the change it records (a rollback, or
the rollback of the savepoint it was added in, takes it away). It gets its sequence number and
hashes in the session's ``before_commit`` hook, after everything else is flushed, under the lock
of the one ``audit_head`` row taken by ``UPDATE audit_head … RETURNING``:

- PostgreSQL: the UPDATE locks the row until commit. A second committer waits there, then
  updates (and reads) the head the first one wrote: no two transactions chain to the same
  predecessor.
- SQLite: the UPDATE takes the database's single write lock before the head is read, so the
  head it reads is the newest.

Taking the head lock last, at commit, keeps it out of every other lock order (no deadlock with
row locks taken by the use case) and holds it only for the commit itself. The unique index on
``events.seq`` is the last line of defence: a fork cannot be committed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Session, SessionTransaction

from service.audit_chain import (
    StoredEntry,
    canonical_detail,
    entry_hash,
    utc,
)
from service.db.models import EventRow
from service.errors import HsdtError

__all__ = [
    "HEAD_ROW",
    "AuditLogError",
    "Head",
    "UnchainedRow",
    "anchors_table",
    "append_entry",
    "events_table",
    "head_table",
    "locate_hash",
    "read_entries",
    "read_head",
    "unchained_rows",
]

HEAD_ROW = 1
_PENDING = "hsdt.audit.pending"

# The chain columns are not on the ORM model (service.db.models.EventRow): this module is the
# only writer of them, through Core.
_metadata = MetaData()
events_table = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(256), nullable=False),
    Column("detail", Text, nullable=False),
    Column("seq", Integer, nullable=True, unique=True),
    Column("prev_hash", String(64), nullable=True),
    Column("entry_hash", String(64), nullable=True),
)
head_table = Table(
    "audit_head",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("entry_hash", String(64), nullable=False),
)
anchors_table = Table(
    "audit_anchors",
    _metadata,
    Column("seq", Integer, primary_key=True),
    Column("entry_hash", String(64), nullable=False),
    Column("token", LargeBinary, nullable=False),
    Column("tsa_time", DateTime(timezone=True), nullable=False),
    Column("anchored_at", DateTime(timezone=True), nullable=False),
    Column("archive_key", String(256), nullable=False),
)


class AuditLogError(HsdtError):
    """The log cannot take or give entries as it is (its head row is gone or damaged)."""


@dataclass(frozen=True)
class Head:
    seq: int  # 0: empty log
    entry_hash: str  # GENESIS_HASH for an empty log


def append_entry(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    detail: Mapping[str, Any],
) -> None:
    """Add an entry to the session's transaction; it is chained when the transaction commits.

    Raises ``SecretInDetail`` (before anything is written) for a detail key naming a secret.
    """
    row = EventRow(
        at=utc(at),  # SQLite keeps no zone: what is stored must already be UTC
        actor=actor,
        action=action,
        subject=subject,
        detail=canonical_detail(detail),
    )
    session.add(row)
    pending: list[EventRow] = session.info.setdefault(_PENDING, [])
    pending.append(row)
    if not event.contains(session, "before_commit", _chain_pending):
        event.listen(session, "before_commit", _chain_pending)
        event.listen(session, "after_transaction_end", _forget_pending)


# Built once: these run in every committing transaction that recorded something.
_ADVANCE_HEAD = (
    update(head_table)
    .where(head_table.c.id == HEAD_ROW)
    .values(seq=head_table.c.seq + bindparam("count"))
    .returning(head_table.c.seq, head_table.c.entry_hash)
)
_SET_HEAD_HASH = (
    update(head_table).where(head_table.c.id == HEAD_ROW).values(entry_hash=bindparam("new_hash"))
)
_INSERT_ENTRIES = insert(events_table)
_CHAIN_FLUSHED = (
    update(events_table)
    .where(events_table.c.id == bindparam("row_id"))
    .values(
        seq=bindparam("new_seq"), prev_hash=bindparam("new_prev"), entry_hash=bindparam("new_hash")
    )
)


def _chain_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint is being released: the outermost commit chains everything
    pending: list[EventRow] = session.info.pop(_PENDING, [])
    # Not yet flushed: inserted below with its chain columns in one statement. Already flushed
    # (an autoflush ran): updated. Neither: it went with a rolled-back savepoint.
    unflushed = {id(r) for r in pending if inspect(r).pending}
    entries = [r for r in pending if id(r) in unflushed or inspect(r).persistent]
    if not entries:
        return
    for row in entries:
        if id(row) in unflushed:
            session.expunge(row)
    # The head's UPDATE is the lock: PostgreSQL locks the row until commit (a concurrent
    # committer waits, then reads what this one wrote); SQLite takes its single write lock
    # before reading. Either way no two transactions chain to the same predecessor.
    head = session.execute(_ADVANCE_HEAD, {"count": len(entries)}).one_or_none()
    if head is None:
        raise AuditLogError(
            "Không ghi được nhật ký kiểm tra: dòng đầu chuỗi (bảng audit_head) không còn, nên "
            "không biết mục mới phải nối vào đâu. Không thay đổi nào được lưu.",
            hint="Chạy «hsdt audit verify» để xem nhật ký bị can thiệp từ đâu; không tự tạo lại "
            "dòng này.",
        )
    seq, prev = int(head.seq) - len(entries), str(head.entry_hash)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in entries:
        seq += 1
        digest = entry_hash(seq, row.at, row.actor, row.action, row.subject, row.detail, prev)
        if id(row) in unflushed:
            inserts.append(
                {"at": row.at, "actor": row.actor, "action": row.action, "subject": row.subject,
                 "detail": row.detail, "seq": seq, "prev_hash": prev, "entry_hash": digest}
            )  # fmt: skip
        else:
            updates.append({"row_id": row.id, "new_seq": seq, "new_prev": prev, "new_hash": digest})
        prev = digest
    if inserts:
        session.execute(_INSERT_ENTRIES, inserts)
    if updates:
        session.execute(_CHAIN_FLUSHED, updates)
    session.execute(_SET_HEAD_HASH, {"new_hash": prev})


def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended (committed or rolled back)
        session.info.pop(_PENDING, None)


def read_head(session: Session) -> Head | None:
    """The head as recorded (None when its row is missing)."""
    row = session.execute(
        select(head_table.c.seq, head_table.c.entry_hash).where(head_table.c.id == HEAD_ROW)
    ).one_or_none()
    return None if row is None else Head(int(row.seq), str(row.entry_hash))


def read_entries(
    session: Session, *, from_seq: int = 1, to_seq: int | None = None, batch: int = 2000
) -> Iterator[StoredEntry]:
    """Chained entries in ``seq`` order, streamed in batches (constant memory for any log size)."""
    c = events_table.c
    query = select(
        c.seq, c.at, c.actor, c.action, c.subject, c.detail, c.prev_hash, c.entry_hash
    ).where(c.seq.is_not(None), c.seq >= from_seq)
    if to_seq is not None:
        query = query.where(c.seq <= to_seq)
    result = session.execute(
        query.order_by(c.seq).execution_options(stream_results=True, yield_per=batch)
    )
    for row in result:
        yield StoredEntry(
            int(row.seq),
            utc(row.at),
            row.actor,
            row.action,
            row.subject,
            row.detail,
            row.prev_hash,
            row.entry_hash,
        )


def locate_hash(session: Session, digest: str) -> int | None:
    """Which sequence number carries entry hash ``digest`` (None: no entry)."""
    seq = session.scalar(
        select(func.min(events_table.c.seq)).where(events_table.c.entry_hash == digest)
    )
    return None if seq is None else int(seq)


@dataclass(frozen=True)
class UnchainedRow:
    id: int
    action: str
    subject: str


def unchained_rows(session: Session, *, limit: int = 5) -> tuple[int, list[UnchainedRow]]:
    """Committed event rows without a sequence number: written around the log, not through it."""
    c = events_table.c
    count = session.scalar(select(func.count()).where(c.seq.is_(None))) or 0
    rows = session.execute(
        select(c.id, c.action, c.subject).where(c.seq.is_(None)).order_by(c.id).limit(limit)
    )
    return int(count), [UnchainedRow(int(r.id), r.action, r.subject) for r in rows]
