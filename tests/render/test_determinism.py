"""Identical input → identical bytes, in this process and in another with another hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from render_helpers import VERIFY_URL, Case

from records.documents import RecordType
from render import render_document

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from records.documents import all_documents
from records.sample import generate_school
from render import render_document
from signing.plans import default_slots

wanted = set(sys.argv[1:-1])
for doc in all_documents(generate_school(seed=2026, primary_classes=1, secondary_classes=1)):
    if doc.document_id in wanted:
        wanted.discard(doc.document_id)
        r = render_document(doc, default_slots(doc), verify_url=sys.argv[-1])
        print(doc.document_id, r.sha256)
"""


def test_same_document_same_bytes(case: Case) -> None:
    again = render_document(case.doc, case.slots, verify_url=VERIFY_URL)
    assert again.pdf == case.result.pdf
    assert again.sha256 == case.result.sha256


def test_same_bytes_in_another_process_with_another_hash_seed(
    cases: dict[RecordType, Case],
) -> None:
    ids = [c.doc.document_id for c in cases.values()]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    run = subprocess.run(
        [sys.executable, "-c", CHILD, *ids, VERIFY_URL],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seen = dict(line.split() for line in run.stdout.splitlines())
    assert seen == {c.doc.document_id: c.result.sha256 for c in cases.values()}


def test_the_pdf_changes_when_the_data_does(case: Case) -> None:
    payload = {**case.doc.payload, "school_year": "2025-2026 "}
    other = render_document(replace(case.doc, payload=payload), case.slots, verify_url=VERIFY_URL)
    assert other.content_hash != case.result.content_hash
    assert other.pdf != case.result.pdf
