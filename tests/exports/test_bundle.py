"""Bundles: contents and manifest hashes, offline verification, the register, refusals, and the
same export twice giving the same bytes but for the manifest."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import delete, func, select

from exports.conftest import ExportHome
from service.authz import Forbidden, Role
from service.db.archive_models import ArchiveIngestRow
from service.db.export_models import ExportItemRow, ExportRow
from service.db.models import DocumentRow, EventRow
from service.exports import (
    ExportRefused,
    ExportRequest,
    IssuedExport,
    export_bundle,
    export_register,
)
from signing.verify import verify_pdf


def _request(home: ExportHome, n: int = 0, **kw: str) -> ExportRequest:
    return ExportRequest(
        home.student(n),
        kw.get("recipient", "Nguyễn Thị Lan (mẹ học sinh)"),
        kw.get("purpose", "Hồ sơ chuyển trường"),
    )


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _counts(home: ExportHome) -> tuple[int, int, int]:
    with home.ctx.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(ExportRow)) or 0,
            s.scalar(select(func.count()).select_from(ExportItemRow)) or 0,
            s.scalar(select(func.count()).select_from(EventRow)) or 0,
        )


@pytest.fixture(scope="module")
def bundle(
    export_home: ExportHome, tmp_path_factory: pytest.TempPathFactory
) -> tuple[IssuedExport, Path]:
    """One bundle for the first student, written to a file (verification is the slow part)."""
    out = tmp_path_factory.mktemp("bundle") / "goi.zip"
    return export_bundle(export_home.ctx, None, _request(export_home), out=out), out


def test_bundle_contents_manifest_and_register(
    export_home: ExportHome, bundle: tuple[IssuedExport, Path]
) -> None:
    home, code = export_home, export_home.student(0)
    issued, out = bundle

    assert out.read_bytes() == issued.data
    files = _files(issued.data)
    (pdf_name,) = [n for n in files if n.startswith("ho-so/")]
    document_id = pdf_name.removeprefix("ho-so/").removesuffix(".pdf")
    assert document_id.startswith("HB-") and document_id.endswith(code)
    assert list(files)[:2] == ["HUONG-DAN-XAC-MINH.txt", "manifest.json"]
    assert f"bao-cao-xac-minh/{document_id}.txt" in files
    assert any(n.startswith("chung-thu-goc/") and n.endswith(".pem") for n in files)

    manifest = json.loads(files["manifest.json"])
    assert manifest["export_id"] == issued.export_id
    assert manifest["files"] == {
        n: hashlib.sha256(b).hexdigest() for n, b in files.items() if n != "manifest.json"
    }
    (doc,) = manifest["documents"]
    # the exported bytes are exactly the archived original's
    with home.ctx.sessions() as s:
        ingest = s.scalar(
            select(ArchiveIngestRow).where(ArchiveIngestRow.document_id == document_id)
        )
        assert ingest is not None
        assert doc["sha256"] == ingest.pdf_sha256 == hashlib.sha256(files[pdf_name]).hexdigest()
        assert doc["archive"]["index_key"] == ingest.index_key
        assert doc["archive"]["package_sha256"] == ingest.bag_id
    assert doc["verification"]["bottom_line"] is True
    assert f"id={document_id}" in doc["verify_url"]
    report = json.loads(files[f"bao-cao-xac-minh/{document_id}.json"])
    assert report["bottom_line"] is True and report["sha256"] == doc["sha256"]
    note = files["HUONG-DAN-XAC-MINH.txt"].decode("utf-8")
    assert doc["verify_url"] in note and "hsdt verify --no-home --trust-root" in note

    (entry,) = [
        e for e in export_register(home.ctx, student_code=code) if e.export_id == issued.export_id
    ]
    assert (entry.kind, entry.recipient, entry.purpose) == (
        "bundle",
        "Nguyễn Thị Lan (mẹ học sinh)",
        "Hồ sơ chuyển trường",
    )
    assert entry.issued_by == "system" and entry.authorized_by == "operator:cli"
    assert entry.file_sha256 == hashlib.sha256(issued.data).hexdigest()
    (item,) = entry.items
    assert (item.document_id, item.version, item.pdf_sha256) == (document_id, 1, doc["sha256"])
    assert item.index_key == doc["archive"]["index_key"]
    with home.ctx.sessions() as s:
        event = s.scalar(
            select(EventRow).where(
                EventRow.action == "export.issued", EventRow.subject == issued.export_id
            )
        )
        assert event is not None
        assert json.loads(event.detail)["documents"][0]["sha256"] == doc["sha256"]


def test_bundle_verifies_offline_with_its_own_roots(bundle: tuple[IssuedExport, Path]) -> None:
    files = _files(bundle[1].read_bytes())
    roots = [
        x509.load_pem_x509_certificate(b)
        for n, b in files.items()
        if n.startswith("chung-thu-goc/")
    ]
    pdfs = [b for n, b in files.items() if n.startswith("ho-so/")]
    assert pdfs
    for pdf in pdfs:
        report = verify_pdf(pdf, trust_roots=roots, demo_mode=True)
        assert report.bottom_line, [f.message for f in report.findings]
        assert report.lta.status == "ok"
    # a root the bundle does not carry: the same PDF is not trusted
    assert not verify_pdf(pdfs[0], trust_roots=[], demo_mode=True).bottom_line


def test_same_export_twice_differs_only_in_the_manifest(
    export_home: ExportHome, bundle: tuple[IssuedExport, Path]
) -> None:
    first = bundle[0]
    second = export_bundle(export_home.ctx, None, _request(export_home))
    assert first.export_id != second.export_id
    a, b = _files(first.data), _files(second.data)
    assert a.keys() == b.keys()
    assert {n for n in a if a[n] != b[n]} == {"manifest.json"}
    ma, mb = json.loads(a["manifest.json"]), json.loads(b["manifest.json"])
    assert {k for k in ma if ma[k] != mb[k]} == {"export_id"}  # the clock is fixed in the tests


@pytest.mark.parametrize("who", ["other_student", "subject_teacher"])
def test_refused_export_writes_nothing(export_home: ExportHome, out_dir: Path, who: str) -> None:
    home = export_home
    if who == "other_student":
        principal = home.principal(Role.STUDENT, student=home.student(1), account="hs-02")
    else:
        principal = home.principal(
            Role.SUBJECT_TEACHER,
            account="gv",
            person_id=home.dataset.teachers[0].id,
            year=home.dataset.school_year,
            classes=frozenset({home.dataset.classes[0].id}),
            subject="TOAN",
        )
    before = _counts(home)
    out = out_dir / "khong.zip"
    with pytest.raises(Forbidden):
        export_bundle(home.ctx, principal, _request(home, 0), out=out)
    assert _counts(home) == before
    assert not out.exists()


def test_unknown_student_and_missing_purpose(export_home: ExportHome) -> None:
    before = _counts(export_home)
    with pytest.raises(ExportRefused, match="Không có hồ sơ nào"):
        export_bundle(export_home.ctx, None, ExportRequest("KHONGCO", "A", "B"))
    with pytest.raises(ExportRefused, match="mục đích"):
        export_bundle(export_home.ctx, None, _request(export_home, purpose=" "))
    assert _counts(export_home) == before


def test_current_version_not_archived_is_not_exported(export_home: ExportHome) -> None:
    """A newer version (a correction being signed) supersedes the archived one: nothing current
    is archived, so nothing is exported, and the reason says so."""
    home, code = export_home, export_home.student(0)
    with home.ctx.sessions.begin() as s:
        v1 = s.scalar(select(DocumentRow).where(DocumentRow.student_code == code))
        assert v1 is not None
        v2 = DocumentRow(
            **{c: getattr(v1, c) for c in ("document_id", "dataset_id", "record_type", "class_id",
                                          "student_code", "content_hash", "pdf_path", "pdf_sha256",
                                          "pages", "created_at", "pdf")},
            version=2, state="signing", revision=1,
        )  # fmt: skip
        s.add(v2)
    try:
        before = _counts(home)
        with pytest.raises(ExportRefused, match="phiên bản hiện hành \\(2\\) chưa được lưu trữ"):
            export_bundle(home.ctx, None, _request(home))
        assert _counts(home) == before
    finally:
        with home.ctx.sessions.begin() as s:
            s.execute(delete(DocumentRow).where(DocumentRow.id == v2.id))
