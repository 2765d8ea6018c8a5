"""The API at work, over HTTP on a real home (SQLite and PostgreSQL): signing in, problems,
limits, pagination, queues, two-phase and server-side signing, imports, the OpenAPI document."""

from __future__ import annotations

import base64
import logging
import time
from pathlib import Path

import pyotp
import pytest
from api_world import CLASS, FAST, PASSWORD, SCHOOL, YEAR, World
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from api.app import create_app, endpoint_table
from api.http.authz import ACTION_KEY
from api.http.state import ApiSettings
from records.canonical import dataset_to_json
from service.accounts import begin_totp_enrolment, bind_certificate, confirm_totp_enrolment
from service.authz import Grant, Role, Scope
from service.signing_plans import PlanCatalog

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance"}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def problem(r: object, status: int, code: str) -> dict[str, object]:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body: dict[str, object] = r.json()  # type: ignore[attr-defined]
    assert set(body) >= PROBLEM_KEYS, body
    assert body["code"] == code and body["status"] == status, body
    assert body["type"] == f"urn:hsdt:problem:{code}"
    return body


def teacher(world: World, subject: str, person: str) -> str:
    scope = Scope("10", "082", SCHOOL, year=YEAR, classes=frozenset({CLASS}), subject=subject)
    return world.new_person([Grant(Role.SUBJECT_TEACHER, scope, person)], name="co.giao")


def slot_of(world: World, document_id: str, person: str) -> str:
    info = world.client.app.state.hsdt.resources.record(document_id)  # type: ignore[attr-defined]
    plan = PlanCatalog(world.ctx).plan(info.dataset_id, info.class_id, document_id)
    (slot,) = plan.slots_of(person)
    return slot.field_name


# ------------------------------------------------------------------------------ signing in


def test_login_and_me(world: World) -> None:
    person = world.people[(Role.SUBJECT_TEACHER, True)]
    r = world.client.post(
        "/api/v1/auth/login", json={"username": person.username, "password": PASSWORD}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["access_token"].startswith("hsdt1.")
    me = world.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    ).json()
    assert me["username"] == person.username
    (grant,) = [g for g in me["grants"] if g["year"] == YEAR]
    assert grant["role"] == "subject_teacher" and grant["classes"] == [CLASS]
    assert grant["subject"] == "TOAN" and grant["person_id"] == "GV004"


def test_lockout_over_http(world: World) -> None:
    username = world.new_person([Grant(Role.CLERK, Scope("10", "082", SCHOOL))], name="khoa.thu")
    wrong = {"username": username, "password": "không phải mật khẩu"}
    for _ in range(4):
        problem(world.client.post("/api/v1/auth/login", json=wrong), 401, "login.failed")
    locked = problem(world.client.post("/api/v1/auth/login", json=wrong), 423, "login.locked")
    assert "giờ Việt Nam" in str(locked["detail"])
    right = {"username": username, "password": PASSWORD}
    problem(world.client.post("/api/v1/auth/login", json=right), 423, "login.locked")


def test_totp_over_http(world: World) -> None:
    username = world.new_person([Grant(Role.CLERK, Scope("10", "082", SCHOOL))], name="hai.buoc")
    enrolment = begin_totp_enrolment(world.ctx, username)
    totp = pyotp.TOTP(enrolment.secret)
    confirm_totp_enrolment(world.ctx, username, totp.now(), policy=FAST)
    login = {"username": username, "password": PASSWORD}
    problem(world.client.post("/api/v1/auth/login", json=login), 401, "login.totp_required")
    wrong = {**login, "totp_code": "000000" if totp.now() != "000000" else "111111"}
    problem(world.client.post("/api/v1/auth/login", json=wrong), 401, "login.totp_failed")
    # the code of the next 30-second step (one step of drift is accepted; a used one is not)
    good = {**login, "totp_code": totp.at(time.time() + 30)}
    assert world.client.post("/api/v1/auth/login", json=good).status_code == 200


# ------------------------------------------------------------------------------ problems


def test_problem_responses(world: World) -> None:
    admin = world.headers(world.people[(Role.SCHOOL_ADMIN, True)].username)
    body = problem(
        world.client.get("/api/v1/records/KHONG-CO", headers=admin), 404, "record.not_found"
    )
    assert body["instance"] == "/api/v1/records/KHONG-CO" and body["hint"]
    bad = problem(
        world.client.get("/api/v1/records?limit=0", headers=admin), 422, "request.invalid"
    )
    assert bad["errors"] and bad["errors"][0]["loc"] == ["query", "limit"]  # type: ignore[index]
    problem(
        world.client.get("/api/v1/me", headers={"Authorization": "Bearer hsdt1.gia.mao"}),
        401,
        "token.rejected",
    )
    problem(world.client.delete("/api/v1/me", headers=admin), 405, "http.method_not_allowed")
    problem(world.client.get("/api/v1/khong-co"), 404, "http.not_found")
    problem(
        world.client.get("/api/v1/records?cursor=%%%", headers=admin), 400, "request.bad_cursor"
    )


def test_forbidden_is_a_vietnamese_problem(world: World) -> None:
    other_class = world.headers(world.people[(Role.HOMEROOM_TEACHER, False)].username)
    r = world.client.get(f"/api/v1/records/{world.document_id}", headers=other_class)
    body = problem(r, 403, "deny.scope.class")
    assert "lớp 8A" in str(body["detail"]) and "lớp 8B" in str(body["detail"])
    assert world.client.get("/api/v1/records", headers=other_class).json()["items"] == []


def test_internal_error_has_an_incident_and_no_traceback(world: World) -> None:
    app = create_app(world.ctx, settings=ApiSettings(policy=FAST))

    def boom() -> None:
        raise RuntimeError("chi tiết nội bộ 42")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom")
    body = problem(r, 500, "internal")
    assert "chi tiết nội bộ" not in r.text and "Traceback" not in r.text
    report = world.ctx.home.logs_dir / f"api-incident-{body['incident']}.txt"
    assert "RuntimeError: chi tiết nội bộ 42" in report.read_text(encoding="utf-8")


def test_lost_database_is_a_503(world: World) -> None:
    app = create_app(world.ctx, settings=ApiSettings(policy=FAST))

    def locked() -> None:
        raise OperationalError("UPDATE …", {}, Exception("database is locked"))

    app.add_api_route("/locked", locked)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/locked")
    problem(r, 503, "database.unavailable")
    assert r.headers["retry-after"] == "5"


def test_request_body_limit(world: World) -> None:
    app = create_app(world.ctx, settings=ApiSettings(policy=FAST, max_body_bytes=1024))
    admin = world.headers(world.people[(Role.SCHOOL_ADMIN, True)].username)
    data = dataset_to_json(world.dataset)
    assert len(data) > 1024
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/api/v1/imports", files={"file": ("school.json", data)}, headers=admin)
        problem(r, 413, "request.too_large")

        def chunks():  # type: ignore[no-untyped-def]
            for i in range(0, len(data), 256):
                yield data[i : i + 256]

        streamed = client.post(
            "/api/v1/auth/login",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        problem(streamed, 413, "request.too_large")


# ------------------------------------------------------------------------------ lists


def test_pagination_follows_next_links(world: World) -> None:
    admin = world.headers(world.people[(Role.SCHOOL_ADMIN, True)].username)
    everything = [
        i["document_id"] for i in world.client.get("/api/v1/records", headers=admin).json()["items"]
    ]
    assert len(everything) == 6  # three books this year, three of last year
    seen, url = [], "/api/v1/records?limit=1"
    while url:
        page = world.client.get(url, headers=admin).json()
        assert len(page["items"]) <= 1 and page["limit"] == 1
        seen += [i["document_id"] for i in page["items"]]
        url = page["next"]
    assert seen == everything
    entries, url = [], "/api/v1/audit/entries?limit=7"
    while url:
        page = world.client.get(url, headers=admin).json()
        entries += [e["seq"] for e in page["items"]]
        url = page["next"]
    assert entries == list(range(1, len(entries) + 1)) and len(entries) > 7


def test_teacher_sees_their_queue_only(world: World) -> None:
    mine = world.headers(world.people[(Role.SUBJECT_TEACHER, True)].username)
    queue = world.client.get("/api/v1/me/signing-queue", headers=mine).json()["items"]
    assert {q["field"] for q in queue} == {"gvbm_TOAN"}
    assert {q["signer_id"] for q in queue} == {"GV004"}
    assert len(queue) == 3  # nobody signs mathematics in these tests
    other = world.headers(world.people[(Role.SUBJECT_TEACHER, False)].username)
    assert world.client.get("/api/v1/me/signing-queue", headers=other).json()["items"] == []
    r = world.client.post(f"/api/v1/records/{world.document_id}/sign", json={}, headers=other)
    problem(r, 403, "deny.scope.class")


# ------------------------------------------------------------------------------ signing


def _pem(world: World, person: str) -> str:
    identity = world.pki.identity(person)
    return b"".join(
        c.public_bytes(Encoding.PEM) for c in (identity.certificate, *identity.chain)
    ).decode()


def test_two_phase_signing_over_http(world: World) -> None:
    username = teacher(world, "NN1", "GV005")
    headers = world.headers(username)
    doc = world.class_document_id
    field = slot_of(world, doc, "GV005")
    prepare = f"/api/v1/records/{doc}/signatures/prepare"
    body = {"field": field, "certificate_pem": _pem(world, "GV005")}
    problem(
        world.client.post(prepare, json=body, headers=headers), 403, "signing.certificate_not_bound"
    )
    bind_certificate(world.ctx, world.admin, username, world.pki.identity("GV005").certificate)
    r = world.client.post(prepare, json=body, headers=headers)
    assert r.status_code == 200, r.text
    pending = r.json()
    assert pending["algorithm"] == "sha256" and pending["signer_id"] == "GV005"
    identity = world.pki.identity("GV005")
    key, _, _ = pkcs12.load_key_and_certificates(
        identity.pkcs12_path.read_bytes(), identity.passphrase
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(
        base64.b64decode(pending["digest_base64"]), padding.PKCS1v15(), Prehashed(hashes.SHA256())
    )
    finish = {"signature_base64": base64.b64encode(signature).decode()}
    done = world.client.post(pending["finish"], json=finish, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "signed" and done.json()["fields"] == [field]
    record = world.client.get(f"/api/v1/records/{doc}", headers=headers).json()
    assert field in record["signed_fields"] and record["state"] == "signing"
    problem(world.client.post(pending["finish"], json=finish, headers=headers), 409, "pending.used")
    history = world.client.get(f"/api/v1/records/{doc}/history", headers=headers).json()
    signed = [e for e in history["events"]["items"] if e["action"] == "document.signed"]
    assert signed and signed[-1]["actor"] == username  # the audit entry names the person


def test_server_side_signing_over_http(world: World) -> None:
    username = teacher(world, "TIN_HOC", "GV011")
    headers = world.headers(username)
    url = f"/api/v1/records/{world.document_id}/sign"
    problem(world.client.post(url, json={}, headers=headers), 403, "signing.certificate_not_bound")
    bind_certificate(world.ctx, world.admin, username, world.pki.identity("GV011").certificate)
    r = world.client.post(url, json={}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "signed" and r.json()["fields"] == [
        slot_of(world, world.document_id, "GV011")
    ]
    again = world.client.post(url, json={}, headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "skipped"
    pdf = world.client.get(f"/api/v1/records/{world.document_id}/pdf", headers=headers)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


# ------------------------------------------------------------------------------ other areas


def test_import_over_http(world: World) -> None:
    admin = world.headers(world.people[(Role.SCHOOL_ADMIN, True)].username)
    data = dataset_to_json(world.dataset)
    dry = world.client.post(
        "/api/v1/imports",
        files={"file": ("truong.json", data)},
        data={"dry_run": "true"},
        headers=admin,
    )
    assert dry.status_code == 200 and dry.json()["stored"] is False, dry.text
    again = world.client.post(
        "/api/v1/imports", files={"file": ("truong.json", data)}, headers=admin
    )
    assert again.status_code == 200 and again.json()["created"] is False, again.text
    teacher_headers = world.headers(world.people[(Role.SUBJECT_TEACHER, True)].username)
    r = world.client.post(
        "/api/v1/imports", files={"file": ("truong.json", data)}, headers=teacher_headers
    )
    problem(r, 403, "deny.scope.class")
    bad = world.client.post("/api/v1/imports", files={"file": ("hong.json", b"{")}, headers=admin)
    assert problem(bad, 422, "import.rejected")["findings"]
    problem(
        world.client.post("/api/v1/imports", files={"file": ("a.pdf", b"%PDF")}, headers=admin),
        415,
        "import.unsupported_file",
    )


def test_progress_audit_archive_locks(world: World) -> None:
    admin = world.headers(world.people[(Role.SCHOOL_ADMIN, True)].username)
    homeroom = world.headers(world.people[(Role.HOMEROOM_TEACHER, True)].username)
    report = world.client.get(f"/api/v1/progress?class_id={CLASS}", headers=homeroom)
    assert report.status_code == 200 and report.json()["rows"]["items"][0]["key"] == CLASS
    verification = world.client.get("/api/v1/audit/verification", headers=admin)
    assert verification.status_code == 200 and verification.json()["ok"] is True, verification.text
    status = world.client.get("/api/v1/archive/status", headers=admin)
    assert status.status_code == 200 and status.json()["documents_by_state"]
    opened = world.client.post(
        "/api/v1/locks",
        json={
            "province": "10",
            "district": "082",
            "school": SCHOOL,
            "year": "2023-2024",
            "term": "year",
            "reason": "Kiểm tra năm cũ",
        },
        headers=admin,
    )
    assert opened.status_code == 201, opened.text
    window = opened.json()["id"]
    listed = world.client.get("/api/v1/locks?active_only=true", headers=admin).json()["items"]
    assert window in [w["id"] for w in listed]
    closed = world.client.post(
        f"/api/v1/locks/{window}/close", json={"reason": "Xong"}, headers=admin
    )
    assert closed.status_code == 200 and closed.json()["active"] is False
    confirm = world.client.post(
        f"/api/v1/classes/{CLASS}/confirmation",
        json={"school": SCHOOL, "year": YEAR},
        headers=homeroom,
    )
    assert confirm.status_code == 200 and confirm.json()["created"] is False, confirm.text


# ------------------------------------------------------------------------------ documentation


def test_openapi_documents_every_route(world: World) -> None:
    schema = world.client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            assert op.get("summary"), f"{where}: no summary"
            assert op.get("description"), f"{where}: no description"
            assert op.get("tags"), f"{where}: no tag"
            assert op.get(ACTION_KEY), f"{where}: no declared action"
            ok = op["responses"].get("200") or op["responses"].get("201")
            assert ok and ok.get("content"), where
    assert "text/html" in world.client.get("/docs").headers["content-type"]


def test_docs_list_every_endpoint(world: World) -> None:
    assert endpoint_table(world.app) in DOCS.read_text(encoding="utf-8"), (
        "docs/api.md is out of date: paste the output of `python -m api.app`"
    )


def test_no_password_or_token_in_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    username = world.people[(Role.CLERK, True)].username
    with caplog.at_level(logging.DEBUG):
        world.client.post(
            "/api/v1/auth/login", json={"username": username, "password": "sai " + PASSWORD}
        )
        r = world.client.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        )
        token = r.json()["access_token"]
        world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        world.client.get("/api/v1/records/KHONG-CO", headers={"Authorization": f"Bearer {token}"})
    logged = caplog.text + "".join(
        p.read_text(encoding="utf-8") for p in world.ctx.home.logs_dir.glob("*") if p.is_file()
    )
    assert caplog.records  # the test looked at something
    for secret in (PASSWORD, token, token.split(".")[2]):
        assert secret not in logged
