"""service.worker_pool: tasks in forked, short-lived workers with their own database connection."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.errors import AlreadyExists
from service.context import Context
from service.db.models import EventRow
from service.worker_pool import WorkerCrashed, forked_map


@pytest.fixture
def ctx(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    context = Context.open(tmp_path / "home", actor="GV001")
    yield context
    context.close()


def _record(ctx: Context, n: int) -> tuple[int, int, str]:
    """Writes an audit entry through the worker's own connection; who and where it ran."""
    with ctx.sessions.begin() as session:
        ctx.record_event(session, "test.worker", f"Tác vụ {n}", n=n)
    return n, os.getpid(), ctx.actor


def _fail(ctx: Context, n: int) -> int:
    if n == 2:
        # required keyword arguments: cannot be rebuilt from its pickle as itself
        raise AlreadyExists("kho thử", f"khoá-{n}", existing_sha256=None)
    if n == 3:
        raise ValueError("Dữ liệu không hợp lệ ở dòng 3")
    return n


def test_results_come_in_order_from_fresh_workers_that_write_through_their_own_connection(
    ctx: Context,
) -> None:
    results = list(forked_map(ctx, _record, range(8), workers=2, tasks_per_worker=2))
    assert [n for n, _, _ in results] == list(range(8))
    pids = {pid for _, pid, _ in results}
    assert os.getpid() not in pids
    assert len(pids) >= 4  # 8 tasks, 2 per worker: at least 4 processes did them
    assert {actor for _, _, actor in results} == {"GV001"}  # the parent's context, inherited
    with ctx.sessions() as session:
        written = session.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.action == "test.worker")
        )
    assert written == 8


def test_an_error_in_a_task_is_raised_in_the_parent_as_itself_when_it_can_be(
    ctx: Context,
) -> None:
    with pytest.raises(ValueError, match="dòng 3"):
        list(forked_map(ctx, _fail, [3], workers=1))


def test_an_error_that_cannot_cross_intact_arrives_as_worker_crashed_with_what_it_was(
    ctx: Context,
) -> None:
    done: list[int] = []
    with pytest.raises(WorkerCrashed) as raised:
        for n in forked_map(ctx, _fail, [0, 1, 2, 4], workers=2):
            done.append(n)
    assert done == [0, 1]  # what finished before the failure was yielded
    assert "AlreadyExists" in raised.value.message
    assert raised.value.hint is not None and "khoá-2" in raised.value.hint


def test_nothing_to_do_starts_no_worker(ctx: Context) -> None:
    assert list(forked_map(ctx, _record, [], workers=2)) == []
