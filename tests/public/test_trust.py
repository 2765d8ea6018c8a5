"""The trust store behind the public page: production refuses development roots, an empty store
gives no verdict (not "untrusted" for everyone), and demo mode is labelled in every answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient

from api.public.router import create_public_app
from service.context import Context
from service.errors import HsdtError
from service.public_verification import PublicLimits
from service.trust import trust_store
from signing.devpki import load_dev_pki

from .conftest import Files, PublicHome

PDF = {"content-type": "application/pdf"}


def _home(public_home: PublicHome, tmp_path: Path, pki: str) -> Context:
    root = tmp_path / "home"
    shutil.copytree(public_home.root, root)
    config = root / "hsdt.toml"
    text = config.read_text("utf-8").replace('mode = "demo"\ntrust_roots = []', pki)
    assert text != config.read_text("utf-8")
    config.write_text(text, "utf-8")
    return Context.open(root)


def test_production_mode_refuses_a_development_root(
    public_home: PublicHome, files: Files, tmp_path: Path
) -> None:
    root = load_dev_pki(public_home.root / "pki").trust_roots()[0]
    (tmp_path / "dev-root.der").write_bytes(root.public_bytes(Encoding.DER))
    ctx = _home(
        public_home, tmp_path, f'mode = "production"\ntrust_roots = ["{tmp_path}/dev-root.der"]'
    )
    with pytest.raises(HsdtError, match="thử nghiệm"):
        trust_store(ctx.home)
    client = TestClient(create_public_app(ctx, PublicLimits()))
    response = client.get(f"/api/v1/verify/{files.valid_id}")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_configured"
    ctx.close()


def test_production_without_roots_gives_no_verdict(
    public_home: PublicHome, files: Files, tmp_path: Path
) -> None:
    ctx = _home(public_home, tmp_path, 'mode = "production"\ntrust_roots = []')
    client = TestClient(create_public_app(ctx, PublicLimits()))
    response = client.post("/api/v1/verify", content=files.valid, headers=PDF)
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["code"] == "not_configured" and body["demo_mode"] is False
    page = client.get("/xac-minh")
    assert "THỬ NGHIỆM" not in page.text  # production pages carry no demo banner
    ctx.close()
