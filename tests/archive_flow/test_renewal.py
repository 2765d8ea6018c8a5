"""«hsdt archive renew»: a renewal document timestamp makes a new version, archived as a new
package chained to the previous one; the archived version is never touched."""

from __future__ import annotations

from datetime import timedelta

from archive import EventType, package_history, read_package
from archive_flow.conftest import Template
from archive_flow.flow import events, row
from service.archiving_config import open_archive
from service.archiving_renewal import RenewalStatus, renew_timestamps
from service.context import Context
from service.rendering import render_dataset
from signing.ltv import archival_timestamp_expiry


def test_renewal_creates_version_2_linked_to_version_1(
    archived_home: Context, archived_template: Template
) -> None:
    doc = archived_template.hoc_ba
    store = open_archive(archived_home).primary
    before = read_package(store, doc)
    expires = archival_timestamp_expiry(before.pdf)
    assert expires is not None
    window = expires - archived_home.clock.now() + timedelta(days=1)

    report = renew_timestamps(archived_home, within=window, document_ids=[doc])

    (outcome,) = report.documents
    assert outcome.status is RenewalStatus.RENEWED and report.ok, outcome.message
    assert (outcome.version, outcome.new_version, outcome.expires) == (1, 2, expires)
    assert outcome.archive is not None and outcome.archive.index_key == f"index/{doc}/000002.json"

    first, second = package_history(store, doc)
    assert (first.document_version, second.document_version) == (1, 2)
    assert (second.previous_key, second.sequence) == (first.key, 2)  # chained in the index
    assert read_package(store, doc, version=1).files == before.files  # untouched

    renewed = read_package(store, doc)
    assert renewed.version == 2
    assert renewed.pdf.startswith(before.pdf)  # an incremental update over the archived bytes
    assert renewed.canonical_json == before.canonical_json
    stamps = renewed.verification_report["timestamps"]
    assert [t["field_name"] for t in stamps] == ["dau_thoi_gian_1", "dau_thoi_gian_2"]
    assert renewed.verification_report["bottom_line"] is True
    types = [e.type for e in renewed.events]
    assert types.count(EventType.SIGNED) == 9  # the history of the bytes it contains …
    assert types.count(EventType.TIMESTAMPED) == 2
    prior = next(e for e in renewed.events if e.type is EventType.ARCHIVED)
    assert first.key in prior.detail  # … including where version 1 was archived

    assert (row(archived_home, doc, 1).state, row(archived_home, doc, 2).state) == (
        "archived",
        "archived",
    )
    assert row(archived_home, doc, 1).pdf == before.pdf
    working_copy = archived_home.home.absolute(row(archived_home, doc, 2).pdf_path)
    assert working_copy.name == f"{doc}.v2.pdf" and working_copy.read_bytes() == renewed.pdf
    ((subject, detail),) = events(archived_home, "document.timestamp_renewed")
    assert (subject, detail["version"], detail["from_version"]) == (doc, 2, 1)

    # Rendering the same data again sees the renewed version as current: nothing new, no loss.
    dataset_id = row(archived_home, doc).dataset_id
    summary = render_dataset(archived_home, dataset_id, archived_template.dataset)
    assert sum(summary.rendered.values()) == 0 and sum(summary.unchanged.values()) == 3
    assert working_copy.read_bytes() == renewed.pdf


def test_nothing_is_renewed_before_it_is_due(
    archived_home: Context, archived_template: Template
) -> None:
    report = renew_timestamps(archived_home, within=timedelta(days=30))

    assert [d.status for d in report.documents] == [RenewalStatus.NOT_DUE] * 3
    assert report.ok and report.archive is None
    for doc in archived_template.documents:
        assert len(package_history(open_archive(archived_home).primary, doc)) == 1
    assert events(archived_home, "document.timestamp_renewed") == []
