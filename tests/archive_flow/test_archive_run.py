"""«hsdt archive run» as a use case: signed records become verified packages, exactly once, on
the local store and on S3 over HTTP; a crash resumes the same package; a tampered record is
refused and leaves nothing in the store."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest

from archive import EventType, audit, package_history, read_package
from archive_flow.conftest import Template
from archive_flow.flow import (
    MovableClock,
    PowerCut,
    configure,
    dead_endpoint,
    events,
    ingests,
    keys,
    power_cut,
    row,
    s3_table,
)
from service.archiving import Status, archive_signed
from service.archiving_config import init_buckets, open_archive
from service.context import Context
from service.db.models import DocumentRow


@pytest.fixture(params=["local", "s3"])
def store_kind(
    request: pytest.FixtureRequest, signed_home: Context, moto_endpoint: str, aws_env: None
) -> str:
    """The signed home archiving to its local store, or to a fresh S3 bucket (moto)."""
    if request.param == "s3":
        bucket = f"hsdt-flow-{uuid.uuid4().hex[:12]}"
        configure(signed_home, s3_table("primary", moto_endpoint, bucket))
        init_buckets(signed_home)
    return str(request.param)


def test_a_signed_record_is_archived_as_a_verified_package_and_recorded(
    signed_home: Context, signed_template: Template, store_kind: str
) -> None:
    doc = signed_template.hoc_ba
    signed = row(signed_home, doc)
    assert signed.state == "locked" and signed.pdf is not None  # signed, then locked

    report = archive_signed(signed_home, document_ids=[doc])

    (outcome,) = report.documents
    assert outcome.status is Status.ARCHIVED and report.ok, outcome.message
    assert outcome.index_key == f"index/{doc}/000001.json"
    assert outcome.replicated is None  # no second copy configured
    store = open_archive(signed_home).primary
    assert store.name.startswith("s3://" if store_kind == "s3" else "kho cục bộ")
    package = read_package(store, doc)  # every object verified against the index on the way
    assert package.bag_id == outcome.bag_id
    assert package.pdf == signed.pdf  # exactly the signed bytes
    # the record data is the JSON attached to the signed PDF, as it was rendered
    assert hashlib.sha256(package.canonical_json).hexdigest() == signed.content_hash
    report_at_ingest = package.verification_report
    assert report_at_ingest["bottom_line"] is True
    assert report_at_ingest["sha256"] == hashlib.sha256(signed.pdf).hexdigest()
    assert len(report_at_ingest["signatures"]) == 9

    types = [e.type for e in package.events]
    assert types[0] is EventType.RENDERED
    assert types.count(EventType.SIGNED) == 9
    assert types[-3:] == [EventType.TIMESTAMPED, EventType.VERIFIED, EventType.ARCHIVED]
    principal = signed_template.dataset.teacher(signed_template.dataset.school.principal)
    assert principal is not None
    principal_event = next(e for e in package.events if e.role == "Hiệu trưởng")
    assert (principal_event.agent, principal_event.agent_id) == (principal.full_name, principal.id)
    assert package.archived_at == outcome.archived_at
    bag_info = package.files["bag-info.txt"].decode("utf-8")
    assert f"Source-Organization: {signed_template.dataset.school.name}" in bag_info
    assert "External-Description: Học bạ — " in bag_info

    assert row(signed_home, doc).state == "archived"
    others = [d for d in signed_template.documents if d != doc]
    assert {row(signed_home, d).state for d in others} == {"locked"}  # only what was asked
    ((subject, detail),) = events(signed_home, "document.archived")
    assert subject == doc
    assert detail["index_key"] == outcome.index_key
    assert detail["package_sha256"] == package.bag_id
    assert detail["version"] == 1

    stored = keys(store)
    again = archive_signed(signed_home, document_ids=[doc])
    assert again.documents == [] and again.ok  # nothing left to do …
    assert keys(store) == stored  # … and nothing written
    assert len(events(signed_home, "document.archived")) == 1


def test_a_crash_between_objects_resumes_the_same_package_with_the_same_archive_time(
    signed_home: Context,
    signed_template: Template,
    store_kind: str,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = signed_template.hoc_ba
    stores = open_archive(signed_home)
    first_attempt = clock.now()
    with power_cut(stores.primary, monkeypatch, after=4), pytest.raises(PowerCut):
        archive_signed(signed_home, document_ids=[doc], stores=stores)

    (ingest,) = ingests(signed_home)  # the archive time was persisted before the first upload
    assert ingest.completed_at is None
    assert row(signed_home, doc).state == "locked"
    left = keys(stores.primary)
    assert len(left) == 4 and all(k.startswith(f"packages/{doc}/v0001/") for k in left)
    assert package_history(stores.primary, doc) == ()  # not archived: no index entry

    clock.at += timedelta(hours=3)
    report = archive_signed(signed_home, document_ids=[doc], stores=stores)

    (outcome,) = report.documents
    assert outcome.status is Status.ARCHIVED, outcome.message
    assert outcome.archived_at == first_attempt  # reused, not the time of the retry
    assert read_package(stores.primary, doc).archived_at == first_attempt
    assert all(k in keys(stores.primary) for k in left)  # the same package was completed
    check = audit(stores.primary, now=clock.now())
    assert check.findings == ()  # in particular no orphan: no second package was started
    assert [i.completed_at is not None for i in ingests(signed_home)] == [True]


def test_a_tampered_record_is_refused_and_nothing_is_archived(
    signed_home: Context, signed_template: Template
) -> None:
    doc = next(d for d in signed_template.documents if d.startswith("STD-"))
    pdf = row(signed_home, doc).pdf
    assert pdf is not None and b"8A" in pdf
    # One letter of the title in the signed metadata changes: same length, still a valid PDF.
    start = pdf.index(b"<x:xmpmeta")
    at = pdf.index(b"8A", start)
    tampered = pdf[:at] + b"8B" + pdf[at + 2 :]
    with signed_home.sessions.begin() as session:
        stored = session.get(DocumentRow, row(signed_home, doc).id)
        assert stored is not None
        stored.pdf = tampered

    report = archive_signed(signed_home, document_ids=[doc])

    (outcome,) = report.documents
    assert outcome.status is Status.REFUSED and not report.ok
    assert outcome.code == "ingest.not_verified"
    assert f"{doc} phiên bản 1 không qua kiểm tra chữ ký số" in outcome.message
    assert "hsdt verify" in outcome.message  # what to do
    assert keys(open_archive(signed_home).primary) == []
    assert ingests(signed_home) == []
    assert row(signed_home, doc).state == "locked"
    ((subject, detail),) = events(signed_home, "document.archive_refused")
    assert (subject, detail["reason"]) == (doc, "ingest.not_verified")


def test_a_record_whose_attached_data_differs_from_the_rendered_one_is_refused(
    signed_home: Context, signed_template: Template
) -> None:
    doc = signed_template.hoc_ba
    with signed_home.sessions.begin() as session:
        stored = session.get(DocumentRow, row(signed_home, doc).id)
        assert stored is not None
        stored.content_hash = "0" * 64

    report = archive_signed(signed_home, document_ids=[doc])

    (outcome,) = report.documents
    assert (outcome.status, outcome.code) == (Status.REFUSED, "ingest.payload_changed")
    assert "khác dữ liệu đã kết xuất" in outcome.message
    assert keys(open_archive(signed_home).primary) == []


def test_a_replica_that_is_down_leaves_the_second_copy_to_the_next_run(
    signed_home: Context, signed_template: Template, moto_endpoint: str, aws_env: None
) -> None:
    doc = signed_template.hoc_ba
    configure(signed_home, s3_table("replica", dead_endpoint(), "hsdt-ban-xeo"))

    down = archive_signed(signed_home, document_ids=[doc])

    (outcome,) = down.documents
    assert outcome.status is Status.ARCHIVED  # the primary copy does not wait for the replica
    assert outcome.replicated is False and not down.ok
    assert down.replica is None and down.replica_problem is not None
    assert "Chưa sao chép" in outcome.message
    assert row(signed_home, doc).state == "archived"
    assert events(signed_home, "document.replicated") == []

    bucket = f"hsdt-flow-{uuid.uuid4().hex[:12]}"
    configure(signed_home, s3_table("replica", moto_endpoint, bucket))
    init_buckets(signed_home)
    back = archive_signed(signed_home, document_ids=[doc])

    (copied,) = back.documents
    assert copied.status is Status.REPLICATED and copied.replicated is True
    stores = open_archive(signed_home)
    assert stores.replica is not None
    assert package_history(stores.replica, doc) == package_history(stores.primary, doc)
    replicated = [d for subject, d in events(signed_home, "document.replicated") if subject == doc]
    assert [d["index_key"] for d in replicated] == [outcome.index_key]


def test_the_archive_time_never_precedes_what_the_package_records() -> None:
    from datetime import UTC, datetime

    from service.archiving import _archive_time

    signed = datetime(2026, 6, 1, 8, 0, 0, 400_000, tzinfo=UTC)
    # a clock read in the same second as the last signature (or behind it) rounds up past it
    assert _archive_time(signed.replace(microsecond=100_000), [signed]) == datetime(
        2026, 6, 1, 8, 0, 1, tzinfo=UTC
    )
    assert _archive_time(datetime(2026, 6, 1, 9, 0, tzinfo=UTC), [signed.replace(tzinfo=None)]) == (
        datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    )
