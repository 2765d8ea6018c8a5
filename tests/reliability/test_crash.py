"""Issue 7.2: kill -9 at random points of a school batch, resume, and find nothing half-done.

Each trial runs ``python -m reliability.school_batch HOME`` (import → render → sign → lock →
archive) in its own process group, SIGKILLs the whole group (the batch and its worker processes:
a power cut) at a seeded random moment inside a seeded random step, runs the same command again
until it finishes, then holds the home to ``checks.check_done``: every record fully done, its
bytes verifying, its package complete in the store, no orphan object, ``hsdt archive audit``
clean and ``hsdt audit verify`` passing. Trials alternate the local store and S3 (moto), SQLite
and PostgreSQL. ``HSDT_RELIABILITY=full``: 20 trials; otherwise 2 (signing, archiving).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from archive_flow.flow import configure, s3_table
from support.db import _postgres_database
from support.s3 import DUMMY_KEY_ID, DUMMY_SECRET, REGION

from reliability.checks import check_done, hsdt, litter
from reliability.conftest import FULL, Tally
from service.context import Context

REPO = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("HSDT_RELIABILITY_SEED", "2026"))
TRIALS = 20 if FULL else 2
# how long each step takes on an idle machine (seconds): the kill lands within that span
STEPS = {"import": 0.6, "render": 1.5, "sign": 4.0, "lock": 0.3, "archive": 2.0}


@dataclass(frozen=True)
class Trial:
    number: int
    step: str
    delay: float
    store: str  # "local" | "s3"
    database: str  # "sqlite" | "postgresql"

    @property
    def label(self) -> str:
        return f"#{self.number} {self.step}+{self.delay:.2f}s {self.store}/{self.database}"


def trials() -> list[Trial]:
    rng = random.Random(SEED)
    # CI: one kill inside each of the two steps where a kill has most to break
    steps = ["sign", "archive"] if not FULL else None
    out = []
    for n in range(TRIALS):
        step = steps[n % len(steps)] if steps else rng.choice(list(STEPS))
        delay = rng.uniform(0.0, STEPS[step])
        store = "s3" if n % 2 else "local"
        database = "postgresql" if n % 4 in (1, 2) else "sqlite"
        out.append(Trial(n + 1, step, delay, store, database))
    return out


@pytest.fixture
def batch_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "HSDT_DATABASE_URL", "PYTEST_"))
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]),
        AWS_ACCESS_KEY_ID=DUMMY_KEY_ID,
        AWS_SECRET_ACCESS_KEY=DUMMY_SECRET,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@contextmanager
def database(kind: str) -> Iterator[str | None]:
    if kind == "sqlite":
        yield None  # the home's own file
        return
    made = _postgres_database()
    url = next(made)
    try:
        yield url
    finally:
        next(made, None)


def start(root: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reliability.school_batch", str(root)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the kill takes its workers too
    )


def run_and_kill(root: Path, env: dict[str, str], trial: Trial) -> bool:
    """Run the batch, SIGKILL its process group ``trial.delay`` seconds into ``trial.step``.
    False when it finished before the kill landed."""
    proc = start(root, env)
    assert proc.stdout is not None
    killed = False
    for line in proc.stdout:
        if line.strip() == f"PHASE {trial.step}":
            time.sleep(trial.delay)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
            break
    proc.wait(timeout=300)
    if not killed:
        proc.communicate(timeout=60)
    else:
        proc.stdout.close()
        assert proc.stderr is not None
        proc.stderr.close()
    return killed


def run_to_the_end(root: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reliability.school_batch", str(root)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        start_new_session=True,
    )
    assert done.returncode == 0 and "DONE" in done.stdout, done.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("trial", trials(), ids=lambda t: t.label.replace(" ", "-"))
def test_a_killed_school_batch_resumes_with_nothing_half_done(
    trial: Trial,
    tmp_path: Path,
    batch_env: dict[str, str],
    moto_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    tally: Tally,
) -> None:
    with database(trial.database) as url:
        env = dict(batch_env)
        if url is not None:
            env["HSDT_DATABASE_URL"] = url
            monkeypatch.setenv("HSDT_DATABASE_URL", url)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            monkeypatch.setenv(name, env[name])
        root = tmp_path / "home"
        ctx = Context.open(root)
        if trial.store == "s3":
            bucket = f"hsdt-crash-{uuid.uuid4().hex[:12]}"
            configure(ctx, s3_table("primary", moto_endpoint, bucket))
            ctx.close()
            assert hsdt(root, "archive", "init-bucket").exit_code == 0
        else:
            configure(ctx, '\n[archive.primary]\nkind = "local"\ndirectory = "objects"\n')
            ctx.close()

        killed = run_and_kill(root, env, trial)
        run_to_the_end(root, env)  # the recovery: the same command again
        done = check_done(root)
        left = litter(root)

    tally.trials["crash: killed" if killed else "crash: finished before the kill"] += 1
    if killed:
        tally.faults["SIGKILL"] += 1
    tally.lost += [f"{trial.label}: {p}" for p in done.problems]
    if left:
        tally.trials[f"crash: temporary files left ({len(left)})"] += 1
    assert done.problems == [], trial.label
    assert done.archived == done.documents == 3
