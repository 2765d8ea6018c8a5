"""Issue 7.3, the database: it goes away in the middle of an archive run.

The exact moment comes from the fault proxy's hook: the database is broken when the first index
entry travels to the store (boto3 → FaultProxy → moto), i.e. between a package being stored and
the database recording it, the worst place for a half-written state.

- PostgreSQL terminates the job's connections (``pg_terminate_backend``): the pool notices at the
  next checkout (pre-ping) and the run completes.
- PostgreSQL stops taking connections for good: the run ends with a clear error (no traceback),
  the package is in the store but nothing claims the record archived; once the database is back,
  ``hsdt archive run`` again finishes with exactly one "archived" per record.
- SQLite locked by another process past the busy timeout (full mode: it waits 10 s): same.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from archive_flow.flow import configure
from archive_flow.signed_home import import_and_render, lock_year, sign_everything
from sqlalchemy import create_engine, select, text
from support.db import ADMIN_URL, _postgres_database
from support.schools import small_school

from reliability.checks import check_done, hsdt
from reliability.conftest import FULL, School, Tally
from reliability.faultproxy import FaultProxy
from reliability.test_store_faults import s3_via, school_on_s3
from service.context import Context
from service.db.models import DocumentRow, EventRow
from signing.devpki import serve_dev_pki


def pg_admin(sql: str, name: str = "") -> int:
    """Run ``sql`` as the administrator; the number of rows it returned."""
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            result = c.execute(text(sql), {"db": name})
            return len(result.all()) if result.returns_rows else 0
    finally:
        engine.dispose()


TERMINATE = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = :db AND pid <> pg_backend_pid()"
)


def once_at_first_index_put(action: Callable[[], None]) -> Callable[[str, str], None]:
    fired = threading.Event()

    def hook(method: str, target: str) -> None:
        if method == "PUT" and "/index/" in target and not fired.is_set():
            fired.set()
            action()

    return hook


def archived_states(root: Path) -> tuple[set[str], int]:
    ctx = Context.open(root)
    try:
        with ctx.sessions() as session:
            states = set(session.scalars(select(DocumentRow.state)))
            events = session.scalars(
                select(EventRow).where(EventRow.action == "document.archived")
            ).all()
            return states, len(events)
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The small school imported, rendered, signed and locked on PostgreSQL (once per module):
    a home folder and a database to copy with ``CREATE DATABASE … TEMPLATE``."""
    made = _postgres_database()
    url = next(made)
    root = tmp_path_factory.mktemp("reliability-pg") / "signed"
    saved = os.environ.get("HSDT_DATABASE_URL")
    os.environ["HSDT_DATABASE_URL"] = url
    try:
        dataset = small_school()
        ctx = Context.open(root)
        configure(ctx, '\n[archive.primary]\nkind = "local"\ndirectory = "objects"\n')
        pki = import_and_render(ctx, dataset)
        with serve_dev_pki(pki):
            sign_everything(ctx, dataset, pki)
        lock_year(ctx, dataset)
        ctx.close()
    finally:
        if saved is None:
            os.environ.pop("HSDT_DATABASE_URL", None)
        else:
            os.environ["HSDT_DATABASE_URL"] = saved
    try:
        yield root, url.rsplit("/", 1)[1]
    finally:
        next(made, None)


@pytest.fixture
def pg_school(
    pg_template: tuple[Path, str],
    tmp_path: Path,
    fault_proxy: FaultProxy,
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Path, str]]:
    """A fresh copy (home folder and database) archiving to S3 through the proxy."""
    template_root, template_db = pg_template
    name = f"hsdt_test_{uuid.uuid4().hex[:12]}"
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    monkeypatch.setenv("HSDT_DATABASE_URL", ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    root = shutil.copytree(template_root, tmp_path / "home")
    ctx = Context.open(root)
    configure(ctx, s3_via(fault_proxy, f"hsdt-rel-{uuid.uuid4().hex[:12]}", attempts=3))
    ctx.close()
    assert hsdt(root, "archive", "init-bucket").exit_code == 0
    try:
        yield root, name
    finally:
        pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgres_connections_killed_mid_run_are_replaced_and_the_run_completes(
    pg_school: tuple[Path, str], fault_proxy: FaultProxy, tally: Tally
) -> None:
    root, name = pg_school
    killed: list[int] = []
    fault_proxy.on_request = once_at_first_index_put(
        lambda: killed.append(pg_admin(TERMINATE, name))
    )

    result = hsdt(root, "archive", "run")

    assert killed and killed[0] >= 1, result.output  # the connection really was terminated
    assert result.exit_code == 0, result.output
    done = check_done(root, verify_signatures=False)
    tally.trials["database: connections terminated"] += 1
    tally.faults["pg_terminate_backend"] += 1
    tally.lost += done.problems
    assert done.problems == [] and done.archived == 3


def test_postgres_gone_mid_run_fails_clearly_and_a_rerun_completes(
    pg_school: tuple[Path, str], fault_proxy: FaultProxy, tally: Tally
) -> None:
    root, name = pg_school

    def database_goes_away() -> None:
        pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        pg_admin(TERMINATE, name)

    fault_proxy.on_request = once_at_first_index_put(database_goes_away)

    result = hsdt(root, "archive", "run")

    text_ = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "Mất kết nối tới cơ sở dữ liệu" in text_ and "chạy lại lệnh" in text_, text_
    assert "Lỗi nội bộ" not in text_
    fault_proxy.on_request = None
    pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    states, archived = archived_states(root)
    assert "archived" not in states and archived == 0  # nothing claims what was not recorded
    assert hsdt(root, "archive", "run").exit_code == 0
    done = check_done(root, verify_signatures=False)
    tally.trials["database: PostgreSQL gone + rerun"] += 1
    tally.faults["database refuses connections"] += 1
    tally.lost += done.problems
    assert done.problems == [] and done.archived == 3


@pytest.mark.skipif(not FULL, reason="waits out SQLite's 10 s busy timeout (full mode only)")
def test_sqlite_locked_mid_run_fails_clearly_and_a_rerun_completes(
    signed_school: School, tmp_path: Path, fault_proxy: FaultProxy, aws_env: None, tally: Tally
) -> None:
    root = school_on_s3(signed_school, tmp_path, fault_proxy, attempts=3)
    holder: list[sqlite3.Connection] = []

    def lock_the_database() -> None:
        other = sqlite3.connect(root / "hsdt.db", isolation_level=None, check_same_thread=False)
        other.execute("BEGIN EXCLUSIVE")
        holder.append(other)

    fault_proxy.on_request = once_at_first_index_put(lock_the_database)

    result = hsdt(root, "archive", "run")

    assert result.exit_code == 2, result.output
    assert "đang bị một tiến trình khác khóa" in " ".join(result.output.split())
    fault_proxy.on_request = None
    holder[0].rollback()
    holder[0].close()
    assert hsdt(root, "archive", "run").exit_code == 0
    done = check_done(root, verify_signatures=False)
    tally.trials["database: SQLite locked + rerun"] += 1
    tally.faults["sqlite locked"] += 1
    tally.lost += done.problems
    assert done.problems == [] and done.archived == 3
