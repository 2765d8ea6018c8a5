"""Proof that the archive never weakens retention: every request sent during a whole archive
workflow (bucket creation, archiving, reading, replication, audit with repair, retention
extension, legal hold, refused deletes) is recorded on the wire and checked.

moto would accept a shortened COMPLIANCE date, a GOVERNANCE downgrade or a legal-hold release,
so the proof is what we send, not what the server does."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from archive_helpers import MovableClock, package_input
from support.s3 import DUMMY_KEY_ID, DUMMY_SECRET, REGION, RequestSpy, SentRequest

from archive.config import S3Config
from archive.errors import RetentionError
from archive.fixity import audit
from archive.package import archive_package, build_package, package_history, read_package
from archive.replication import replicate
from archive.retention import RetentionPolicy
from archive.s3_store import S3ObjectStore, create_bucket

ALLOWED = {
    "CreateBucket",
    "GetBucketVersioning",
    "GetObjectLockConfiguration",
    "PutObject",
    "GetObject",
    "HeadObject",
    "ListObjectsV2",
    "PutObjectRetention",
    "PutObjectLegalHold",
}
NEVER = {
    "DeleteObject",
    "DeleteObjects",
    "DeleteBucket",
    "PutBucketLifecycle",
    "PutBucketLifecycleConfiguration",
    "PutObjectLockConfiguration",
    "PutBucketVersioning",
    "PutBucketPolicy",
    "CopyObject",
}


def _date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _target(sent: SentRequest) -> tuple[str, str]:
    """(bucket, key) from the request line (path-style), not from the spy's API parameters:
    a package's uploads run in parallel, and the spy pairs parameters with sends per client,
    not per thread."""
    bucket, _, key = unquote(sent.path).lstrip("/").partition("/")
    return bucket, key


def test_a_whole_archive_workflow_sends_nothing_that_weakens_retention(
    moto_endpoint: str,
    raw_s3: Any,
    clock: MovableClock,
    request_spy: Callable[..., RequestSpy],
) -> None:
    session = boto3.Session(
        aws_access_key_id=DUMMY_KEY_ID, aws_secret_access_key=DUMMY_SECRET, region_name=REGION
    )
    spy = request_spy(session)  # every client made from this session is spied on

    def bucket() -> S3ObjectStore:
        config = S3Config(f"hsdt-spy-{uuid.uuid4().hex[:8]}", moto_endpoint, REGION, True)
        create_bucket(config, session=session)
        return S3ObjectStore.connect(config, session=session, now=clock.now)

    primary, secondary = bucket(), bucket()
    policy = RetentionPolicy(years=100)

    # archive two versions of a record and a second record, then copy them
    v1 = build_package(package_input(version=1))
    v2 = build_package(package_input(version=2, note="phúc khảo"))
    other = build_package(package_input("HB-30112233-2025-HS0002", student="Lò Văn Pếnh"))
    for package in (v1, v2, other):
        archive_package(primary, package, retention=policy.retention_for(clock.now()))
    assert replicate(primary, secondary).ok
    for store in (primary, secondary):
        assert read_package(store, v1.document_id).files == v2.files
        assert len(package_history(store, v1.document_id)) == 2

    # strengthen: extend one object's retention, put the newest index entry on legal hold
    latest = package_history(primary, v1.document_id)[-1]
    pdf_key = latest.object_key("data/record.pdf")
    primary.extend_retention(pdf_key, latest.retention.retain_until + timedelta(days=365))
    primary.place_legal_hold(latest.key)

    # refused on our side, before any request: a shorter date, a delete
    with pytest.raises(RetentionError):
        primary.extend_retention(pdf_key, latest.retention.retain_until)
    with pytest.raises(RetentionError):
        primary.delete(pdf_key)

    # damage behind the archive's back (not spied: raw client), then audit and repair
    raw_s3.put_object(Bucket=secondary.bucket, Key=pdf_key, Body=b"%PDF-1.7 forged")
    raw_s3.delete_object(Bucket=primary.bucket, Key=latest.object_key("data/record.json"))
    report = audit(primary, secondary, now=clock.now(), repair=True)
    assert len(report.findings) == 2 and report.ok
    assert audit(primary, secondary, now=clock.now()).findings == ()

    # ---------------------------------------------------------------- the proof
    operations = set(spy.operations)
    assert operations <= ALLOWED, operations - ALLOWED
    assert not operations & NEVER
    # the workflow really exercised every kind of write
    assert {"PutObject", "PutObjectRetention", "PutObjectLegalHold", "CreateBucket"} <= operations

    latest_until: dict[tuple[str, str], datetime] = {}
    for sent in spy.requests:
        headers = sent.headers
        assert "x-amz-bypass-governance-retention" not in headers, sent
        assert headers.get("x-amz-object-lock-mode", "COMPLIANCE") == "COMPLIANCE", sent
        assert headers.get("x-amz-object-lock-legal-hold", "ON") == "ON", sent
        if sent.operation == "PutObject":
            # create-only, or a restore on top of exactly the version that was checked
            assert headers.get("if-none-match") == "*" or "if-match" in headers, sent
            assert headers["x-amz-checksum-sha256"] and headers["content-md5"], sent
            target = _target(sent)
            until = _date(headers["x-amz-object-lock-retain-until-date"])
            assert until >= latest_until.get(target, until), sent
            latest_until[target] = until
        if sent.operation == "PutObjectRetention":
            assert b"<Mode>COMPLIANCE</Mode>" in sent.body, sent
            target = _target(sent)
            until = sent.params["Retention"]["RetainUntilDate"]
            assert sent.params["Retention"]["Mode"] == "COMPLIANCE"
            assert until > latest_until[target], sent  # only ever later
            latest_until[target] = until
        if sent.operation == "PutObjectLegalHold":
            assert sent.params["LegalHold"] == {"Status": "ON"}, sent
            assert b"<Status>ON</Status>" in sent.body, sent
    assert any("if-match" in r.headers for r in spy.of("PutObject"))  # the repair happened
