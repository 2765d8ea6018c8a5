"""One task, start to end, in whichever process runs it (an in-process pool or a Dramatiq worker).

Claim (under a lease) → run the use case → record the result → finish the job when it was the
last task. A worker opens the home's context once and keeps it for every task it runs.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import traceback
from datetime import UTC, datetime
from pathlib import Path

from service.context import Context
from service.jobs import store
from service.jobs.kinds import run_task_kind
from service.jobs.store import Claimed, TaskResult

__all__ = ["USER_ERRORS", "forget_inherited", "run_task", "worker_id"]

_contexts: dict[str, Context] = {}
_contexts_lock = threading.Lock()


def worker_id() -> str:
    """host:pid — which machine and process ran a task (read by operators and by the tests)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _context(home: str) -> Context:
    with _contexts_lock:
        ctx = _contexts.get(home)
        if ctx is None:
            ctx = _contexts[home] = Context.open(Path(home))
        return ctx


def forget_inherited() -> None:
    """In a forked child: never touch the parent's database connections (SQLAlchemy's advice for
    pools across fork), open new ones on first use."""
    with _contexts_lock:
        for ctx in _contexts.values():
            ctx.engine.dispose(close=False)
        _contexts.clear()


def _user_errors() -> tuple[type[Exception], ...]:
    """Errors whose message is meant for a person (each package's root error)."""
    from archive import ArchiveError
    from records.template import TemplateError
    from render import RenderError
    from service.errors import HsdtError
    from signing.errors import SigningError
    from signing.plans import PlanError, PlanViolation

    return (
        HsdtError,
        RenderError,
        SigningError,
        PlanViolation,
        PlanError,
        TemplateError,
        ArchiveError,
    )


USER_ERRORS = _user_errors


def _internal(ctx: Context, task: Claimed) -> TaskResult:
    """An unexpected error: the traceback to the home's logs/, a sentence to the job."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    where = "(không ghi được tệp nhật ký)"
    try:
        ctx.home.logs_dir.mkdir(parents=True, exist_ok=True)
        log = ctx.home.logs_dir / f"job-{task.job_id}-task-{task.task_id}-{stamp}.txt"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        where = ctx.home.relative(log)
    except OSError:
        pass
    return TaskResult(
        False,
        "",
        f"Lỗi nội bộ khi xử lý {task.subject}; dữ liệu đã ghi vẫn trọn vẹn. "
        f"Chi tiết kỹ thuật: {where}. Chạy lại công việc («hsdt jobs resume {task.job_id}») "
        "hoặc gửi tệp này cho bộ phận hỗ trợ.",
    )


def run_task(home: str, task_id: int) -> int | None:
    """Run one task of a job if it is still to do; for sequential jobs (imports), the id of the
    job's next pending task, which the caller dispatches — otherwise ``None``."""
    base = _context(home)
    claimed = store.claim(
        base, task_id, worker=worker_id(), lease_seconds=base.settings.jobs.lease_seconds
    )
    if claimed is None:  # done already, held by a live worker, or the job was cancelled
        return None
    ctx = dataclasses.replace(base, actor=claimed.requested_by)  # same engine, this job's actor
    try:
        result = run_task_kind(ctx, claimed)
    except USER_ERRORS() as exc:
        result = TaskResult(False, "", str(exc))
    except Exception:
        result = _internal(ctx, claimed)
    store.complete(ctx, claimed, result)
    store.finish_if_complete(ctx, claimed.job_id)
    return store.next_pending(ctx, claimed.job_id) if claimed.kind.sequential else None
