"""service.worker_pool: tasks in forked, short-lived workers with their own database connection."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
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


def _sleep_forever(ctx: Context, n: int) -> int:
    Path(os.environ["HSDT_TEST_PIDS"], str(os.getpid())).touch()  # announce, then hang
    time.sleep(600)
    return n


_PARENT = """
import sys
from pathlib import Path
from service.context import Context
from service.worker_pool import forked_map
import tests.service.test_worker_pool as t
ctx = Context.open(Path(sys.argv[1]))
list(forked_map(ctx, t._sleep_forever, [1, 2], workers=2))
"""


def test_workers_die_with_a_parent_killed_outright(database_url: str, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    env = {**os.environ, "HSDT_DATABASE_URL": database_url, "HSDT_TEST_PIDS": str(pids)}
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tmp_path / "home")], cwd=root, env=env
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = [int(p.name) for p in pids.iterdir()]
        assert len(workers) == 2 and all(_alive(w) for w in workers)
    finally:
        parent.kill()  # SIGKILL: no cleanup code of the parent runs
        parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has died; only its exit status is left


def _die_on_two(ctx: Context, n: int) -> int:
    if n == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would
    return n


def test_a_worker_that_dies_mid_task_fails_the_batch_instead_of_hanging_it(ctx: Context) -> None:
    done: list[int] = []
    with pytest.raises(WorkerCrashed) as raised:
        for n in forked_map(ctx, _die_on_two, [0, 1, 2, 3, 4], workers=2, tasks_per_worker=1):
            done.append(n)
    assert done == [0, 1]
    assert "mã thoát -9" in raised.value.message


def _slow(ctx: Context, n: int) -> int:
    time.sleep(0.05 * (n % 3))  # finish out of order
    return n * n


def test_many_short_lived_workers_keep_the_order_and_leave_no_process_behind(
    ctx: Context,
) -> None:
    before = set(multiprocessing.active_children())
    assert list(forked_map(ctx, _slow, range(30), workers=2, tasks_per_worker=3)) == [
        n * n for n in range(30)
    ]
    assert set(multiprocessing.active_children()) == before


def test_a_batch_stopped_early_leaves_no_worker_running(ctx: Context) -> None:
    before = set(multiprocessing.active_children())
    results = forked_map(ctx, _slow, range(10), workers=2)
    assert isinstance(results, Generator)
    assert next(results) == 0
    results.close()  # the caller stops reading: the busy worker is stopped too
    assert set(multiprocessing.active_children()) == before


def test_batches_run_at_once_from_two_threads_each_carry_their_own_caller(ctx: Context) -> None:
    """The API's threads run batches as different people at the same time: each worker gets the
    context of the call that forked it, never the other thread's."""
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    def batch(actor: str) -> set[str]:
        mine = replace(ctx, actor=actor)
        return {who for _, _, who in forked_map(mine, _record, range(6), workers=2)}

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(batch, ["GV001", "GV002"])
    assert (first, second) == ({"GV001"}, {"GV002"})


def test_a_freeze_held_by_the_caller_is_left_to_the_caller(ctx: Context) -> None:
    """The dev PKI's server process holds gc.freeze for its life; a batch run inside it must not
    unfreeze what the server still shares with this process."""
    import gc

    gc.freeze()
    try:
        assert list(forked_map(ctx, _fail, [1], workers=1)) == [1]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert list(forked_map(ctx, _fail, [1], workers=1)) == [1]
    assert gc.get_freeze_count() == 0  # its own freeze, it ends
