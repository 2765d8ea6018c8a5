"""Reliability under faults: fixtures, the full/CI switch and the summary printed at the end.

    HSDT_RELIABILITY=full   every trial (docs/reliability.md); otherwise the reduced CI set

signed_school   a home whose small school is imported, rendered, signed and locked (once per
                session; archiving is left to the tests)
fault_proxy     a FaultProxy in front of the session's moto server, its plan cleared per test
aws_env         dummy credentials in the environment (the standard AWS chain hsdt uses)
tally           counts trials and injected faults for the summary
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from archive_flow.flow import configure
from archive_flow.signed_home import import_and_render, lock_year, sign_everything
from sqlalchemy import select
from support.s3 import DUMMY_KEY_ID, DUMMY_SECRET, REGION
from support.schools import small_school

from reliability.faultproxy import FaultProxy
from service.context import Context
from service.db.models import DocumentRow
from signing.devpki import DevPki, serve_dev_pki

FULL = os.environ.get("HSDT_RELIABILITY", "").lower() == "full"


@dataclass
class Tally:
    trials: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)  # anything found half-done or missing

    def lines(self) -> list[str]:
        mode = "full" if FULL else "CI (reduced; HSDT_RELIABILITY=full for all trials)"
        trials = ", ".join(f"{k}: {v}" for k, v in sorted(self.trials.items())) or "none"
        faults = ", ".join(f"{k}: {v}" for k, v in sorted(self.faults.items())) or "none"
        return [
            f"reliability ({mode})",
            f"  trials run: {sum(self.trials.values())} ({trials})",
            f"  faults injected: {sum(self.faults.values())} ({faults})",
            "  nothing lost: every record fully done or untouched, no partial package"
            if not self.lost
            else f"  LOST OR HALF-DONE: {self.lost}",
        ]


_TALLY = Tally()


@pytest.fixture(scope="session")
def tally() -> Tally:
    return _TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _TALLY.trials or _TALLY.faults:
        for line in _TALLY.lines():
            terminalreporter.write_line(line)


@dataclass(frozen=True)
class School:
    root: Path  # a signed home (local store); copy it, never change it
    pki: DevPki
    documents: tuple[str, ...]

    def copy(self, to: Path) -> Path:
        shutil.copytree(self.root, to)
        return to


@pytest.fixture(scope="session")
def signed_school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[School]:
    root = tmp_path_factory.mktemp("reliability") / "signed"
    dataset = small_school()
    ctx = Context.open(root)
    configure(ctx, '\n[archive.primary]\nkind = "local"\ndirectory = "objects"\n')
    pki = import_and_render(ctx, dataset)
    with serve_dev_pki(pki):
        sign_everything(ctx, dataset, pki)
    lock_year(ctx, dataset)
    with ctx.sessions() as session:
        documents = tuple(sorted(set(session.scalars(select(DocumentRow.document_id)))))
    ctx.close()
    yield School(root, pki, documents)


@pytest.fixture(scope="session")
def _proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    with FaultProxy(moto_endpoint) as proxy:
        yield proxy


@pytest.fixture
def fault_proxy(_proxy: FaultProxy, tally: Tally) -> Iterator[FaultProxy]:
    _proxy.clear()
    yield _proxy
    tally.faults.update(_proxy.counts())
    _proxy.clear()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
