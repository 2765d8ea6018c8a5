"""Where a job's tasks run, behind one port: this process's pool, or Dramatiq workers.

- ``InProcessEngine`` (default): the command that submits (or resumes) a job runs its tasks
  before it returns, in ``[jobs] workers`` processes of this machine (spawned, each opening the
  home once). Nothing else to install or start.
- ``DramatiqEngine``: the tasks' ids go to the broker (Redis); ``hsdt worker`` processes on any
  machine sharing the home and the database run them. The submitting command returns at once.

Either way the database is the truth: an engine only says "run task N of job J"; a message lost
or delivered twice changes nothing (the claim is a compare-and-swap, ``resume`` re-sends).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TYPE_CHECKING, Protocol

from service.context import Context
from service.errors import HsdtError
from service.home import JobSettings
from service.jobs.model import JobKind
from service.jobs.runner import forget_inherited, run_task

if TYPE_CHECKING:
    from dramatiq.brokers.redis import RedisBroker

__all__ = ["QUEUE", "DramatiqEngine", "InProcessEngine", "JobEngine", "actor_name", "engine_for"]

QUEUE = "hsdt-jobs"
Tick = Callable[[], None]  # called after each task this engine ran (in-process progress)


def actor_name(kind: JobKind) -> str:
    return f"hsdt_job_{kind.value}"


class JobEngine(Protocol):
    name: str
    runs_here: bool  # True: dispatch returns when the tasks have run

    def dispatch(
        self, ctx: Context, job_id: int, kind: JobKind, task_ids: Sequence[int], tick: Tick | None
    ) -> None: ...


def _home(ctx: Context) -> str:
    return str(ctx.home.root.resolve())


class InProcessEngine:
    name = "inprocess"
    runs_here = True

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def dispatch(
        self, ctx: Context, job_id: int, kind: JobKind, task_ids: Sequence[int], tick: Tick | None
    ) -> None:
        home = _home(ctx)
        if kind.sequential:
            following: int | None = task_ids[0] if task_ids else None
            while following is not None:
                following = run_task(home, following)
                if tick:
                    tick()
            return
        if self.workers <= 1 or len(task_ids) <= 1:
            for task_id in task_ids:
                run_task(home, task_id)
                if tick:
                    tick()
            return
        # forked (a spawned child re-imports everything: seconds per worker); each child drops
        # the contexts it inherited and opens its own connections (forget_inherited)
        fork = multiprocessing.get_context("fork")
        workers = min(self.workers, len(task_ids))
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=fork, initializer=forget_inherited
        ) as pool:
            for future in as_completed([pool.submit(run_task, home, t) for t in task_ids]):
                future.result()
                if tick:
                    tick()


class DramatiqEngine:
    name = "dramatiq"
    runs_here = False

    def __init__(self, settings: JobSettings) -> None:
        self.settings = settings

    def dispatch(
        self, ctx: Context, job_id: int, kind: JobKind, task_ids: Sequence[int], tick: Tick | None
    ) -> None:
        from dramatiq import Message

        # a sequential job sends its first task; each worker sends the next when it is done
        ids = list(task_ids[:1]) if kind.sequential else list(task_ids)
        broker = make_broker(self.settings)
        try:
            for task_id in ids:
                broker.enqueue(
                    Message(
                        queue_name=QUEUE,
                        actor_name=actor_name(kind),
                        args=(_home(ctx), job_id, task_id),
                        kwargs={},
                        options={},
                    )
                )
        except Exception as exc:  # redis.ConnectionError and friends: the broker is unreachable
            raise HsdtError(
                f"Không gửi được việc tới hàng đợi {self.settings.broker_url}: {exc}. "
                f"Công việc số {job_id} đã được ghi nhận nhưng chưa chạy.",
                hint=f"Kiểm tra Redis, rồi chạy «hsdt jobs resume {job_id}».",
            ) from exc
        finally:
            broker.client.close()


def make_broker(settings: JobSettings) -> RedisBroker:
    """The Redis broker of ``[jobs]`` (its namespace keeps installations sharing Redis apart)."""
    if not settings.broker_url.startswith(("redis://", "rediss://", "unix://")):
        raise HsdtError(
            f"[jobs] broker_url = «{settings.broker_url}»: hsdt chạy Dramatiq qua Redis.",
            hint='Dùng broker_url = "redis://máy:6379/0" (xem docs/jobs.md).',
        )
    from dramatiq.brokers.redis import RedisBroker

    return RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.broker_url, namespace=settings.namespace
    )


def engine_for(ctx: Context) -> JobEngine:
    jobs = ctx.settings.jobs
    if jobs.engine == "dramatiq":
        return DramatiqEngine(jobs)
    return InProcessEngine(jobs.workers)
