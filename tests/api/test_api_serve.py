"""``hsdt serve`` in a process of its own, and the demo's accounts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from api_world import FAST, PASSWORD, World
from fastapi.testclient import TestClient
from support.schools import small_school

from api.app import create_app
from api.http.state import ApiSettings
from records.canonical import dataset_to_json
from service.accounts import InvalidAccountData
from service.authz import Role
from service.context import Context
from service.demo_accounts import CREDENTIALS_FILE, create_demo_accounts
from service.importing import import_file
from service.signing_env import ensure_dev_pki

HSDT = [sys.executable, "-c", "from api.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_hsdt_serve(world: World) -> None:
    port = _free_port()
    env = {**os.environ, "HSDT_DATABASE_URL": world.ctx.settings.database_url}
    server = subprocess.Popen(
        [*HSDT, "--home", str(world.ctx.home.root), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                schema = httpx.get(f"{base}/openapi.json", timeout=1).json()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("hsdt serve did not answer within 30 s")
        assert "/api/v1/me/signing-queue" in schema["paths"]
        username = world.people[(Role.SUBJECT_TEACHER, True)].username
        # the server uses the production argon2id policy: the FAST hashes still verify
        login = httpx.post(
            f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        queue = httpx.get(
            f"{base}/api/v1/me/signing-queue", headers={"Authorization": f"Bearer {token}"}
        )
        assert queue.status_code == 200 and queue.json()["items"]
        assert httpx.get(f"{base}/xac-minh").status_code == 200  # the public pages too
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode("utf-8", "replace")
    assert PASSWORD not in output and token not in output


def test_demo_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HSDT_DATABASE_URL", raising=False)
    ds = small_school()
    ctx = Context.open(tmp_path / "home")
    try:
        source = tmp_path / "school.json"
        source.write_bytes(dataset_to_json(ds))
        import_file(ctx, source)
        ensure_dev_pki(ctx, ds)
        accounts = create_demo_accounts(ctx, ds, policy=FAST)
        credentials = ctx.home.root / CREDENTIALS_FILE
        assert credentials.stat().st_mode & 0o777 == 0o600
        listed = credentials.read_text(encoding="utf-8")
        assert all(a.username in listed and a.password in listed for a in accounts)
        (math,) = [a for a in accounts if a.username.endswith(".gv004")]
        with TestClient(create_app(ctx, settings=ApiSettings(policy=FAST))) as client:
            r = client.post(
                "/api/v1/auth/login", json={"username": math.username, "password": math.password}
            )
            me = client.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
            ).json()
        assert {(g["role"], g["subject"]) for g in me["grants"]} == {("subject_teacher", "TOAN")}
        assert len(me["certificates"]) == 1  # their development certificate, bound
        with pytest.raises(InvalidAccountData):  # once per home
            create_demo_accounts(ctx, ds, policy=FAST)
    finally:
        ctx.close()
