"""S3 fixtures: one moto server per test session, reached over real HTTP on 127.0.0.1.

    moto_endpoint     the server's URL (session)
    s3_session        a boto3 Session with dummy credentials (the environment is not touched)
    new_s3_store      new_s3_store(now=..., **S3Config settings): an S3ObjectStore on a fresh
                      bucket created with Object Lock (as many as a test needs)
    s3_store          one such store
    raw_s3            a plain boto3 client on the same server, not spied on, for test set-up
                      such as tampering with an object behind the archive's back
    request_spy       ``request_spy(client_or_session, ...)``: a RequestSpy recording every request
                      those clients send

moto is in memory and much more permissive than real S3 (see docs/field-notes): tests must never
take its acceptance of a request as proof of anything.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from archive.store import Now, utcnow

if TYPE_CHECKING:
    import boto3

    from archive.s3_store import S3ObjectStore

DUMMY_KEY_ID = "hsdt-test-key-id"
DUMMY_SECRET = "hsdt-test-secret-never-printed"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer  # imported here: ~0.3 s nobody else should pay

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_session() -> boto3.Session:
    import boto3

    return boto3.Session(
        aws_access_key_id=DUMMY_KEY_ID,
        aws_secret_access_key=DUMMY_SECRET,
        region_name=REGION,
    )


@pytest.fixture
def new_s3_store(moto_endpoint: str, s3_session: boto3.Session) -> Callable[..., S3ObjectStore]:
    from archive.config import S3Config
    from archive.s3_store import S3ObjectStore, create_bucket

    def make(*, now: Now = utcnow, **settings: Any) -> S3ObjectStore:
        config = S3Config(
            bucket=f"hsdt-test-{uuid.uuid4().hex[:12]}",
            endpoint_url=moto_endpoint,
            region=REGION,
            path_style=True,
            max_attempts=2,
            **settings,
        )
        create_bucket(config, session=s3_session)
        return S3ObjectStore.connect(config, session=s3_session, now=now)

    return make


@pytest.fixture
def s3_store(new_s3_store: Callable[..., S3ObjectStore]) -> S3ObjectStore:
    return new_s3_store()


@pytest.fixture
def raw_s3(moto_endpoint: str, s3_session: boto3.Session) -> Any:
    return s3_session.client("s3", endpoint_url=moto_endpoint, region_name=REGION)


@dataclass
class SentRequest:
    """One HTTP request as it left botocore: operation, API parameters, and the wire form."""

    operation: str
    params: dict[str, Any]
    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


@dataclass
class RequestSpy:
    """Records every request a client sends (each retry too), via botocore's event system."""

    requests: list[SentRequest] = field(default_factory=list)
    _params: dict[str, Any] = field(default_factory=dict)

    def attach(self, target: Any) -> RequestSpy:
        """Spy on a client, or on a boto3 Session: then on every client made from it later."""
        events = target.meta.events if hasattr(target, "meta") else target.events
        events.register("before-parameter-build.s3", self._on_params)
        events.register("before-send.s3", self._on_send)
        return self

    def _on_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._params = {
            "_operation": model.name,
            **{k: v for k, v in params.items() if k != "Body"},
        }

    def _on_send(self, request: Any, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        params = dict(self._params) if self._params.get("_operation") == operation else {}
        params.pop("_operation", None)
        body = request.body if isinstance(request.body, bytes) else b""
        headers = {k.lower(): _text(v) for k, v in request.headers.items()}
        self.requests.append(
            SentRequest(operation, params, request.method, request.url, headers, body)
        )

    @property
    def operations(self) -> list[str]:
        return [r.operation for r in self.requests]

    def of(self, operation: str) -> list[SentRequest]:
        return [r for r in self.requests if r.operation == operation]


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


@pytest.fixture
def request_spy() -> Callable[..., RequestSpy]:
    spy = RequestSpy()

    def attach(*targets: Any) -> RequestSpy:
        for target in targets:
            spy.attach(target)
        return spy

    return attach
