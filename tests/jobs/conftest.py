"""Fixtures: homes with a school imported and confirmed, on SQLite and PostgreSQL, whose jobs run
in this process's pool or on real Dramatiq workers over the machine's Redis.

The small school (one class, three record books) and its development PKI are made once per
session; each test gets a fresh home (its own database from ``database_url``) with the dataset
imported and the class confirmed, and a ``[jobs]`` section written for the test: a short lease,
and a Redis namespace of its own so parallel runs never see each other's messages.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from support.schools import small_school

from records.canonical import dataset_to_json
from records.model import Dataset
from service.context import Context
from service.importing import import_file
from service.lifecycle import confirm_class
from service.signing_env import ensure_dev_pki
from signing.devpki import DevPki, load_dev_pki, serve_dev_pki

REDIS_URL = os.environ.get("HSDT_TEST_REDIS", "redis://127.0.0.1:6379/0")
HSDT = [sys.executable, "-m", "api.cli"]


@dataclass(frozen=True)
class School:
    dataset: Dataset
    pki: DevPki
    template: Path  # school.json and pki/ (no database: each test imports into its own)

    @property
    def code(self) -> str:
        return self.dataset.school.code

    @property
    def class_id(self) -> str:
        return self.dataset.classes[0].id


@pytest.fixture(scope="session")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[School]:
    dataset = small_school()
    template = tmp_path_factory.mktemp("jobs") / "home"
    ctx = Context.open(template)
    ensure_dev_pki(ctx, dataset)
    ctx.close()
    (template / "hsdt.db").unlink(missing_ok=True)
    (template / "school.json").write_bytes(dataset_to_json(dataset))
    pki = load_dev_pki(template / "pki")
    with serve_dev_pki(pki):
        yield School(dataset, pki, template)


def write_jobs_config(root: Path, *, engine: str, namespace: str, lease: int = 600) -> None:
    config = root / "hsdt.toml"
    text = config.read_text(encoding="utf-8")
    text = text[: text.index("[jobs]")] + (
        "[jobs]\n"
        f'engine = "{engine}"\n'
        "workers = 2\n"
        f'broker_url = "{REDIS_URL}"\n'
        f'namespace = "{namespace}"\n'
        f"lease_seconds = {lease}\n"
    )
    config.write_text(text, encoding="utf-8")


def make_home(root: Path, source: Path, dataset: Dataset, *, pki: Path | None = None) -> Context:
    """A home with ``dataset`` imported and every class confirmed (on $HSDT_DATABASE_URL)."""
    ctx = Context.open(root)
    if pki is not None:
        shutil.copytree(pki, root / "pki")
    imported = import_file(ctx, source)
    for c in dataset.classes:
        confirm_class(ctx, None, c.id, school=dataset.school.code, year=dataset.school_year)
    assert imported.created
    return ctx


@pytest.fixture
def namespace() -> Iterator[str]:
    """A Redis key prefix for this test only; its keys are deleted afterwards."""
    name = f"hsdt-test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def home(
    school: School,
    database_url: str,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Context]:
    """In-process engine; switch with ``write_jobs_config`` and reopen for Dramatiq."""
    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)  # workers inherit it
    root = tmp_path / "home"
    ctx = make_home(
        root, school.template / "school.json", school.dataset, pki=school.template / "pki"
    )
    write_jobs_config(root, engine="inprocess", namespace=namespace, lease=2)
    ctx.close()
    ctx = Context.open(root)
    yield ctx
    ctx.close()


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def ready(self) -> bool:
        return b"ready for action" in self.log.read_bytes()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # dramatiq's graceful shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_workers(root: Path, count: int, logs: Path) -> list[Worker]:
    """``count`` separate ``hsdt worker --processes 1`` commands, each its own dramatiq master
    with one worker process; returns when every one is ready for messages."""
    workers = []
    for n in range(count):
        log = logs / f"worker-{n}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [*HSDT, "--home", str(root), "worker", "--processes", "1", "--threads", "1"],
                stdout=sink,
                stderr=subprocess.STDOUT,
                cwd=Path(__file__).resolve().parents[2],
                start_new_session=True,  # its own process group: killable as a whole
            )
        workers.append(Worker(process, log))
    deadline = time.monotonic() + 60
    while not all(w.ready() for w in workers):
        dead = [w for w in workers if w.process.poll() is not None]
        if dead or time.monotonic() > deadline:
            for w in workers:
                w.stop()
            logs_text = "\n".join(w.log.read_text(errors="replace")[-2000:] for w in workers)
            pytest.fail(f"dramatiq workers did not start:\n{logs_text}")
        time.sleep(0.2)
    return workers
