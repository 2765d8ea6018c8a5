"""What an archive run did, document by document: plain data for the CLI and its JSON."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = ["ArchiveOutcome", "ArchiveRunReport", "Progress", "Status", "aware", "iso"]


class Status(StrEnum):
    ARCHIVED = "archived"  # archived in this run
    REPLICATED = "replicated"  # archived earlier, its second copy made in this run
    REFUSED = "refused"  # does not verify, or its record data is missing: nothing stored
    FAILED = "failed"  # the archive refused the package (e.g. a damaged index)


@dataclass(frozen=True)
class ArchiveOutcome:
    document_id: str
    version: int
    status: Status
    message: str  # Vietnamese, for the clerk
    index_key: str | None = None
    bag_id: str | None = None  # the package's SHA-256 (of its tag manifest, which covers all)
    archived_at: datetime | None = None
    replicated: bool | None = None  # None: no second copy configured
    replication_error: str | None = None
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document_id,
            "version": self.version,
            "status": self.status.value,
            "message": self.message,
            "index_key": self.index_key,
            "bag_id": self.bag_id,
            "archived_at": iso(self.archived_at),
            "replicated": self.replicated,
            "replication_error": self.replication_error,
            "code": self.code,
        }


@dataclass
class ArchiveRunReport:
    primary: str
    replica: str | None  # None: no second copy configured
    replica_problem: str | None = None  # why the configured replica could not be opened
    documents: list[ArchiveOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for d in self.documents if d.status is status)

    @property
    def ok(self) -> bool:
        """Everything asked for is archived and, where a replica is configured, copied."""
        return all(
            d.status in (Status.ARCHIVED, Status.REPLICATED) and d.replicated is not False
            for d in self.documents
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "primary": self.primary,
            "replica": self.replica,
            "replica_problem": self.replica_problem,
            "seconds": round(self.seconds, 3),
            "counts": {s.value: self.count(s) for s in Status},
            "documents": [d.to_json() for d in self.documents],
        }


Progress = Callable[[int, int, ArchiveOutcome], None]


def aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None
