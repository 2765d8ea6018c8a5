"""The second copy of each archived package, made right after archiving or by a later run.

A replica that cannot be reached does not stop archiving: the package waits (``replicated_at``
stays empty in ``archive_ingests``) and every ``archive_signed`` run copies what is waiting.
Once the replica has failed with a store-wide error, the rest of the run does not try again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select

from archive import StoreFailure, replicate
from service.archiving_config import ArchiveStores
from service.archiving_report import ArchiveOutcome, Status, aware
from service.context import Context
from service.db.archive_models import ArchiveIngestRow

__all__ = ["awaiting_replication", "replicate_backlog", "second_copy"]


def second_copy(
    ctx: Context, stores: ArchiveStores, outcome: ArchiveOutcome, replica_down: str | None
) -> tuple[ArchiveOutcome, str | None]:
    """Replicate a freshly archived package; also returns why the replica is down, if it is
    (the following packages then wait for the next run instead of failing one by one)."""
    assert outcome.index_key is not None
    error, replica_down = _replicate(
        ctx, stores, outcome.document_id, outcome.version, outcome.index_key, replica_down
    )
    message = outcome.message + (
        " Đã sao chép sang kho thứ hai." if error is None else f" Chưa sao chép: {error}"
    )
    return (
        replace(outcome, message=message, replicated=error is None, replication_error=error),
        replica_down,
    )


def replicate_backlog(
    ctx: Context,
    stores: ArchiveStores,
    ingest_id: int,
    replica_down: str | None,
    done: set[str | None],
) -> tuple[ArchiveOutcome | None, str | None]:
    with ctx.sessions() as session:
        ingest = session.get(ArchiveIngestRow, ingest_id)
        if ingest is None or ingest.index_key is None or ingest.index_key in done:
            return None, replica_down
        document_id, version, key = ingest.document_id, ingest.version, ingest.index_key
        bag_id, archived_at = ingest.bag_id, aware(ingest.archived_at)
    error, replica_down = _replicate(ctx, stores, document_id, version, key, replica_down)
    message = (
        f"Phiên bản {version} (lưu trữ từ trước) đã được sao chép sang kho thứ hai."
        if error is None
        else f"Phiên bản {version} đã lưu trữ nhưng chưa sao chép sang kho thứ hai: {error}"
    )
    outcome = ArchiveOutcome(
        document_id,
        version,
        Status.REPLICATED if error is None else Status.FAILED,
        message,
        index_key=key,
        bag_id=bag_id,
        archived_at=archived_at,
        replicated=error is None,
        replication_error=error,
        code=None if error is None else "archive.replication",
    )
    return outcome, replica_down


def _replicate(
    ctx: Context,
    stores: ArchiveStores,
    document_id: str,
    version: int,
    index_key: str,
    replica_down: str | None,
) -> tuple[str | None, str | None]:
    """Bring the replica up to the primary for one document: (error, why the replica is down)."""
    if replica_down is not None or stores.replica is None:
        return replica_down or "chưa cấu hình kho thứ hai", replica_down
    try:
        result = replicate(stores.primary, stores.replica, document_ids=[document_id])
    except StoreFailure as exc:
        _record_replication_failure(ctx, document_id, version, index_key, exc.message)
        return exc.message, exc.message
    if not result.ok:
        error = "; ".join(f"{f.key}: {f.message}" for f in result.failures[:3])
        _record_replication_failure(ctx, document_id, version, index_key, error)
        return error, None
    with ctx.sessions.begin() as session:
        ingest = session.scalar(
            select(ArchiveIngestRow).where(ArchiveIngestRow.index_key == index_key)
        )
        assert ingest is not None
        ingest.replicated_at = ctx.clock.now()
        ctx.record_event(
            session,
            "document.replicated",
            document_id,
            version=version,
            index_key=index_key,
            target=stores.replica.name,
            copied=len(result.copied),
            verified=len(result.verified),
        )
    return None, None


def _record_replication_failure(
    ctx: Context, document_id: str, version: int, key: str, error: str
) -> None:
    with ctx.sessions.begin() as session:
        ctx.record_event(
            session,
            "document.replication_failed",
            document_id,
            version=version,
            index_key=key,
            error=error,
        )


def awaiting_replication(ctx: Context, document_ids: Sequence[str] | None) -> list[int]:
    query = (
        select(ArchiveIngestRow.id)
        .where(ArchiveIngestRow.completed_at.is_not(None), ArchiveIngestRow.replicated_at.is_(None))
        .order_by(ArchiveIngestRow.document_id, ArchiveIngestRow.version)
    )
    if document_ids is not None:
        query = query.where(ArchiveIngestRow.document_id.in_(list(document_ids)))
    with ctx.sessions() as session:
        return list(session.scalars(query))
