"""A package's files go to S3 in parallel, and nothing the issue asks for is lost: each upload is
conditional and checksummed, each is read back (exactly the version written) and compared, and
the index entry is sent last, only once every file came back right. Recorded on the wire (moto
over HTTP); nothing here measures time."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from archive_helpers import MovableClock, package_input
from support.s3 import REGION

from archive.config import S3Config
from archive.errors import IntegrityError, PackageError
from archive.index import index_key, read_chain
from archive.local_store import LocalObjectStore
from archive.package import archive_package, build_package, read_package, upload_workers
from archive.retention import Retention
from archive.s3_store import UPLOAD_WORKERS, S3ObjectStore

POOL_THREADS = "hsdt-archive-put"


@dataclass(frozen=True)
class Sent:
    operation: str
    key: str
    version_id: str | None
    thread: str
    headers: dict[str, str]


@dataclass
class Wire:
    """Every request a client sends, in send order, with the thread that sent it. Recorded from
    the request itself (URL and headers), which stays right when several threads send at once."""

    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_send(self, request: Any, event_name: str, **_: Any) -> None:
        url = urlsplit(request.url)
        query = dict(part.partition("=")[::2] for part in url.query.split("&") if part)
        headers = {
            k.lower(): v if isinstance(v, str) else v.decode() for k, v in request.headers.items()
        }
        with self.lock:
            self.sent.append(
                Sent(
                    event_name.rsplit(".", 1)[-1],
                    unquote(url.path).lstrip("/").partition("/")[2],
                    query.get("versionId"),
                    threading.current_thread().name,
                    headers,
                )
            )

    def of(self, operation: str) -> list[tuple[int, Sent]]:
        return [(n, s) for n, s in enumerate(self.sent) if s.operation == operation]


@pytest.fixture
def wire(s3_store: S3ObjectStore) -> Iterator[Wire]:
    recorder = Wire()
    s3_store.client.meta.events.register("before-send.s3", recorder.on_send)
    yield recorder
    s3_store.client.meta.events.unregister("before-send.s3", recorder.on_send)


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")


def pool_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(POOL_THREADS)]


def test_s3_takes_a_whole_bag_at_once_and_the_local_store_one_file_at_a_time(
    s3_store: S3ObjectStore, tmp_path: Path, clock: MovableClock
) -> None:
    assert upload_workers(s3_store) == UPLOAD_WORKERS == 10  # the 10 files of a bag
    assert upload_workers(LocalObjectStore(tmp_path, now=clock.now)) == 1  # fsync under a lock


def test_the_files_are_uploaded_in_parallel_each_read_back_and_the_index_written_last(
    s3_store: S3ObjectStore, wire: Wire, retention: Retention
) -> None:
    package = build_package(package_input())
    second_upload = threading.Event()
    arrivals: list[str] = []
    overlapped: list[bool] = []
    lock = threading.Lock()

    def hold_the_first_upload(request: Any, **_: Any) -> None:
        # The first upload waits on the wire until a second one is sent: only parallel uploads
        # get past this (the timeout only keeps a sequential regression from hanging the suite).
        with lock:
            arrivals.append(request.url)
            first = len(arrivals) == 1
        if first:
            overlapped.append(second_upload.wait(timeout=30))
        else:
            second_upload.set()

    s3_store.client.meta.events.register("before-send.s3.PutObject", hold_the_first_upload)
    entry = archive_package(s3_store, package, retention=retention)

    assert overlapped == [True]
    bag_keys = {package.key(path) for path in package.files}
    puts, gets = wire.of("PutObject"), wire.of("GetObject")
    assert {s.key for _, s in puts} == bag_keys | {entry.key} and len(puts) == len(bag_keys) + 1
    assert len({s.thread for _, s in puts if s.key in bag_keys}) > 1
    assert all(s.thread.startswith(POOL_THREADS) for _, s in puts if s.key in bag_keys)
    # every upload is create-only and carries its checksums and its lock …
    for _, put in puts:
        assert put.headers["if-none-match"] == "*"
        assert put.headers["x-amz-checksum-sha256"] and put.headers["content-md5"]
        assert put.headers["x-amz-object-lock-mode"] == "COMPLIANCE"
    # … and is read back afterwards: exactly the version it created, by the same worker
    for n, put in puts:
        reads = [(m, g) for m, g in gets if g.key == put.key and g.version_id]
        assert len(reads) == 1, put.key
        ((m, read),) = reads
        assert m > n and read.thread == put.thread
    # the index entry goes last, after every file of the bag was read back
    ((index_at, index_put),) = [(n, s) for n, s in puts if s.key == entry.key]
    assert index_put.key == index_key(package.document_id, 1)
    assert index_at == max(n for n, _ in puts)
    assert index_at > max(m for m, g in gets if g.key in bag_keys)
    assert read_package(s3_store, package.document_id).files == package.files


def test_a_file_that_comes_back_wrong_stops_the_package_before_its_index_entry(
    s3_store: S3ObjectStore, wire: Wire, retention: Retention
) -> None:
    package = build_package(package_input())
    damaged = package.key("data/record.json")

    def flip_a_byte(request: Any, **_: Any) -> None:
        if unquote(urlsplit(request.url).path).endswith("/" + damaged):
            body = request.body.getvalue() if hasattr(request.body, "getvalue") else request.body
            request.body = b"X" + body[1:]  # same length: only the read-back can tell

    s3_store.client.meta.events.register("before-send.s3.PutObject", flip_a_byte)
    with pytest.raises(IntegrityError) as caught:
        archive_package(s3_store, package, retention=retention)

    assert caught.value.key == damaged
    sent = len(wire.sent)
    time.sleep(0.3)
    assert len(wire.sent) == sent  # no upload outlives the failure: nothing is sent afterwards
    index = index_key(package.document_id, 1)
    assert all(s.key != index for s in wire.sent)  # the index entry was never even sent
    assert read_chain(s3_store, package.document_id).entries == ()
    with pytest.raises(PackageError, match="chưa lưu trữ"):
        read_package(s3_store, package.document_id)


def test_one_worker_means_one_upload_at_a_time_each_followed_by_its_read_back(
    s3_store: S3ObjectStore, moto_endpoint: str, retention: Retention
) -> None:
    config = S3Config(s3_store.bucket, moto_endpoint, REGION, path_style=True)
    store = S3ObjectStore(s3_store.client, config, upload_workers=1)
    recorder = Wire()
    store.client.meta.events.register("before-send.s3", recorder.on_send)
    package = build_package(package_input())
    archive_package(store, package, retention=retention)

    writes = [s for s in recorder.sent if s.operation in ("PutObject", "GetObject")]
    assert [s.operation for s in writes] == ["PutObject", "GetObject"] * (len(package.files) + 1)
    assert all(put.key == read.key for put, read in zip(writes[::2], writes[1::2], strict=True))
    assert {s.thread for s in recorder.sent} == {threading.current_thread().name}


def test_the_upload_threads_serve_every_package_of_a_store_and_end_with_it(
    new_s3_store: Callable[..., S3ObjectStore], retention: Retention
) -> None:
    """Ten threads started per package cost more CPU than hashing it: a store keeps its pool."""
    store = new_s3_store()
    senders: list[set[int]] = [set(), set()]
    package_no = [0]

    def record_sender(**_: Any) -> None:
        senders[package_no[0]].add(threading.get_ident())

    store.client.meta.events.register("before-send.s3.PutObject", record_sender)
    for n, document_id in enumerate(("HB-THREADS-1", "HB-THREADS-2")):
        package_no[0] = n
        archive_package(store, build_package(package_input(document_id)), retention=retention)
    first, second = senders
    main = threading.get_ident()
    assert main in first and main in second  # the index entry, sent by the caller
    workers_1, workers_2 = first - {main}, second - {main}
    assert 1 < len(workers_1) <= UPLOAD_WORKERS
    assert workers_2 <= workers_1  # the second package reused the first one's threads
    assert {t.ident for t in pool_threads()} >= workers_1

    store.client.meta.events.unregister("before-send.s3.PutObject", record_sender)
    del store
    gc.collect()
    deadline = time.monotonic() + 10
    while {t.ident for t in pool_threads()} & workers_1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not {t.ident for t in pool_threads()} & workers_1  # the store gone, its threads end


class _SlottedStore:
    """A parallel store that cannot be weakly referenced: it gets a pool per call."""

    __slots__ = ("_inner",)

    def __init__(self, inner: S3ObjectStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def upload_workers(self) -> int:
        return UPLOAD_WORKERS


def test_a_store_without_weak_references_still_uploads_in_parallel(
    s3_store: S3ObjectStore, retention: Retention
) -> None:
    store: Any = _SlottedStore(s3_store)
    package = build_package(package_input("HB-SLOTS"))
    entry = archive_package(store, package, retention=retention)
    assert read_package(s3_store, package.document_id).files == package.files
    assert entry.sequence == 1
