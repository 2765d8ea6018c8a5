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

- **Forked from the calling thread only.** ``multiprocessing.Pool`` forks replacement workers from
  a handler thread while the parent's other threads run; a child forked while some thread holds a
  lock inherits it held, and hangs (seen in this module's tests). Here one loop in the caller's
  thread forks, feeds and replaces the workers.

Results come back in task order. An exception in a task is raised in the parent (no new task is
started; tasks finished before it stay done, and running the command again resumes). One that
cannot cross the process boundary intact arrives as ``WorkerCrashed`` with its traceback, and so
does a worker that dies mid-task (killed, out of memory) instead of leaving the batch waiting.
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
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from service.context import Context
from service.db.engine import connect, session_factory
from service.errors import HsdtError

__all__ = ["WorkerCrashed", "forked_map", "worker_context"]

T = TypeVar("T")
R = TypeVar("R")

_parent: Context | None = None  # in a worker: the context of the call that forked it
_worker: Context | None = None  # this worker's context (its own engine)
_parent_pid = 0  # the process that forked the workers


_RERUN = "Chạy lại lệnh: phần đã xong được giữ nguyên."


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
        hint=f"{_RERUN} Nếu lỗi lặp lại, gửi chi tiết sau cho người quản trị:\n{text}",
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
    global _parent_pid
    tasks = list(enumerate(items))
    if not tasks:
        return
    _parent_pid = os.getpid()
    gc.collect()
    _return_free_memory()  # what earlier stages freed goes back to the system, not to each child
    # children's collections leave the parent's objects (and their pages) alone; a freeze that
    # was already held (an enclosing batch, the dev PKI's server process) is left to its holder
    held = gc.get_freeze_count() > 0
    gc.freeze()
    crew = _Crew(ctx, fn, min(workers, len(tasks)), tasks_per_worker)
    try:
        yield from crew.run(tasks)
    finally:
        crew.stop()
        if not held:
            gc.unfreeze()


class _Worker:
    """One forked worker: the pipe it takes tasks on, and what it is doing."""

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process, self.conn = process, conn
        self.task: int | None = None  # the index of the task it is running
        self.done = 0


class _Crew:
    """Forks, feeds and replaces the workers — always from the thread that iterates, never from a
    helper thread (``multiprocessing.Pool`` forks replacements from its handler thread, and a
    fork while another thread holds a lock leaves that lock held forever in the child)."""

    def __init__(
        self, ctx: Context, fn: Callable[[Context, Any], Any], size: int, quota: int | None
    ) -> None:
        self.ctx, self.fn, self.size, self.quota = ctx, fn, size, quota
        self.fork = multiprocessing.get_context("fork")
        self.crew: list[_Worker] = []

    def run(self, tasks: list[tuple[int, Any]]) -> Iterator[Any]:
        waiting = list(reversed(tasks))  # popped from the end: first task first
        results: dict[int, tuple[bool, object]] = {}
        failed = False
        for index in range(len(tasks)):
            while index not in results:
                while not failed and waiting and len(self.crew) < self.size:
                    self._hire()
                for worker in self.crew:
                    if worker.task is None and waiting and not failed:
                        worker.task = waiting[-1][0]
                        worker.conn.send((self.fn, waiting.pop()[1]))
                failed = self._collect(results) or failed
            ok, value = results.pop(index)
            if not ok:
                assert isinstance(value, Exception)
                raise value
            yield value

    def _hire(self) -> None:
        mine, theirs = self.fork.Pipe()
        # the context goes to the child as an argument, not a module global: threads of one
        # process (the API's) may run batches as different people at the same time
        process = self.fork.Process(target=_serve, args=(theirs, self.ctx), daemon=True)
        process.start()
        theirs.close()
        self.crew.append(_Worker(process, mine))

    def _collect(self, results: dict[int, tuple[bool, object]]) -> bool:
        """Waits for at least one outcome (or a death) and files it under its task's index;
        whether any of them is a failure."""
        busy = [w for w in self.crew if w.task is not None]
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
        failed = False
        for worker in busy:
            if worker.conn not in ready and worker.process.sentinel not in ready:
                continue
            assert worker.task is not None
            try:
                results[worker.task] = outcome = worker.conn.recv()
            except (EOFError, OSError):  # died mid-task: killed, out of memory, a crash in C
                results[worker.task] = (False, _died(worker))
                self._retire(worker)
                failed = True
                continue
            failed = failed or not outcome[0]
            worker.task, worker.done = None, worker.done + 1
            if self.quota is not None and worker.done >= self.quota:
                self._retire(worker)
        return failed

    def _retire(self, worker: _Worker) -> None:
        self.crew.remove(worker)
        with contextlib.suppress(OSError):
            worker.conn.send(None)  # "no more tasks": it exits
        worker.conn.close()
        worker.process.join(timeout=30)
        if worker.process.exitcode is None:
            worker.process.kill()
            worker.process.join()

    def stop(self) -> None:
        """Idle workers are told to leave; busy ones (the batch stopped early) are killed: their
        transaction rolls back and a rerun redoes the task."""
        for worker in list(self.crew):
            if worker.task is not None:
                worker.process.kill()
            self._retire(worker)


def _serve(conn: Connection, parent: Context) -> None:
    """A worker's loop: a task in, its outcome out, until told to stop."""
    global _parent
    _parent = parent
    while (call := conn.recv()) is not None:
        conn.send(_run(call))


def _died(worker: _Worker) -> WorkerCrashed:
    worker.process.join(timeout=5)
    return WorkerCrashed(
        f"Một tiến trình xử lý dừng đột ngột (mã thoát {worker.process.exitcode}).",
        hint=f"{_RERUN} Nếu lỗi lặp lại, kiểm tra bộ nhớ còn trống của máy và nhật ký hệ thống "
        "(ví dụ bị OOM killer dừng).",
    )


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
