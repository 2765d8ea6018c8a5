"""What a job is, as the use cases and shells see it (plain data; the rows live in service.db)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["JobKind", "JobState", "JobStatus", "TaskState", "TaskView"]


class JobKind(StrEnum):
    IMPORT = "import"
    RENDER = "render"
    SIGN = "sign"
    ARCHIVE = "archive"

    @property
    def sequential(self) -> bool:
        """Imports merge into the stored year one after another; everything else in parallel."""
        return self is JobKind.IMPORT

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    JobKind.IMPORT: "nhập dữ liệu",
    JobKind.RENDER: "kết xuất hồ sơ",
    JobKind.SIGN: "ký hồ sơ",
    JobKind.ARCHIVE: "lưu trữ hồ sơ",
}


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  # every task done
    FAILED = "failed"  # every task finished, some failed (resume retries them)
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        return self in (JobState.QUEUED, JobState.RUNNING)


class TaskState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class TaskView:
    id: int
    seq: int
    subject: str
    state: TaskState
    attempts: int
    outcome: str
    error: str | None
    worker: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "subject": self.subject,
            "state": self.state.value,
            "attempts": self.attempts,
            "outcome": self.outcome,
            "error": self.error,
            "worker": self.worker,
        }


@dataclass(frozen=True)
class JobStatus:
    """A job and its live progress (counted from its tasks, not from the cached counts)."""

    id: int
    kind: JobKind
    state: JobState
    school_code: str | None
    school_year: str | None
    class_ids: tuple[str, ...]
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total: int
    done: int
    failed: int
    running: int
    pending: int
    parameters: dict[str, Any] = field(default_factory=dict)
    tasks: tuple[TaskView, ...] = ()  # filled when asked for one job's details

    @property
    def finished(self) -> bool:
        return not self.state.active

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "state": self.state.value,
            "school": self.school_code,
            "year": self.school_year,
            "classes": list(self.class_ids),
            "requested_by": self.requested_by,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "progress": {
                "total": self.total,
                "done": self.done,
                "failed": self.failed,
                "running": self.running,
                "pending": self.pending,
            },
            "parameters": self.parameters,
            "tasks": [t.to_json() for t in self.tasks],
        }
