"""Extracts: a new PDF/A-3b document signed by the school as an organisation, with a document
timestamp, referencing its archived original; registered; refused with the wrong key."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pikepdf
import pikepdf.pdfa
import pytest
from sqlalchemy import func, select

from exports.conftest import ExportHome
from render.engine import verify as verify_rendered
from service.authz import Forbidden, Role
from service.db.export_models import ExportRow, ExtractDocumentRow
from service.exports import ExportRefused, ExportRequest, export_register, issue_extract
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
