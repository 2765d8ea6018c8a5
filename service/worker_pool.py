"""Batch work in forked worker processes, each with its own database connection.

A school's batch (signing a class through its plan, archiving a document) runs as one task in one
of ``workers`` processes forked from this one. Why this shape:

- **Every step in the workers.** The parent only hands out tasks and collects outcomes, so the
  batch scales with the workers instead of waiting on a serial step in the parent.
- **Short-lived workers.** A worker is replaced after ``tasks_per_worker`` tasks, so what a long
  batch leaves behind in a process (caches, a fragmented heap) never grows with the school's size.
  Replacements are forked from the parent, whose objects are frozen out of the garbage collector
  first (``gc.freeze``): a child's collections then never touch, and so never copy, the pages it
  shares with the parent.
- **Fork, not spawn.** A worker starts in milliseconds with everything imported, and the parent's
  context (home, settings, clock, actor) arrives without pickling; only the database engine is
  new (a connection must never be shared across processes).

Results come back in task order. An exception in a task is raised in the parent (the pool is
stopped; tasks finished before it stay done, and running the command again resumes). One that
cannot cross the process boundary intact arrives as ``WorkerCrashed`` with its traceback.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TypeVar

from service.context import Context
from service.db.engine import connect, session_factory
from service.errors import HsdtError

__all__ = ["WorkerCrashed", "forked_map", "worker_context"]

T = TypeVar("T")
R = TypeVar("R")

_parent: Context | None = None  # inherited by every forked worker
_worker: Context | None = None  # this worker's context (its own engine)
_parent_pid = 0  # the process that forked the workers


class WorkerCrashed(HsdtError):
    """A task failed in a worker with an error that could not be passed back as itself."""


def worker_context() -> Context:
    """The context of the worker process this runs in (built on first use)."""
    global _worker
    if _worker is None:
        assert _parent is not None, "worker_context() outside a forked_map worker"
        _die_with_parent()
        _parent.engine.dispose(close=False)  # the parent's connections stay the parent's
        engine = connect(_parent.settings.database_url)
        _worker = replace(_parent, engine=engine, sessions=session_factory(engine))
    return _worker


def _run(call: tuple[Callable[[Context, T], R], T]) -> tuple[bool, object]:
    fn, item = call
    try:
        return True, fn(worker_context(), item)
    except Exception as error:  # every failure goes back to the parent
        return False, _transportable(error)


def _transportable(error: Exception) -> Exception:
    """``error`` if it survives pickling as itself, else a ``WorkerCrashed`` that says what it
    was (exceptions with required keyword arguments do not)."""
    try:
        back = pickle.loads(pickle.dumps(error))
        if type(back) is type(error) and str(back) == str(error):
            return error
    except Exception:  # any pickling problem: described below instead
        pass
    text = "".join(traceback.format_exception(error)).strip()
    return WorkerCrashed(
        f"Một tiến trình xử lý gặp lỗi: {type(error).__name__}: {error}",
        hint="Chạy lại lệnh: phần đã xong được giữ nguyên. Nếu lỗi lặp lại, gửi chi tiết sau "
        f"cho người quản trị:\n{text}",
    )


def forked_map(
    ctx: Context,
    fn: Callable[[Context, T], R],
    items: Iterable[T],
    *,
    workers: int,
    tasks_per_worker: int | None = None,
) -> Iterator[R]:
    """``fn(worker_ctx, item)`` for every item in ``workers`` forked processes, yielded in the
    order of ``items``. ``fn`` must be a module-level function (it is sent by name)."""
    global _parent, _parent_pid
    items = list(items)
    if not items:
        return
    _parent, _parent_pid = ctx, os.getpid()
    gc.collect()
    _return_free_memory()  # what earlier stages freed goes back to the system, not to each child
    gc.freeze()  # children's collections leave the parent's objects (and their pages) alone
    try:
        fork = multiprocessing.get_context("fork")
        with fork.Pool(min(workers, len(items)), maxtasksperchild=tasks_per_worker) as pool:
            for ok, value in pool.imap(_run, [(fn, item) for item in items], chunksize=1):
                if not ok:
                    assert isinstance(value, Exception)
                    raise value
                yield value  # type: ignore[misc]
    finally:
        gc.unfreeze()
        _parent = None


def _return_free_memory() -> None:
    """glibc keeps freed heap memory for reuse; ``malloc_trim`` hands it back (elsewhere: no-op)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """A parent killed outright (kill -9, the OOM killer) takes its workers with it, so a rerun
    never meets a worker of the dead run still writing (Linux; elsewhere they finish their task)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != _parent_pid:  # the parent died before the request was in place
        os._exit(1)
