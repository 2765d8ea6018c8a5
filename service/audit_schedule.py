"""Periodic anchoring: ``[audit] anchor_every_minutes`` in hsdt.toml, run inside ``hsdt serve``.

    [audit]
    anchor_every_minutes = 60   # 0: no anchoring by the server (use cron: «hsdt audit anchor»)
    min_new_entries = 1         # skip a period with fewer new entries than this

:class:`AnchorScheduler` decides, from an injected clock, when an anchor is due and runs it; a
failure is logged and retried at the next period, never raised. :func:`run_schedule` is the
asyncio loop around it (anchoring itself runs in a thread: it waits on the TSA and the archive),
and :func:`install_anchor_schedule` starts and stops that loop with an app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from service.audit_anchor import AnchorOutcome, anchor_log
from service.context import Context
from service.errors import HsdtError
from service.home import Home

__all__ = [
    "AnchorSchedule",
    "AnchorScheduler",
    "ScheduleError",
    "install_anchor_schedule",
    "run_schedule",
    "schedule_settings",
]

log = logging.getLogger("hsdt.audit")
DEFAULT_EVERY_MINUTES = 60


class ScheduleError(HsdtError):
    """The ``[audit]`` section of hsdt.toml is not usable."""


@dataclass(frozen=True)
class AnchorSchedule:
    every: timedelta | None  # None: the server does not anchor
    min_new_entries: int = 1


def schedule_settings(home: Home) -> AnchorSchedule:
    """The ``[audit]`` section (absent: every 60 minutes, at least one new entry)."""
    try:
        data: dict[str, Any] = tomllib.loads(home.config_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScheduleError(
            f"Không đọc được {home.config_path}: {exc}", hint="Sửa tệp hoặc lấy lại từ bản sao."
        ) from exc
    section = data.get("audit", {})
    every = section.get("anchor_every_minutes", DEFAULT_EVERY_MINUTES)
    min_new = section.get("min_new_entries", 1)
    if isinstance(every, bool) or not isinstance(every, int | float) or every < 0:
        raise ScheduleError(
            f"Mục audit của {home.config_path}: anchor_every_minutes phải là một số phút ≥ 0 "
            f"(đang là {every!r}).",
            hint="Ví dụ anchor_every_minutes = 60; 0 để máy chủ không tự gắn mốc.",
        )
    if isinstance(min_new, bool) or not isinstance(min_new, int) or min_new < 1:
        raise ScheduleError(
            f"Mục audit của {home.config_path}: min_new_entries phải là số nguyên ≥ 1 "
            f"(đang là {min_new!r}).",
            hint="Ví dụ min_new_entries = 1.",
        )
    return AnchorSchedule(timedelta(minutes=every) if every else None, min_new)


class AnchorScheduler:
    """When is the next anchor due, and run it when it is. No sleeping here: the caller asks."""

    def __init__(
        self,
        anchor: Callable[[], AnchorOutcome],
        every: timedelta,
        now: Callable[[], datetime],
    ) -> None:
        self._anchor = anchor
        self.every = every
        self._now = now
        self.next_due = now() + every  # not at start: a restart loop must not flood the TSA
        self.runs = 0
        self.failures = 0
        self.last_outcome: AnchorOutcome | None = None

    def seconds_until_due(self) -> float:
        return max((self.next_due - self._now()).total_seconds(), 0.0)

    def tick(self) -> AnchorOutcome | None:
        """Anchor when due (then the next period starts now); None when not due or it failed."""
        current = self._now()
        if current < self.next_due:
            return None
        self.next_due = current + self.every
        self.runs += 1
        try:
            outcome = self._anchor()
        except HsdtError as exc:
            self.failures += 1
            log.warning("audit anchor failed, retrying in %s: %s", self.every, exc.message)
            return None
        except Exception:  # a bug must not stop the server, nor later periods
            self.failures += 1
            log.exception("audit anchor failed unexpectedly, retrying in %s", self.every)
            return None
        self.last_outcome = outcome
        if outcome.anchored:
            log.info("audit log anchored at #%d (%s)", outcome.seq, outcome.archive_key)
        return outcome


async def run_schedule(
    scheduler: AnchorScheduler,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Forever: sleep until due, anchor in a worker thread (it runs its own event loop)."""
    while True:
        await sleep(scheduler.seconds_until_due())
        await asyncio.to_thread(scheduler.tick)


class _Lifespan(Protocol):
    """What a Starlette/FastAPI router offers (kept structural: service/ does not import api)."""

    on_startup: list[Callable[[], Any]]
    on_shutdown: list[Callable[[], Any]]


def install_anchor_schedule(router: _Lifespan, ctx: Context) -> AnchorScheduler | None:
    """Run the schedule while the app runs; None when ``anchor_every_minutes = 0``."""
    settings = schedule_settings(ctx.home)
    if settings.every is None:
        return None
    scheduler = AnchorScheduler(
        lambda: anchor_log(ctx, min_new_entries=settings.min_new_entries),
        settings.every,
        ctx.clock.now,
    )
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        tasks.append(asyncio.get_running_loop().create_task(run_schedule(scheduler)))

    async def stop() -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        tasks.clear()

    router.on_startup.append(start)
    router.on_shutdown.insert(0, stop)  # before the context is closed
    return scheduler
