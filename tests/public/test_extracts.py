"""Extracts (trích lục, "TL-…") on the public pages: the look-up by id shows the public facts and
whether the original is still current; an uploaded extract matches its archived package and links
to its original. One extract issued on a copy of the session's home (signing is the slow part)."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.public.router import create_public_app
from service.context import Context
from service.db.export_models import ExtractDocumentRow
from service.db.models import DocumentRow
from service.exports import ExportRequest, issue_extract
from service.public_verification import PublicLimits
from service.signing import SignerIdentity
from service.signing_env import ensure_dev_pki
from signing.backends import Pkcs12Backend
from signing.devpki import serve_dev_pki

from .conftest import Files, PublicHome

RECIPIENT = "Trường THPT số 1 Bát Xát"
PURPOSE = "Xét tuyển lớp 10 (hồ sơ riêng)"


@dataclass(frozen=True)
class Issued:
    ctx: Context
    client: TestClient
    extract_id: str
    pdf: bytes
    content_hash: str


@pytest.fixture(scope="module")
def issued(public_home: PublicHome, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issued]:
    root = tmp_path_factory.mktemp("public-extract") / "home"
    shutil.copytree(public_home.root, root)
    ctx = Context.open(root)
    ds = public_home.dataset
    pki = ensure_dev_pki(ctx, ds)
    identity = pki.identity(ds.school.code)
    seal = SignerIdentity(ds.school.code, Pkcs12Backend(identity.pkcs12_path, identity.passphrase))
    student = ds.classes[0].students[0].student.code
    request = ExportRequest(student, RECIPIENT, PURPOSE, school_year=ds.school_year)
    with serve_dev_pki(pki):
        extract = issue_extract(ctx, None, request, seal)
    assert extract.extract_pdf is not None and extract.entry.extract_document_id is not None
    with ctx.sessions() as s:
        row = s.get(ExtractDocumentRow, extract.entry.extract_document_id)
        assert row is not None
        content_hash = row.content_hash
    client = TestClient(create_public_app(ctx, PublicLimits(rate_per_minute=6000, rate_burst=1000)))
    yield Issued(ctx, client, extract.entry.extract_document_id, extract.extract_pdf, content_hash)
    ctx.close()
    shutil.rmtree(root.parent, ignore_errors=True)


def _private(public_home: PublicHome) -> list[str]:
    ds = public_home.dataset
    names = [s.student.full_name for s in ds.classes[0].students]
    return [*names, *(t.full_name for t in ds.teachers), RECIPIENT, PURPOSE]


def test_lookup_by_extract_id_shows_public_facts_only(
    issued: Issued, files: Files, public_home: PublicHome
) -> None:
    response = issued.client.get(
        f"/api/v1/verify/{issued.extract_id}", params={"h": issued.content_hash[:12]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "extract" and body["record_type"] == "Trích lục học bạ"
    assert body["school"] == public_home.dataset.school.name
    assert body["school_year"] == public_home.dataset.school_year
    assert body["sealed_by"].startswith("Nhà trường") and body["issued_at"]
    assert body["archived"] is True and body["archived_at"]
    assert body["original"] == {
        "document_id": files.valid_id,
        "version": 1,
        "current_version": 1,
        "current": True,
        "superseded_by": None,
    }
    assert body["check_code_matches"] is True and "vẫn là bản hiện hành" in body["message"]
    leaked = [n for n in _private(public_home) if n in response.text]
    assert leaked == []

    wrong = issued.client.get(f"/api/v1/verify/{issued.extract_id}", params={"h": "0" * 12})
    assert wrong.json()["check_code_matches"] is False
    assert "KHÔNG khớp" in wrong.json()["message"]
    assert issued.client.get("/api/v1/verify/TL-20260101-00000000").status_code == 404

    page = issued.client.get(f"/xac-minh/{issued.extract_id}")
    assert page.status_code == 200
    assert "Trích lục học bạ" in page.text and "đã lưu trữ lúc" in page.text
    assert f'href="/xac-minh/{files.valid_id}"' in page.text
    assert [n for n in _private(public_home) if n in page.text] == []


def test_an_uploaded_extract_matches_its_archived_package_and_links_the_original(
    issued: Issued, files: Files
) -> None:
    response = issued.client.post(
        "/api/v1/verify", content=issued.pdf, headers={"content-type": "application/pdf"}
    )
    body = response.json()
    assert body["verdict"] == "valid", body["problems"]
    assert body["document"]["id"] == issued.extract_id
    assert body["document"]["record_type"] == "Trích lục học bạ"
    assert body["archive"]["status"] == "archived_extract"
    assert body["archive"]["original_id"] == files.valid_id
    assert "trùng khớp từng byte với trích lục" in body["archive"]["message"]
    assert body["file"]["sha256"] == hashlib.sha256(issued.pdf).hexdigest()

    page = issued.client.post(
        "/xac-minh", files={"file": ("trich-luc.pdf", issued.pdf, "application/pdf")}
    )
    assert page.status_code == 200
    assert "Hợp lệ" in page.text and f'href="/xac-minh/{files.valid_id}"' in page.text


def test_a_correction_of_the_original_shows_on_the_extract(issued: Issued, files: Files) -> None:
    """A corrected version 2 of the original (its row as a correction leaves it, not yet signed):
    the extract's look-up says the original was superseded; the extract itself stays genuine."""
    with issued.ctx.sessions.begin() as s:
        v1 = s.scalars(select(DocumentRow).where(DocumentRow.document_id == files.valid_id)).one()
        columns = {c.key: getattr(v1, c.key) for c in DocumentRow.__table__.columns}
        columns.update(id=None, version=2, state="rendered", content_hash="ab" * 32)
        s.add(DocumentRow(**columns))
    body = issued.client.get(f"/api/v1/verify/{issued.extract_id}").json()
    assert body["original"]["current"] is False
    assert body["original"]["superseded_by"] == 2 and body["original"]["current_version"] == 2
    assert "đã được đính chính" in body["message"]
    upload = issued.client.post(
        "/api/v1/verify", content=issued.pdf, headers={"content-type": "application/pdf"}
    ).json()
    assert upload["verdict"] == "valid" and "đã được đính chính" in upload["archive"]["message"]
