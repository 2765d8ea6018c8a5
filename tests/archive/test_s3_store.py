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
from support.s3 import DUMMY_KEY_ID, DUMMY_SECRET, REGION, RequestSpy

from archive.config import S3Config
from archive.errors import (
    IntegrityError,
    RetentionError,
    StoreMisconfigured,
    StoreUnavailable,
)
from archive.retention import Retention
from archive.s3_store import S3ObjectStore, create_bucket

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
    # and it was read back: exactly the version just written
    (read_back,) = spy.of("GetObject")
    assert "versionId=" in read_back.url


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
