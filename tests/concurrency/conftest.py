"""Concurrency on one school: the school, the workers' processes, the full/CI switch, the summary.

    HSDT_RELIABILITY=full   more workers and rounds (docs/reliability.md, "Concurrency")

PostgreSQL only (SQLite has a single writer; the imports' race test runs on both): where no
server answers, the tests skip with the reason shown.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.db import _postgres_database

from concurrency.work import Op
from records.model import Dataset
from records.sample import generate_school

FULL = os.environ.get("HSDT_RELIABILITY", "").lower() == "full"
REPO = Path(__file__).resolve().parents[2]
SUBJECTS = ("NGU_VAN", "TOAN", "NN1", "LICH_SU_DIA_LI", "KHTN", "TIN_HOC")


@dataclass
class Tally:
    workers: Counter[str] = field(default_factory=Counter)  # "thread sign", "process import"…
    operations: Counter[str] = field(default_factory=Counter)
    retried: int = 0  # signatures made again after another signer committed first
    revisions: int = 0  # document revisions committed (the rendered one included)
    revisions_seen: int = 0  # of them, seen by the observer while the workers ran
    archived_by_run: list[int] = field(default_factory=list)  # documents each archiver archived
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    lost: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        mode = "full" if FULL else "CI (reduced; HSDT_RELIABILITY=full for more)"
        workers = ", ".join(f"{k}: {v}" for k, v in sorted(self.workers.items()))
        ops = ", ".join(f"{k}: {v}" for k, v in sorted(self.operations.items()))
        return [
            f"concurrency ({mode})",
            f"  workers: {sum(self.workers.values())} ({workers})",
            f"  operations: {sum(self.operations.values())} ({ops})",
            f"  conflicts retried: {self.retried}",
            f"  revisions committed: {self.revisions}, seen while running: {self.revisions_seen}"
            " (each a byte prefix of the next)",
            f"  documents archived by each concurrent archiver: {self.archived_by_run}",
            "  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in self.seconds.items()),
            "  nothing lost: no lost update, no duplicate package, revision chains intact"
            if not self.lost
            else f"  LOST: {self.lost}",
        ]


_TALLY = Tally()


@pytest.fixture(scope="session")
def tally() -> Tally:
    return _TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _TALLY.operations:
        for line in _TALLY.lines():
            terminalreporter.write_line(line)


@pytest.fixture
def postgres_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh PostgreSQL database, also the worker processes' (they inherit the environment)."""
    for url in _postgres_database():
        monkeypatch.setenv("HSDT_DATABASE_URL", url)
        yield url


def school(classes: int) -> Dataset:
    """The seeded sample school, each class cut as support.schools.small_school cuts its one:
    two students, six subjects, no "as submitted" values."""
    ds = generate_school(seed=2026, primary_classes=0, secondary_classes=classes)
    cut = []
    for c in ds.classes:
        students = []
        for cs in c.students[:2]:
            year = cs.secondary
            assert year is not None
            kept = {k: v for k, v in year.subjects.items() if k in SUBJECTS}
            cleared = {k: None for k in type(year).model_fields if k.startswith("submitted_")}
            students.append(
                cs.model_copy(
                    update={"secondary": year.model_copy(update={"subjects": kept, **cleared})}
                )
            )
        subjects = [s for s in c.subjects if s.code in SUBJECTS]
        cut.append(c.model_copy(update={"subjects": subjects, "students": students}))
    return ds.model_copy(update={"classes": cut})


def with_comment(sheet: bytes, comment: str) -> bytes:
    """A CSV score sheet whose first student's "Nhận xét" is ``comment`` (the change to find)."""
    rows = list(csv.reader(io.StringIO(sheet.decode("utf-8-sig"))))
    rows[1][rows[0].index("Nhận xét")] = comment
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def comment_of(ds: Dataset, class_id: str, subject: str) -> str | None:
    cls = next((c for c in ds.classes if c.id == class_id), None)
    if cls is None:
        return None
    year = cls.students[0].secondary
    assert year is not None
    return year.subjects[subject].comment


class Processes:
    """Worker processes (concurrency.work) started ready, released together by ``go``."""

    def __init__(self, home: Path, folder: Path) -> None:
        self.home, self.folder = home, folder
        self.go = folder / "go"
        self.started: list[tuple[str, subprocess.Popen[str]]] = []
        folder.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, role: str, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
        ready = self.folder / f"{name}.ready"
        command = [sys.executable, "-m", "concurrency.work", str(self.home), str(self.go)]
        process = subprocess.Popen(
            [*command, str(ready), role, *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.started.append((name, process))

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while not all((self.folder / f"{n}.ready").exists() for n, _ in self.started):
            for name, process in self.started:
                assert process.poll() is None, (name, process.communicate()[1][-3000:])
            assert time.monotonic() < deadline, "the worker processes did not get ready"
            time.sleep(0.01)

    def release(self) -> None:
        self.go.touch()

    def results(self) -> list[Op]:
        ops = []
        for name, process in self.started:
            output, errors = process.communicate(timeout=600)
            assert process.returncode == 0, (name, errors[-3000:])
            ops += [Op.from_json(line) for line in output.splitlines() if line.strip()]
        self.started = []
        return ops
