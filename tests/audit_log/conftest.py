"""Fixtures: a home whose database is the parametrized one (SQLite and PostgreSQL), with a ticking
clock, and the same home able to anchor (the session's development PKI copied in and served).

    audit_ctx      Context on ``database_url``; nothing recorded yet
    anchor_ctx     audit_ctx plus the development PKI in its pki/ (demo mode, TSA answering)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit_log.helpers import TickingClock
from service.context import Context
from signing.devpki import DevPki


@pytest.fixture
def audit_ctx(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Context]:
    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    ctx = Context.open(tmp_path / "home", clock=TickingClock(), actor="GV001")
    yield ctx
    ctx.close()


@pytest.fixture
def anchor_ctx(audit_ctx: Context, dev_pki: DevPki) -> Context:
    # the session's PKI is already served, so the anchoring code finds its TSA answering
    shutil.copytree(dev_pki.store.directory, audit_ctx.home.pki_dir)
    return audit_ctx
