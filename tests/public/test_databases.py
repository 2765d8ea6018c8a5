"""The archive comparison and the look-up on both databases (the home's rows copied over)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from archive_flow.test_databases import copy_rows
from fastapi.testclient import TestClient

from api.public.router import create_public_app
from service.context import Context
from service.public_verification import PublicLimits

from .conftest import Files, PublicHome


@pytest.fixture
def client(
    database_url: str, public_home: PublicHome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    root = tmp_path / "home"
    shutil.copytree(public_home.root, root)
    if not database_url.startswith("sqlite"):
        monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    ctx = Context.open(root)
    if not database_url.startswith("sqlite"):
        copy_rows(f"sqlite:///{public_home.root / 'hsdt.db'}", ctx)
    yield TestClient(create_public_app(ctx, PublicLimits(rate_burst=100)))
    ctx.close()


def test_superseded_and_lookup(client: TestClient, files: Files) -> None:
    response = client.post(
        "/api/v1/verify", content=files.superseded, headers={"content-type": "application/pdf"}
    )
    body = response.json()
    assert body["verdict"] == "superseded"
    assert body["archive"]["superseded_by"] == files.current_version
    lookup = client.get(f"/api/v1/verify/{files.valid_id}").json()
    assert lookup["versions"][0]["archived_at"] is not None
    assert lookup["current_version"] == 1
