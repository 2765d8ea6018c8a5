"""The record's canonical JSON rides along as the PDF/A-3 associated source file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pikepdf
from render_helpers import Case, reopen, tool

from records.canonical import canonical_json, parse_json


def test_pdfdetach_extracts_exactly_the_canonical_json(case: Case, tmp_path: Path) -> None:
    name = f"{case.doc.document_id}.json"
    listing = tool("pdfdetach", "-list", str(case.path))
    assert f"1: {name}" in listing and "2:" not in listing
    out = tmp_path / name
    tool("pdfdetach", "-save", "1", "-o", str(out), str(case.path))
    data = out.read_bytes()
    assert data == canonical_json(case.doc.payload)
    assert parse_json(data) == parse_json(canonical_json(case.doc.payload))
    assert hashlib.sha256(data).hexdigest() == case.result.content_hash


def test_pikepdf_sees_an_associated_source_file(case: Case) -> None:
    name = f"{case.doc.document_id}.json"
    with reopen(case.result.pdf) as pdf:
        spec = pdf.attachments[name]
        assert spec.get_file().read_bytes() == canonical_json(case.doc.payload)
        assert spec.get_file().mime_type == "application/json"
        assert spec.obj.AFRelationship == pikepdf.Name.Source
        assert [f.objgen for f in pdf.Root.AF] == [spec.obj.objgen]
        assert str(spec.obj.UF) == name
