"""The fault proxy itself: each mode does what it says on the wire, and plans are reproducible."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from reliability.faultproxy import (
    CUT,
    DROP,
    HTTP_500,
    HTTP_503,
    RESET,
    Fault,
    FaultPlan,
    FaultProxy,
    Rule,
)


@pytest.fixture
def bucket(fault_proxy: FaultProxy, s3_session: boto3.Session) -> Iterator[tuple[Any, str]]:
    """A client with no retries and short timeouts, through the proxy, and a bucket."""
    client = s3_session.client(
        "s3",
        endpoint_url=fault_proxy.url,
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            read_timeout=0.5,
            connect_timeout=1,
            s3={"addressing_style": "path"},
        ),
    )
    name = f"hsdt-proxy-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    client.put_object(Bucket=name, Key="k", Body=b"0123456789" * 100)
    yield client, name


def test_each_mode_reaches_the_client_as_that_fault(
    bucket: tuple[Any, str], fault_proxy: FaultProxy
) -> None:
    client, name = bucket

    def get(fault: Fault) -> BaseException | bytes:
        fault_proxy.plan = FaultPlan([Rule(fault, method="GET", times=1)])
        try:
            return bytes(client.get_object(Bucket=name, Key="k")["Body"].read())
        except Exception as exc:
            return exc

    for status in (HTTP_500, HTTP_503):
        error = get(status)
        assert isinstance(error, ClientError)
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == status.status
        assert error.response["Error"]["Code"] in ("InternalError", "ServiceUnavailable")
    assert isinstance(get(DROP), ConnectionClosedError | EndpointConnectionError)
    assert isinstance(get(RESET), ConnectionClosedError | EndpointConnectionError)
    assert isinstance(get(CUT), ResponseStreamingError)  # headers whole, body cut in half
    started = time.perf_counter()
    assert isinstance(get(Fault.delay(1.0)), ReadTimeoutError)
    assert time.perf_counter() - started >= 0.5
    fault_proxy.plan = FaultPlan([Rule(CUT, method="GET", times=1)])
    cut = client.get_object(Bucket=name, Key="k")  # the headers arrive whole
    with pytest.raises(ResponseStreamingError):
        cut["Body"].read()
    assert client.get_object(Bucket=name, Key="k")["Body"].read() == b"0123456789" * 100
    assert fault_proxy.counts() == {
        "500": 1,
        "503": 1,
        "drop": 1,
        "reset": 1,
        "cut": 2,
        "delay 1s": 1,
    }


def test_a_cut_put_was_done_by_the_server_though_the_client_never_heard(
    bucket: tuple[Any, str], fault_proxy: FaultProxy
) -> None:
    client, name = bucket
    fault_proxy.plan = FaultPlan([Rule(CUT, method="PUT", times=1)])
    with pytest.raises(ConnectionClosedError):
        client.put_object(Bucket=name, Key="cut", Body=b"done anyway")
    assert client.get_object(Bucket=name, Key="cut")["Body"].read() == b"done anyway"


def test_a_seeded_plan_decides_the_same_way_every_time() -> None:
    requests = [("PUT" if i % 3 else "GET", f"/b/k{i % 50}") for i in range(300)]

    def decisions(seed: int) -> list[str]:
        plan = FaultPlan.random(seed, 0.3, [DROP, HTTP_503, CUT], max_per_request=2)
        return [plan.decide(m, p).label for m, p in requests]

    first = decisions(5)
    assert first == decisions(5)
    assert first != decisions(6)
    faulty = [d for d in first if d != "pass"]
    assert 60 <= len(faulty) <= 120 and set(faulty) == {"drop", "503", "cut"}
    # never more than twice for one request: a client with 3 attempts always gets through
    per_request: dict[tuple[str, str], int] = {}
    for request, label in zip(requests, first, strict=True):
        per_request[request] = per_request.get(request, 0) + (label != "pass")
    assert max(per_request.values()) == 2
