"""Extracts: a new PDF/A-3b document signed by the school as an organisation, with a document
timestamp, referencing its archived original; registered; refused with the wrong key."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pikepdf
import pikepdf.pdfa
import pytest
from sqlalchemy import func, select

from archive.index import indexed_documents
from archive.package import package_history, read_package
from exports.conftest import ExportHome
from render.engine import verify as verify_rendered
from service.archiving_config import open_archive
from service.authz import Forbidden, Role
from service.db.export_models import ExportRow, ExtractDocumentRow
from service.db.models import EventRow
from service.exports import (
    ExportRefused,
    ExportRequest,
    ExtractNotArchived,
    export_register,
    issue_extract,
)
from service.trust import trust_store
from signing.verify import verify_pdf


def _request(home: ExportHome, n: int = 0) -> ExportRequest:
    return ExportRequest(
        home.student(n),
        "Trường THPT số 1 Bát Xát",
        "Xét tuyển lớp 10",
        school_year=home.dataset.school_year,
    )


def test_extract_is_signed_by_the_school_and_references_its_original(
    export_home: ExportHome, out_dir: Path
) -> None:
    home = export_home
    out = out_dir / "trich-luc.pdf"
    issued = issue_extract(home.ctx, None, _request(home), home.seal(), out=out)
    pdf = out.read_bytes()
    assert pdf == issued.extract_pdf == issued.data
    entry = issued.entry
    assert entry.kind == "extract" and entry.extract_document_id is not None
    assert entry.extract_document_id == "TL-" + entry.export_id.removeprefix("XK-")
    (source,) = entry.items
    assert source.role == "source" and source.document_id.startswith("HB-")

    # PDF/A-3b: the rendered base revision passes the renderer's full check (PDF/A + signature
    # field), and pikepdf finds no violation in the signed file either
    base = pdf[: pdf.index(b"%%EOF") + len(b"%%EOF\n")]
    assert verify_rendered(base, entry.extract_document_id, ["con_dau"]) == 1
    assert pikepdf.pdfa.validate_written(io.BytesIO(pdf), "3b").violations == ()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert str(doc.open_metadata()["pdfaid:part"]) == "3"
        attached = doc.attachments[f"{entry.extract_document_id}.json"].get_file().read_bytes()
    payload = json.loads(attached)
    assert payload["source"]["document_id"] == source.document_id
    assert payload["source"]["version"] == source.version
    assert payload["source"]["pdf_sha256"] == source.pdf_sha256
    assert payload["source"]["archive"]["index_key"] == source.index_key
    assert payload["student"]["code"] == home.student(0)

    trust = trust_store(home.ctx.home)
    report = verify_pdf(pdf, trust_roots=list(trust.roots), demo_mode=True)
    assert report.bottom_line, [f.message for f in report.findings]
    (sig,) = report.signatures
    assert sig.field_name == "con_dau"
    assert home.dataset.school.name in sig.signer_name
    assert report.timestamps and report.lta.status == "ok"

    with home.ctx.sessions() as s:
        row = s.get(ExtractDocumentRow, entry.extract_document_id)
        assert row is not None and row.pdf == pdf and row.export_id == entry.export_id
        assert (row.source_document_id, row.source_sha256) == (
            source.document_id,
            source.pdf_sha256,
        )
    listed = [e for e in export_register(home.ctx) if e.export_id == entry.export_id]
    assert listed and listed[0].extract_document_id == entry.extract_document_id
    assert listed[0].extract_index_key == entry.extract_index_key is not None


def test_extract_is_archived_as_its_own_package_naming_the_original(
    export_home: ExportHome,
) -> None:
    home = export_home
    issued = issue_extract(home.ctx, None, _request(home, 1), home.seal())
    entry = issued.entry
    extract_id = entry.extract_document_id
    assert extract_id is not None and entry.extract_index_key is not None
    (source,) = entry.items
    store = open_archive(home.ctx).primary
    package = read_package(store, extract_id)  # every object verified, the bag validated
    assert package.pdf == issued.extract_pdf and package.version == 1
    assert package.bag_id == entry.extract_package_sha256
    assert package_history(store, extract_id)[-1].key == entry.extract_index_key
    named = json.loads(package.canonical_json)["source"]
    assert (named["document_id"], named["version"], named["pdf_sha256"]) == (
        source.document_id,
        source.version,
        source.pdf_sha256,
    )
    assert named["archive"] == {
        "index_key": source.index_key,
        "package_sha256": source.package_sha256,
    }
    bag_info = package.files["bag-info.txt"].decode("utf-8")
    assert f"External-Identifier: {extract_id}" in bag_info
    assert f"bản gốc {source.document_id} phiên bản {source.version}" in bag_info
    assert source.pdf_sha256 in bag_info
    kinds = [e.type.value for e in package.events]
    assert kinds[:2] == ["rendered", "signed"] and kinds[-1] == "archived"
    assert package.verification_report["bottom_line"] is True
    # the register row and the audit event carry the package
    with home.ctx.sessions() as s:
        row = s.get(ExtractDocumentRow, extract_id)
        assert row is not None and row.index_key == entry.extract_index_key
        assert row.package_sha256 == package.bag_id and row.archived_at is not None
        event = s.scalars(
            select(EventRow).where(EventRow.subject == entry.export_id).order_by(EventRow.id)
        ).all()[-1]
    detail = json.loads(event.detail)
    assert detail["extract_archive"] == entry.extract_index_key
    assert detail["extract_package_sha256"] == package.bag_id
    assert entry.to_json()["extract_archive"]["index_key"] == entry.extract_index_key


def test_extract_not_issued_when_the_archive_write_fails(
    export_home: ExportHome, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up half-way through the package: no register row, no event, no file, no
    package (no index entry for any new extract)."""
    home = export_home
    store = open_archive(home.ctx).primary
    with home.ctx.sessions() as s:
        exports_before = s.scalar(select(func.count()).select_from(ExportRow))
        events_before = s.scalar(select(func.count()).select_from(EventRow))
    extracts_before = {d for d in indexed_documents(store) if d.startswith("TL-")}
    real_link, linked = os.link, [0]

    def disk_full(src: str, dst: str) -> None:
        linked[0] += 1
        if linked[0] > 3:  # the first payload files land, then the disk is full
            raise OSError(28, "No space left on device")
        real_link(src, dst)

    out = out_dir / "trich-luc.pdf"
    with monkeypatch.context() as patch:
        patch.setattr(os, "link", disk_full)
        with pytest.raises(ExtractNotArchived, match="chưa cấp trích lục") as raised:
            issue_extract(home.ctx, None, _request(home), home.seal(), out=out)
    assert linked[0] > 3 and raised.value.hint
    assert not out.exists()
    assert {d for d in indexed_documents(store) if d.startswith("TL-")} == extracts_before
    with home.ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ExportRow)) == exports_before
        assert s.scalar(select(func.count()).select_from(EventRow)) == events_before


def test_extract_refused_with_a_teachers_key_or_without_right(export_home: ExportHome) -> None:
    home = export_home
    with home.ctx.sessions() as s:
        before = s.scalar(select(func.count()).select_from(ExportRow))
    teacher = home.dataset.teachers[0].id
    with pytest.raises(ExportRefused, match="phải do chính trường ký"):
        issue_extract(home.ctx, None, _request(home), home.seal(teacher))
    student = home.principal(Role.STUDENT, student=home.student(0))
    with pytest.raises(Forbidden):
        issue_extract(home.ctx, student, _request(home), home.seal())
    with home.ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ExportRow)) == before
