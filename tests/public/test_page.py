"""The public page in a real headless Chromium (Debian's, driven by Playwright): a visitor drops
in each of the four files and reads the verdict; the demo label is on every page.

Screenshots go to tests/artifacts/public/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from api.public.router import create_public_app
from service.context import Context
from service.public_verification import PublicLimits

from .conftest import Files, PublicHome

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).parents[1] / "artifacts" / "public"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(public_home: PublicHome) -> Iterator[str]:
    ctx = Context.open(public_home.root)
    app = create_public_app(ctx, PublicLimits(rate_per_minute=600, rate_burst=100))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    ctx.close()


@pytest.fixture(scope="module")
def page(base_url: str) -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 412, "height": 915})  # a phone
        yield context.new_page()
        browser.close()


def _upload(page: object, base_url: str, tmp_path: Path, name: str, pdf: bytes) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    page.goto(f"{base_url}/xac-minh")  # type: ignore[attr-defined]
    assert page.locator("[data-testid=demo-banner]").is_visible()  # type: ignore[attr-defined]
    page.set_input_files("#file", str(path))  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    verdict = page.locator("[data-testid=verdict]")  # type: ignore[attr-defined]
    verdict.wait_for(timeout=60_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
    assert page.locator("[data-testid=demo-banner]").is_visible()  # type: ignore[attr-defined]
    return str(verdict.get_attribute("data-code")), str(verdict.locator("h1").inner_text())


@pytest.mark.parametrize(
    ("name", "code", "headline"),
    [
        ("valid", "valid", "Hợp lệ"),
        ("tampered", "tampered", "Đã bị sửa đổi"),
        ("unknown_ca", "unknown_signer", "Không rõ nguồn gốc chữ ký"),
        ("superseded", "superseded", "Đã được thay thế bởi bản đính chính"),
    ],
)
def test_each_file_shows_its_verdict_in_vietnamese(
    page: object,
    base_url: str,
    files: Files,
    public_home: PublicHome,
    tmp_path: Path,
    name: str,
    code: str,
    headline: str,
) -> None:
    shown_code, shown_headline = _upload(page, base_url, tmp_path, name, getattr(files, name))
    assert (shown_code, shown_headline) == (code, headline)
    body = page.locator("main").inner_text()  # type: ignore[attr-defined]
    if name == "valid":
        principal = public_home.dataset.school.principal
        who = next(t.full_name for t in public_home.dataset.teachers if t.id == principal)
        assert who in body  # who signed, by name: the file itself names them
        assert "Hiệu trưởng" in body and "ký lúc" in body
        assert "trùng khớp từng byte" in body
        assert "PAdES B-LTA" in body
    if name == "superseded":
        assert f"phiên bản {files.current_version}" in body


def test_the_qr_link_opens_the_lookup_without_names(
    page: object, base_url: str, files: Files, public_home: PublicHome
) -> None:
    page.goto(f"{base_url}/xac-minh?id={files.valid_id}&h=000000000000")  # type: ignore[attr-defined]
    verdict = page.locator("[data-testid=verdict]")  # type: ignore[attr-defined]
    assert verdict.get_attribute("data-code") == "lookup"
    body = page.locator("main").inner_text()  # type: ignore[attr-defined]
    assert "KHÔNG khớp" in body
    page.screenshot(path=str(ARTIFACTS / "lookup.png"), full_page=True)  # type: ignore[attr-defined]
    assert public_home.dataset.school.name in body
    student = public_home.dataset.classes[0].students[0].student.full_name
    assert student not in body
    assert page.locator("[data-testid=demo-banner]").is_visible()  # type: ignore[attr-defined]


def test_typing_a_document_id_in_the_form_leads_to_the_lookup(
    page: object, base_url: str, files: Files
) -> None:
    page.goto(f"{base_url}/xac-minh")  # type: ignore[attr-defined]
    page.fill("#q", files.superseded_id)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    body = page.locator("main").inner_text()  # type: ignore[attr-defined]
    assert f"bản hiện hành là {files.current_version}" in body


def test_a_file_that_is_not_a_pdf_gets_a_clear_message(
    page: object, base_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "bang-diem.pdf"
    path.write_bytes(b"PK\x03\x04 a spreadsheet renamed to .pdf")
    page.goto(f"{base_url}/xac-minh")  # type: ignore[attr-defined]
    page.set_input_files("#file", str(path))  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    verdict = page.locator("[data-testid=verdict]")  # type: ignore[attr-defined]
    assert verdict.get_attribute("data-code") == "not_pdf"
    assert "không phải là tệp PDF" in verdict.inner_text()
    assert page.locator("[data-testid=demo-banner]").is_visible()  # type: ignore[attr-defined]
