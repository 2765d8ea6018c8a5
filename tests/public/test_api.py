"""The JSON API: the four files a visitor brings, the look-up by id, hostile inputs, the limits."""

from __future__ import annotations

import io
import json
import time
import zlib
from collections.abc import Iterator
from dataclasses import replace

import pikepdf
import pytest
from fastapi.testclient import TestClient

from api.public.router import create_public_app
from service.context import Context
from service.public_guard import GuardLimits
from service.public_verification import PublicLimits

from .conftest import Files, PublicHome

MiB = 1024 * 1024
LIMITS = PublicLimits(rate_per_minute=6000, rate_burst=1000)


@pytest.fixture(scope="module")
def ctx(public_home: PublicHome) -> Iterator[Context]:
    ctx = Context.open(public_home.root)
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def client(ctx: Context) -> TestClient:
    return TestClient(create_public_app(ctx, LIMITS))


def verify(client: TestClient, pdf: bytes) -> dict:
    response = client.post(
        "/api/v1/verify", content=pdf, headers={"content-type": "application/pdf"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


def test_a_valid_record_is_genuine_and_matches_the_archived_original(
    client: TestClient, files: Files
) -> None:
    body = verify(client, files.valid)
    assert body["verdict"] == "valid", body["problems"]
    assert body["headline"] == "Hợp lệ"
    assert body["demo_mode"] is True and "THỬ NGHIỆM" in body["demo_notice"]
    assert body["document"]["id"] == files.valid_id
    assert body["document"]["record_type"] == "Học bạ"
    assert body["archive"]["status"] == "archived"
    assert body["archive"]["matched_version"] == 1 and body["archive"]["superseded_by"] is None
    assert "trùng khớp từng byte" in body["archive"]["message"]
    signers = body["signers"]
    assert len(signers) >= 3 and all(s["ok"] and s["trusted"] and s["intact"] for s in signers)
    assert all(s["time_trusted"] and s["issuer"] for s in signers)
    assert any(s["role"] for s in signers)
    assert body["lta"]["status"] == "ok" and body["lta"]["valid_until"]


def test_one_changed_byte_is_tampering(client: TestClient, files: Files) -> None:
    body = verify(client, files.tampered)
    assert body["verdict"] == "tampered"
    assert body["headline"] == "Đã bị sửa đổi"
    assert body["archive"]["status"] == "differs"
    codes = {f["code"] for f in body["report"]["findings"]}
    assert "sig.not_intact" in codes


def test_a_record_signed_under_an_unknown_ca_is_of_unknown_origin(
    client: TestClient, files: Files
) -> None:
    body = verify(client, files.unknown_ca)
    assert body["verdict"] == "unknown_signer", body["problems"]
    assert body["headline"] == "Không rõ nguồn gốc chữ ký"
    assert body["signers"] and not body["signers"][0]["trusted"]
    assert body["signers"][0]["intact"]


def test_a_corrected_record_points_to_the_current_version(client: TestClient, files: Files) -> None:
    body = verify(client, files.superseded)
    assert body["verdict"] == "superseded", body["problems"]
    assert body["headline"] == "Đã được thay thế bởi bản đính chính"
    assert body["archive"]["matched_version"] == 1
    assert body["archive"]["superseded_by"] == files.current_version
    assert body["archive"]["current_version"] == files.current_version
    assert f"phiên bản {files.current_version}" in body["explanation"]


def test_multipart_upload_gives_the_same_verdict(client: TestClient, files: Files) -> None:
    response = client.post(
        "/api/v1/verify", files={"file": ("hoc-ba.pdf", files.unknown_ca, "application/pdf")}
    )
    assert response.status_code == 200 and response.json()["verdict"] == "unknown_signer"


def test_a_form_with_two_files_is_refused_in_vietnamese(client: TestClient) -> None:
    two = [("file", ("a.pdf", b"%PDF-1.7", "application/pdf"))] * 2
    response = client.post("/api/v1/verify", files=two)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_form"


def test_the_lookup_by_id_reveals_no_names(
    client: TestClient, files: Files, public_home: PublicHome
) -> None:
    response = client.get(f"/api/v1/verify/{files.superseded_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["current_version"] == files.current_version
    assert body["school"] == public_home.dataset.school.name
    assert body["demo_mode"] is True
    text = json.dumps(body, ensure_ascii=False)
    ds = public_home.dataset
    names = [s.student.full_name for s in ds.classes[0].students] + [
        t.full_name for t in ds.teachers
    ]
    leaked = [n for n in names if n in text]
    assert not leaked
    assert all(s["role"] for s in body["signatures"])


def test_the_lookup_judges_the_check_code_of_the_qr_link(
    client: TestClient, files: Files, ctx: Context
) -> None:
    from service.public_lookup import document_status

    status = document_status(ctx, files.superseded_id)
    assert status is not None
    old = status.versions[0].content_hash[:12]
    body = client.get(f"/api/v1/verify/{files.superseded_id}", params={"h": old}).json()
    assert body["check_code_version"] == 1 and body["superseded_by"] == files.current_version
    body = client.get(f"/api/v1/verify/{files.superseded_id}", params={"h": "0" * 12}).json()
    assert body["check_code_version"] is None and "KHÔNG khớp" in body["message"]


def test_unknown_and_malformed_ids(client: TestClient) -> None:
    missing = client.get("/api/v1/verify/HB-00000000-2025-0000000000")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = client.get("/api/v1/verify/..%2F..%2Fetc")
    assert bad.status_code in (400, 404)


# --------------------------------------------------------------------------- hostile inputs


def _pdf_with(body: bytes, size: int = 5) -> bytes:
    return (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [4 0 R] /Count 1 >>\nendobj\n"
        b"4 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>\nendobj\n"
        + body
        + b"\ntrailer\n<< /Size "
        + str(size).encode()
        + b" /Root 1 0 R >>\n%%EOF\n"
    )


HOSTILE = {
    "deep_nesting": _pdf_with(b"3 0 obj\n" + b"[" * 5000 + b"]" * 5000 + b"\nendobj"),
    "deep_dictionaries": _pdf_with(b"3 0 obj\n" + b"<< /A " * 3000 + b">>" * 3000 + b"\nendobj"),
    "huge_xref": _pdf_with(b"xref\n0 50000000\n0000000000 65535 f \n", size=50_000_000),
    "decompression_bomb": _pdf_with(
        b"3 0 obj\n<< /Length 0 /Filter /FlateDecode >>\nstream\n"
        + zlib.compress(b"\0" * (300 * MiB), 9)
        + b"\nendstream\nendobj"
    ),
    "not_pdf": b"PK\x03\x04 this is a zip file, not a record" * 10,
    # values between the brackets: the raw scan lets it through, the object walk does not
    "nesting_between_values": _pdf_with(b"3 0 obj\n" + b"[1 " * 100 + b"]" * 100 + b"\nendobj"),
    "lzw": _pdf_with(
        b"3 0 obj\n<< /Length 4 /Filter /LZWDecode >>\nstream\nabcd\nendstream\nendobj"
    ),
}
EXPECTED = {
    "deep_nesting": "deep_nesting",
    "deep_dictionaries": "deep_nesting",
    "huge_xref": "huge_xref",
    "decompression_bomb": "decompression_bomb",
    "not_pdf": "not_pdf",
    "nesting_between_values": "deep_nesting",
    "lzw": "unsupported_filter",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_refused_with_a_clear_error(client: TestClient, name: str) -> None:
    started = time.monotonic()
    response = client.post(
        "/api/v1/verify", content=HOSTILE[name], headers={"content-type": "application/pdf"}
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == EXPECTED[name]
    assert error["message"] and error["hint"]
    assert time.monotonic() - started < 10


def test_an_oversized_upload_is_refused_before_it_is_read(client: TestClient) -> None:
    big = b"%PDF-1.7\n" + b"0" * (21 * MiB)
    response = client.post(
        "/api/v1/verify", content=big, headers={"content-type": "application/pdf"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert "20 MiB" in response.json()["error"]["message"]


def test_a_verification_over_its_time_limit_is_stopped(ctx: Context, files: Files) -> None:
    app = create_public_app(ctx, replace(LIMITS, timeout_seconds=0.05))
    response = TestClient(app).post(
        "/api/v1/verify", content=files.valid, headers={"content-type": "application/pdf"}
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "timeout"
    assert "Retry-After" in response.headers


def test_a_client_over_its_rate_gets_429_with_retry_after(ctx: Context) -> None:
    app = create_public_app(ctx, replace(LIMITS, rate_per_minute=1, rate_burst=2))
    client = TestClient(app)
    codes = [
        client.post("/api/v1/verify", content=b"x", headers={"content-type": "application/pdf"})
        for _ in range(3)
    ]
    assert [c.status_code for c in codes] == [422, 422, 429]
    assert int(codes[2].headers["Retry-After"]) >= 30
    assert codes[2].json()["error"]["code"] == "rate_limited"


def test_guard_limits_are_configurable(ctx: Context, files: Files) -> None:
    app = create_public_app(ctx, replace(LIMITS, guard=GuardLimits(max_upload_bytes=100_000)))
    response = TestClient(app).post(
        "/api/v1/verify", content=files.valid, headers={"content-type": "application/pdf"}
    )
    assert response.status_code == 413


def test_a_harmless_pdf_without_signatures_is_unsigned(client: TestClient) -> None:
    buffer = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(buffer)
    body = verify(client, buffer.getvalue())
    assert body["verdict"] == "unsigned" and body["headline"] == "Chưa được ký số"
    assert body["archive"]["status"] == "unknown" and body["signers"] == []
