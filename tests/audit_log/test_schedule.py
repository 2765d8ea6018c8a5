"""Periodic anchoring: due on a fake clock and not before, a failure retried at the next period,
and the schedule running inside the API app's lifespan (``hsdt serve``)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from audit_log.helpers import record
from service.audit_anchor import AnchorOutcome, anchor_log
from service.audit_schedule import (
    AnchorScheduler,
    ScheduleError,
    run_schedule,
    schedule_settings,
)
from service.context import Context


class FakeClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


def anchors(ctx: Context) -> list[int]:
    with ctx.engine.connect() as c:
        return [int(r[0]) for r in c.exec_driver_sql("SELECT seq FROM audit_anchors ORDER BY seq")]


def set_audit(ctx: Context, section: str) -> None:
    path = ctx.home.config_path
    path.write_text(path.read_text(encoding="utf-8") + f"\n[audit]\n{section}\n", encoding="utf-8")


def test_settings_default_and_configured(audit_ctx: Context) -> None:
    default = schedule_settings(audit_ctx.home)
    assert (default.every, default.min_new_entries) == (timedelta(minutes=60), 1)
    set_audit(audit_ctx, "anchor_every_minutes = 15\nmin_new_entries = 20")
    configured = schedule_settings(audit_ctx.home)
    assert (configured.every, configured.min_new_entries) == (timedelta(minutes=15), 20)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("anchor_every_minutes = -1", "anchor_every_minutes phải là một số phút ≥ 0"),
        ('anchor_every_minutes = "1h"', "anchor_every_minutes phải là một số phút ≥ 0"),
        ("min_new_entries = 0", "min_new_entries phải là số nguyên ≥ 1"),
    ],
)
def test_bad_settings_are_refused(audit_ctx: Context, section: str, message: str) -> None:
    set_audit(audit_ctx, section)
    with pytest.raises(ScheduleError, match=message):
        schedule_settings(audit_ctx.home)


def test_zero_turns_the_server_schedule_off(audit_ctx: Context) -> None:
    set_audit(audit_ctx, "anchor_every_minutes = 0")
    assert schedule_settings(audit_ctx.home).every is None
    assert create_app(audit_ctx).state.audit_anchoring is None


def test_anchors_when_due_and_not_before(anchor_ctx: Context) -> None:
    clock = FakeClock()
    scheduler = AnchorScheduler(lambda: anchor_log(anchor_ctx), timedelta(minutes=60), clock.now)
    record(anchor_ctx, 3)
    clock.at += timedelta(minutes=59, seconds=59)
    assert scheduler.tick() is None and scheduler.runs == 0 and anchors(anchor_ctx) == []
    assert scheduler.seconds_until_due() == 1.0

    clock.at += timedelta(seconds=1)
    outcome = scheduler.tick()
    assert outcome is not None and outcome.anchored and anchors(anchor_ctx) == [3]
    assert scheduler.next_due == clock.at + timedelta(minutes=60)

    record(anchor_ctx, 2)
    clock.at += timedelta(minutes=30)
    assert scheduler.tick() is None and anchors(anchor_ctx) == [3]  # new entries, not yet due
    clock.at += timedelta(minutes=30)
    assert scheduler.tick() is not None and anchors(anchor_ctx) == [3, 5]


def test_a_failure_is_logged_and_retried_next_period(
    anchor_ctx: Context, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    scheduler = AnchorScheduler(lambda: anchor_log(anchor_ctx), timedelta(minutes=10), clock.now)
    record(anchor_ctx, 2)
    config = anchor_ctx.home.config_path
    good = config.read_text(encoding="utf-8")
    config.write_text(good.replace('kind = "local"\ndirectory = "objects"', 'kind = "ftp"'))

    clock.at += timedelta(minutes=10)
    with caplog.at_level("WARNING", logger="hsdt.audit"):
        assert scheduler.tick() is None  # not raised
    assert scheduler.failures == 1 and anchors(anchor_ctx) == []
    assert "audit anchor failed" in caplog.text and "kind phải là" in caplog.text

    config.write_text(good, encoding="utf-8")
    clock.at += timedelta(minutes=5)
    assert scheduler.tick() is None  # no retry before the next period
    clock.at += timedelta(minutes=5)
    assert scheduler.tick() is not None and anchors(anchor_ctx) == [2]


def test_the_loop_sleeps_until_due_then_ticks() -> None:
    clock = FakeClock()
    calls: list[datetime] = []
    slept: list[float] = []

    def anchor() -> AnchorOutcome:
        calls.append(clock.at)
        return AnchorOutcome(False, 0, "", None, "", None, None, 0)

    scheduler = AnchorScheduler(anchor, timedelta(minutes=1), clock.now)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) > 3:
            raise asyncio.CancelledError
        clock.at += timedelta(seconds=seconds)

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(run_schedule(scheduler, sleep))
    assert slept == [60.0, 60.0, 60.0, 60.0]
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert calls == [start + timedelta(minutes=n) for n in (1, 2, 3)]


def test_the_server_anchors_in_the_background_once(anchor_ctx: Context) -> None:
    set_audit(anchor_ctx, "anchor_every_minutes = 0.002")  # 0.12 s
    record(anchor_ctx, 3)
    app = create_app(anchor_ctx)
    scheduler = app.state.audit_anchoring
    assert isinstance(scheduler, AnchorScheduler)
    with TestClient(app):
        deadline = time.monotonic() + 30
        while scheduler.runs < 3 and time.monotonic() < deadline:
            time.sleep(0.05)  # the first period anchors, the later ones find nothing new
        assert scheduler.runs >= 3
    runs = scheduler.runs
    time.sleep(0.3)
    assert scheduler.runs == runs  # stopped with the app
    assert anchors(anchor_ctx) == [3] and scheduler.failures == 0
    assert scheduler.last_outcome is not None and scheduler.last_outcome.seq == 3
