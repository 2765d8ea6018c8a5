"""A document's current revision, and the compare-and-swap that commits the next one.

The ``documents`` row of a document's newest version holds its current bytes (``pdf``), a
``revision`` counter and the fields signed so far (``signed_fields``, in signing order). Signing
reads a :class:`Snapshot`, signs without holding any lock or transaction, and commits with::

    UPDATE documents SET pdf = :new, revision = :r + 1, signed_fields = :f, state = :s
     WHERE id = :id AND revision = :r AND <no newer version of the document exists>

Zero rows updated means someone else committed first (or a new version was rendered): nothing is
written and the caller decides (server-side signers re-read and sign again; a two-phase signer
must fetch a new hash). The working-copy file under ``records/`` is rewritten *inside* the
transaction, after the UPDATE took the row's write lock, so files are written in revision order;
the database stays the truth and the file can always be re-derived from it (``pdf_sha256`` keeps
the rendered base's hash, which the renderer uses to recognise unchanged records).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, exists, select, update
from sqlalchemy.orm import Session, aliased

from service.context import Context
from service.db.models import DatasetRow, DocumentRow
from service.errors import HsdtError
from service.files import write_atomic

__all__ = [
    "DocumentRef",
    "Snapshot",
    "commit_revision",
    "find_documents",
    "read_snapshot",
    "resync_working_copy",
]

Event = tuple[str, dict[str, Any]]  # action, detail (subject: the document id)


@dataclass(frozen=True)
class DocumentRef:
    """The newest version of a document, without its bytes (a batch holds many of these)."""

    row_id: int
    document_id: str
    dataset_id: int
    school_code: str
    class_id: str
    record_type: str
    signed: tuple[str, ...]


@dataclass(frozen=True)
class Snapshot:
    row_id: int
    document_id: str
    revision: int
    pdf: bytes
    signed: tuple[str, ...]
    pdf_path: str
    newest: bool  # False once a newer version was rendered: this one can no longer be signed


def _parse_fields(text: str) -> tuple[str, ...]:
    return tuple(f for f in text.split(",") if f)


def _is_newest() -> ColumnElement[bool]:
    newer = aliased(DocumentRow)
    return ~exists().where(
        newer.document_id == DocumentRow.document_id, newer.version > DocumentRow.version
    )


def find_documents(
    ctx: Context,
    *,
    document_ids: Sequence[str] = (),
    class_ids: Sequence[str] = (),
    record_types: Sequence[str] = (),
    school: str | None = None,
) -> list[DocumentRef]:
    """Newest versions matching every given filter, in a stable order (school, class, type, id)."""
    query = (
        select(
            DocumentRow.id,
            DocumentRow.document_id,
            DocumentRow.dataset_id,
            DatasetRow.school_code,
            DocumentRow.class_id,
            DocumentRow.record_type,
            DocumentRow.signed_fields,
        )
        .join(DatasetRow, DatasetRow.id == DocumentRow.dataset_id)
        .where(_is_newest())
        .order_by(
            DatasetRow.school_code,
            DocumentRow.class_id,
            DocumentRow.record_type,
            DocumentRow.document_id,
        )
    )
    if document_ids:
        query = query.where(DocumentRow.document_id.in_(list(document_ids)))
    if class_ids:
        query = query.where(DocumentRow.class_id.in_(list(class_ids)))
    if record_types:
        query = query.where(DocumentRow.record_type.in_(list(record_types)))
    if school:
        query = query.where(DatasetRow.school_code == school)
    with ctx.sessions() as session:
        rows = session.execute(query).all()
    refs = [
        DocumentRef(r[0], r[1], r[2], r[3], r[4], r[5], _parse_fields(r[6] or "")) for r in rows
    ]
    missing = sorted(set(document_ids) - {r.document_id for r in refs})
    if missing:
        filtered = (
            " (hoặc không khớp bộ lọc đã chọn)" if class_ids or record_types or school else ""
        )
        raise HsdtError(
            f"Không có hồ sơ {', '.join(missing)} trong hệ thống{filtered}.",
            hint="Kiểm tra mã hồ sơ (tên tệp PDF, không có đuôi .pdf).",
        )
    return refs


def read_snapshot(ctx: Context, row_id: int) -> Snapshot:
    query = select(
        DocumentRow.id,
        DocumentRow.document_id,
        DocumentRow.revision,
        DocumentRow.pdf,
        DocumentRow.signed_fields,
        DocumentRow.pdf_path,
        _is_newest(),
    ).where(DocumentRow.id == row_id)
    with ctx.sessions() as session:
        row = session.execute(query).one_or_none()
    if row is None:
        raise HsdtError(f"Không còn bản ghi hồ sơ số {row_id} trong cơ sở dữ liệu.")
    pdf = row[3]
    if pdf is None:  # rows from before migration 0002 kept their bytes only on disk
        pdf = ctx.home.absolute(row[5]).read_bytes()
    return Snapshot(
        row[0], row[1], row[2], bytes(pdf), _parse_fields(row[4] or ""), row[5], bool(row[6])
    )


def commit_revision(
    ctx: Context,
    snapshot: Snapshot,
    pdf: bytes,
    signed: Sequence[str],
    *,
    state: str,
    events: Sequence[Event],
    also: Callable[[Session], None] | None = None,
) -> int | None:
    """Store ``pdf`` as the revision after ``snapshot``; the new revision, or ``None`` on conflict.

    ``also`` runs in the same transaction after the swap succeeded (e.g. consuming a pending
    two-phase signature); raising from it aborts the whole commit.
    """
    new_revision = snapshot.revision + 1
    swap = (
        update(DocumentRow)
        .where(
            DocumentRow.id == snapshot.row_id,
            DocumentRow.revision == snapshot.revision,
            _is_newest(),
        )
        .values(pdf=pdf, revision=new_revision, signed_fields=",".join(signed), state=state)
        .execution_options(synchronize_session=False)
    )
    path = ctx.home.absolute(snapshot.pdf_path)
    file_written = False
    try:
        with ctx.sessions.begin() as session:
            # The UPDATE is the transaction's first statement: on SQLite it takes the write lock
            # at once (no stale read snapshot to upgrade); on PostgreSQL it locks the row.
            result = cast(CursorResult[Any], session.execute(swap))
            if result.rowcount != 1:  # someone else's revision, or a newer version: write nothing
                return None
            if also is not None:
                also(session)
            for action, detail in events:
                ctx.record_event(session, action, snapshot.document_id, **detail)
            session.flush()
            write_atomic(path, pdf)  # under the row lock: files follow the revision order
            file_written = True
    except BaseException:
        if file_written:  # the commit failed after the file was replaced: put the truth back
            resync_working_copy(ctx, snapshot.row_id)
        raise
    return new_revision


def resync_working_copy(ctx: Context, row_id: int) -> None:
    """Rewrite a document's working-copy file from the bytes the database holds."""
    with ctx.sessions() as session:
        row = session.execute(
            select(DocumentRow.pdf, DocumentRow.pdf_path).where(DocumentRow.id == row_id)
        ).one_or_none()
    if row is not None and row[0] is not None:
        write_atomic(ctx.home.absolute(row[1]), bytes(row[0]))
