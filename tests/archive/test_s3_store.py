"""What only the S3 adapter does: the wire format of uploads, bucket checks, a lying or absent
server. Runs over HTTP against moto, which accepts far more than real S3: every assertion here is
about what *our* code sends or detects, never about moto's acceptance."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.utils import parse_timestamp
from support.s3 import DUMMY_KEY_ID, DUMMY_SECRET, REGION, RequestSpy

from archive.config import S3Config
from archive.errors import (
    IntegrityError,
    RetentionError,
    StoreMisconfigured,
    StoreUnavailable,
)
from archive.retention import Retention
from archive.s3_store import S3ObjectStore, create_bucket, parse_s3_timestamp

DATA = b"%PDF-1.7 hoc ba" * 100


def test_an_upload_carries_its_checksums_its_lock_and_a_create_only_condition(
    s3_store: S3ObjectStore, retention: Retention, request_spy: Callable[..., RequestSpy]
) -> None:
    spy = request_spy(s3_store.client)
    s3_store.put("k", DATA, retention=retention)
    (put,) = spy.of("PutObject")
    headers = put.headers
    assert headers["if-none-match"] == "*"
    assert (
        headers["x-amz-checksum-sha256"] == base64.b64encode(hashlib.sha256(DATA).digest()).decode()
    )
    assert headers["content-md5"] == base64.b64encode(hashlib.md5(DATA).digest()).decode()
    assert headers["x-amz-meta-sha256"] == hashlib.sha256(DATA).hexdigest()
    assert headers["x-amz-object-lock-mode"] == "COMPLIANCE"
    assert headers["x-amz-object-lock-retain-until-date"].startswith(
        retention.retain_until.strftime("%Y-%m-%dT%H:%M:%S")
    )
    # and it was read back: exactly the version just written, hashed by us alone (botocore is
    # not asked to check the store's checksum on this GET: that would hash the bytes twice)
    (read_back,) = spy.of("GetObject")
    assert "versionId=" in read_back.url
    assert "x-amz-checksum-mode" not in read_back.headers
    # a plain get still asks for the store's checksum and compares it too
    s3_store.get("k")
    assert spy.of("GetObject")[-1].headers["x-amz-checksum-mode"] == "ENABLED"


def test_bytes_altered_in_transit_are_caught_by_the_read_back(
    s3_store: S3ObjectStore, retention: Retention
) -> None:
    """moto stores whatever arrives, wrong checksum or not; the read-back must notice."""

    def flip_a_byte(request: Any, **_: Any) -> None:
        body = request.body.getvalue() if hasattr(request.body, "getvalue") else request.body
        request.body = b"X" + body[1:]  # same length: only a checksum can tell

    s3_store.client.meta.events.register("before-send.s3.PutObject", flip_a_byte)
    with pytest.raises(IntegrityError) as caught:
        s3_store.put("k", DATA, retention=retention)
    assert caught.value.key == "k"
    assert caught.value.expected == hashlib.sha256(DATA).hexdigest()


def test_bytes_sent_with_a_wrong_sha256_are_caught_by_the_read_back(
    s3_store: S3ObjectStore, retention: Retention
) -> None:
    """The body and every checksum header altered alike: the store (moto) finds nothing wrong,
    the read-back compares with the SHA-256 we computed before sending."""
    other = DATA[:-1] + b"X"

    def swap_body_and_checksums(request: Any, **_: Any) -> None:
        request.body = other
        request.headers["x-amz-checksum-sha256"] = base64.b64encode(
            hashlib.sha256(other).digest()
        ).decode()
        request.headers["Content-MD5"] = base64.b64encode(hashlib.md5(other).digest()).decode()

    s3_store.client.meta.events.register("before-send.s3.PutObject", swap_body_and_checksums)
    with pytest.raises(IntegrityError) as caught:
        s3_store.put("k", DATA, retention=retention)
    assert caught.value.expected == hashlib.sha256(DATA).hexdigest()
    assert caught.value.actual == hashlib.sha256(other).hexdigest()


def test_a_store_checksum_that_differs_from_ours_fails_the_upload(
    s3_store: S3ObjectStore, retention: Retention
) -> None:
    """The store's own checksum, from the upload's response, is compared as the GET's was."""
    wrong = hashlib.sha256(b"not these bytes").digest()

    def store_reports_another_checksum(parsed: dict[str, Any], **_: Any) -> None:
        parsed["ChecksumSHA256"] = base64.b64encode(wrong).decode()

    s3_store.client.meta.events.register("after-call.s3.PutObject", store_reports_another_checksum)
    with pytest.raises(IntegrityError) as caught:
        s3_store.put("k", DATA, retention=retention)
    assert caught.value.expected == wrong.hex()
    assert caught.value.actual == hashlib.sha256(DATA).hexdigest()


@pytest.mark.parametrize(
    "value",
    [
        "Sat, 28 Nov 2026 20:54:16 GMT",
        "Mon, 01 Jan 2024 00:00:00 GMT",
        "Sat, 28 Nov 2026 20:54:16 -0000",
        "Sat, 28 Nov 2026 20:54:16 +0700",
        "2126-11-28T20:50:00.000Z",
        "2126-11-28T20:50:00Z",
        "2024-02-29T23:59:59.123456Z",
        "2026-11-28T20:54:16+07:00",
        "2026-11-28T20:54:16",
        "1764363256",
        "1764363256.5",
    ],
)
def test_timestamps_parse_to_the_same_instant_as_with_botocore(value: str) -> None:
    ours, theirs = parse_s3_timestamp(value), parse_timestamp(value)
    assert ours == theirs and ours.utcoffset() == theirs.utcoffset()
    assert (ours.tzinfo is None) == (theirs.tzinfo is None)  # naive only where botocore's is


def test_only_the_archive_client_gets_the_fast_timestamp_parser(
    s3_store: S3ObjectStore, raw_s3: Any, retention: Retention
) -> None:
    parser = s3_store.client._endpoint._response_parser_factory.create_parser("rest-xml")
    assert parser._timestamp_parser is parse_s3_timestamp
    other = raw_s3._endpoint._response_parser_factory.create_parser("rest-xml")
    assert other._timestamp_parser is not parse_s3_timestamp
    info = s3_store.put("k", DATA, retention=retention)  # Last-Modified and retain-until parsed
    assert info.retention is not None and info.retention.retain_until == retention.retain_until
    head = raw_s3.head_object(Bucket=s3_store.bucket, Key="k")
    assert info.stored_at == head["LastModified"]


def test_a_lock_the_server_did_not_apply_is_caught_by_the_read_back(
    s3_store: S3ObjectStore, retention: Retention
) -> None:
    def drop_lock_headers(request: Any, **_: Any) -> None:
        for name in ("x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date"):
            if name in request.headers:
                del request.headers[name]

    s3_store.client.meta.events.register("before-send.s3.PutObject", drop_lock_headers)
    with pytest.raises(RetentionError, match="không áp dụng khóa lưu giữ"):
        s3_store.put("k", DATA, retention=retention)


def test_an_earlier_retain_until_is_refused_before_anything_is_sent(
    s3_store: S3ObjectStore, retention: Retention, request_spy: Callable[..., RequestSpy]
) -> None:
    """moto would accept a shortened COMPLIANCE date (real S3 would not): we never ask."""
    s3_store.put("k", DATA, retention=retention)
    spy = request_spy(s3_store.client)
    with pytest.raises(RetentionError):
        s3_store.extend_retention("k", retention.retain_until.replace(year=2030))
    with pytest.raises(RetentionError):
        s3_store.delete("k")
    assert set(spy.operations) == {"HeadObject"}


def test_the_bucket_is_created_versioned_and_locked(s3_store: S3ObjectStore, raw_s3: Any) -> None:
    bucket = s3_store.bucket
    assert raw_s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    lock = raw_s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"


def test_creating_an_existing_bucket_of_ours_only_checks_it(
    s3_store: S3ObjectStore, s3_session: boto3.Session, moto_endpoint: str
) -> None:
    config = S3Config(s3_store.bucket, moto_endpoint, REGION, path_style=True)
    create_bucket(config, session=s3_session)  # no error, nothing changed
    S3ObjectStore.connect(config, session=s3_session)


def test_a_bucket_without_object_lock_is_refused(
    raw_s3: Any, s3_session: boto3.Session, moto_endpoint: str
) -> None:
    bucket = f"hsdt-nolock-{uuid.uuid4().hex[:8]}"
    raw_s3.create_bucket(Bucket=bucket)
    config = S3Config(bucket, moto_endpoint, REGION, path_style=True)
    with pytest.raises(StoreMisconfigured, match="chưa bật Object Lock") as caught:
        S3ObjectStore.connect(config, session=s3_session)
    assert "init-bucket" in str(caught.value)


def test_a_missing_bucket_is_a_configuration_error(
    s3_session: boto3.Session, moto_endpoint: str
) -> None:
    config = S3Config("hsdt-no-such-bucket", moto_endpoint, REGION, path_style=True)
    with pytest.raises(StoreMisconfigured, match="bucket không tồn tại"):
        S3ObjectStore.connect(config, session=s3_session)


def test_an_unreachable_endpoint_is_reported_without_credentials(
    s3_session: boto3.Session,
) -> None:
    with closed_port() as port:
        endpoint = f"http://127.0.0.1:{port}"
        config = S3Config("hsdt-archive", endpoint, REGION, path_style=True, max_attempts=2)
        with pytest.raises(StoreUnavailable) as caught:
            S3ObjectStore.connect(config, session=s3_session)
    message = str(caught.value)
    assert endpoint in message and "2 lần thử" in message and "chạy lại" in message
    assert DUMMY_SECRET not in message and DUMMY_KEY_ID not in message


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that is bound but never listened on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        yield port
