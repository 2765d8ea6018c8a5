"""The extract's content and layout without a database or a key: primary and secondary học bạ
from the sample school become valid PDF/A-3b extracts that say what the original says."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pikepdf
import pytest

from records.canonical import canonical_json
from records.documents import RecordDocument, all_documents
from records.sample import generate_school
from render.extract import render_extract, seal_slot
from service.exports_extract import extract_payload
from service.exports_select import ArchivedOriginal, ExportRefused

AT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _original(doc: RecordDocument) -> ArchivedOriginal:
    return ArchivedOriginal(
        document_id=doc.document_id,
        version=3,
        record_type=doc.record_type.value,
        class_id=doc.class_id,
        school_code=doc.payload["school"]["code"],
        school_year=doc.payload["school_year"],
        pdf=b"",
        pdf_sha256="a" * 64,
        content_hash="b" * 64,
        payload_json=canonical_json(doc.payload),
        index_key="index/HB/000003.json",
        package_sha256="c" * 64,
        archived_at=AT,
    )


@pytest.fixture(scope="module")
def documents() -> list[RecordDocument]:
    return list(all_documents(generate_school(seed=7, primary_classes=1, secondary_classes=1)))


@pytest.mark.parametrize("record_type", ["hoc-ba-tieu-hoc", "hoc-ba-trung-hoc"])
def test_extract_renders_as_pdfa_with_the_reference(
    documents: list[RecordDocument], record_type: str
) -> None:
    doc = next(d for d in documents if d.record_type.value == record_type)
    payload = extract_payload(
        _original(doc), export_id="XK-20261128-0000ABCD", issued_at=AT, recipient="R", purpose="P"
    )
    assert payload["document_id"] == "TL-20261128-0000ABCD"
    assert payload["issued_on"] == "28 tháng 11 năm 2026"  # Vietnam time
    school = doc.payload["school"]
    rendered = render_extract(payload, seal_slot(school["code"], school["name"]), verify_url="u")
    assert rendered.pages == 1
    with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf:
        attached = json.loads(pdf.attachments["TL-20261128-0000ABCD.json"].get_file().read_bytes())
        assert [str(f.T) for f in pdf.Root.AcroForm.Fields] == ["con_dau"]
    assert attached["source"] == {
        "document_id": doc.document_id,
        "version": 3,
        "record_type": record_type,
        "pdf_sha256": "a" * 64,
        "content_hash": "b" * 64,
        "archive": {"index_key": "index/HB/000003.json", "package_sha256": "c" * 64},
    }
    subjects = payload["tables"][0]["rows"]
    assert [r[0] for r in subjects] == [s["name"] for s in doc.payload["subjects"]]
    if record_type == "hoc-ba-trung-hoc":  # averages keep one decimal, with a comma
        scored = [r for r, s in zip(subjects, doc.payload["subjects"], strict=True) if s["scored"]]
        assert scored and all("," in r[3] for r in scored if r[3])
    # the same payload renders to the same bytes
    again = render_extract(payload, seal_slot(school["code"], school["name"]), verify_url="u")
    assert again.pdf == rendered.pdf


def test_class_books_are_not_extracted(documents: list[RecordDocument]) -> None:
    book = next(d for d in documents if d.student_code is None)
    with pytest.raises(ExportRefused, match="sổ của cả lớp"):
        extract_payload(
            _original(book), export_id="XK-1-2", issued_at=AT, recipient="R", purpose="P"
        )
