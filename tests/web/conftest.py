"""Fixtures: Chromium for the session; a served demo-like home per module (SQLite and
PostgreSQL)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from support.db import _postgres_database
from support.schools import small_school
from web_world import (
    CHROMIUM_ARGS,
    FAST,
    World,
    build,
    keep_incidents,
    make_accounts,
    serving,
    sign_role,
)

from api.app import create_app
from api.http.state import ApiSettings
from records.slots import SignerRole
from signing.devpki import serve_dev_pki

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no system Chromium at {CHROMIUM} (apt install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="vi-VN")
    context.set_default_timeout(15_000)
    p = context.new_page()
    yield p
    context.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The small school, rendered; subject teachers have signed."""
    yield from _world(request, tmp_path_factory, render=True)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def draft_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The small school imported and not yet confirmed (nothing rendered); last year's books
    locked, with a correction waiting for the principal."""
    yield from _world(request, tmp_path_factory, render=False)


def _world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, *, render: bool
) -> Iterator[World]:
    root = tmp_path_factory.mktemp(f"web-{request.param}") / "home"
    with pytest.MonkeyPatch.context() as mp:
        urls = None
        if request.param == "postgresql":
            urls = _postgres_database()
            mp.setenv("HSDT_DATABASE_URL", next(urls))
        else:
            mp.delenv("HSDT_DATABASE_URL", raising=False)
        try:
            ds = small_school()
            ctx, pki = build(root, ds, render=render, previous=not render)
            with serve_dev_pki(pki):
                if render:
                    sign_role(ctx, pki, ds, SignerRole.SUBJECT_TEACHER)
                w = make_accounts(ctx, ds)
                app = create_app(ctx, settings=ApiSettings(policy=FAST))
                with serving(app) as base:
                    w.base = base
                    yield w
            keep_incidents(ctx)
            ctx.close()
        finally:
            if urls is not None:
                urls.close()
    shutil.rmtree(root, ignore_errors=True)
