"""Fixtures for render tests: the sample school, one rendered record of each type (rendered once
per session: a sổ theo dõi of a full class takes most of a second)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from render_helpers import VERIFY_URL, Case

from records.documents import RecordDocument, RecordType, all_documents
from records.model import AssessmentPoint, Dataset
from records.sample import generate_school
from render import render_document
from signing.plans import default_slots

TOOLS = ("pdffonts", "pdftotext", "pdfdetach", "pdfinfo", "qpdf")


def first_of(ds: Dataset, record_type: RecordType) -> RecordDocument:
    """The first record of a type; for the class summary the year-end point (widest table)."""
    return next(
        d
        for d in all_documents(ds)
        if d.record_type is record_type
        and (record_type is not RecordType.BANG_TONG_HOP or d.point is AssessmentPoint.CN)
    )


@pytest.fixture(scope="session", autouse=True)
def _tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:  # a missing tool is a broken environment, not a reason to skip
        pytest.fail(f"render tests need {', '.join(missing)} (Debian poppler-utils, qpdf)")


@pytest.fixture(scope="session")
def school() -> Dataset:
    return generate_school(seed=2026, primary_classes=1, secondary_classes=1)


@pytest.fixture(scope="session")
def cases(school: Dataset, tmp_path_factory: pytest.TempPathFactory) -> dict[RecordType, Case]:
    out = tmp_path_factory.mktemp("rendered")
    result: dict[RecordType, Case] = {}
    for record_type in RecordType:
        doc = first_of(school, record_type)
        slots = default_slots(doc)
        rendered = render_document(doc, slots, verify_url=VERIFY_URL)
        path = out / rendered.filename
        path.write_bytes(rendered.pdf)
        result[record_type] = Case(doc, slots, rendered, path)
    return result


@pytest.fixture(params=list(RecordType), ids=[t.value for t in RecordType])
def case(request: pytest.FixtureRequest, cases: dict[RecordType, Case]) -> Iterator[Case]:
    yield cases[request.param]
