"""Archival packages in a store: content-addressed, append-only, never visible half-written."""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from archive_helpers import SCHOOL, StoreUnderTest, package_input
from botocore.exceptions import EndpointConnectionError

from archive.errors import ArchiveError, IntegrityError, PackageError, StoreUnavailable
from archive.index import index_key, read_chain
from archive.integrity import sha256_hex
from archive.package import (
    PAYLOAD_FILES,
    archive_package,
    build_package,
    export_bag,
    package_history,
    read_package,
    validate_package,
)
from archive.provenance import EventType
from archive.retention import Retention
from archive.s3_store import S3ObjectStore


def test_a_package_is_deterministic_and_content_addressed() -> None:
    first, again = build_package(package_input()), build_package(package_input())
    assert first.files == again.files and first.bag_id == again.bag_id
    other = build_package(package_input(note="sửa điểm"))
    assert other.bag_id != first.bag_id
    assert first.prefix == f"packages/HB-30112233-2025-HS0001/v0001/{first.bag_id}/"
    assert first.bag_id == sha256_hex(first.files["tagmanifest-sha256.txt"])


def test_a_package_holds_the_record_its_report_and_its_provenance() -> None:
    package = build_package(package_input())
    assert validate_package(package).ok
    assert set(PAYLOAD_FILES) <= set(package.files)
    assert package.pdf.startswith(b"%PDF-")
    assert json.loads(package.canonical_json)["hoc_sinh"] == "Giàng Thị Mai"
    assert package.verification_report["bottom_line"] is True
    events = package.events
    assert [e.type for e in events] == [
        EventType.RENDERED,
        EventType.SIGNED,
        EventType.LOCKED,
        EventType.ARCHIVED,
    ]
    assert events[1].agent == "Trần Thị Hoa" and events[-1].agent == "Lò Văn Pếnh"
    premis = json.loads(package.files["data/provenance.json"])
    assert [e["eventType"] for e in premis["events"]] == [
        "creation",
        "digital signature generation",
        "policy assignment",
        "ingestion",
    ]
    info = package.files["bag-info.txt"].decode()
    assert f"Source-Organization: {SCHOOL}\n" in info
    assert "Bagging-Date: 2026-06-30\n" in info
    assert "External-Identifier: HB-30112233-2025-HS0001\n" in info


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pdf": b"not a pdf"}, "không phải PDF"),
        ({"canonical_json": b"{broken"}, "không phải JSON"),
        ({"version": 0}, "phiên bản phải từ 1"),
        ({"document_id": "HB/../x"}, "không hợp lệ"),
    ],
)
def test_unusable_input_is_refused_before_anything_is_stored(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ArchiveError, match=message):
        build_package(replace(package_input(), **change))


def test_archive_then_read_back_verified(any_store: StoreUnderTest, retention: Retention) -> None:
    store = any_store.store
    package = build_package(package_input())
    entry = archive_package(store, package, retention=retention)
    assert (
        entry.key
        == index_key(package.document_id, 1)
        == "index/HB-30112233-2025-HS0001/000001.json"
    )
    assert entry.previous_key is None and entry.bag_id == package.bag_id
    assert read_package(store, package.document_id).files == package.files
    for item in entry.files:
        info = store.head(entry.object_key(item.path))
        assert info.sha256 == item.sha256
        assert info.retention is not None and info.retention.at_least(retention)


def test_a_new_version_is_added_beside_the_old_one_and_chained_to_it(
    any_store: StoreUnderTest, retention: Retention
) -> None:
    store = any_store.store
    v1 = build_package(package_input(version=1))
    v2 = build_package(package_input(version=3, note="phúc khảo"))
    first = archive_package(store, v1, retention=retention)
    before = {o.key: store.head(o.key).sha256 for o in store.list_objects()}
    second = archive_package(store, v2, retention=retention)
    assert second.sequence == 2 and second.document_version == 3
    assert second.previous_key == first.key
    assert second.previous_sha256 == sha256_hex(store.get(first.key).data)
    assert {k: store.head(k).sha256 for k in before} == before  # nothing old was touched
    assert [e.document_version for e in package_history(store, v1.document_id)] == [1, 3]
    assert read_package(store, v1.document_id).files == v2.files
    assert read_package(store, v1.document_id, version=1).files == v1.files


def test_archiving_the_same_package_again_changes_nothing(
    any_store: StoreUnderTest, retention: Retention
) -> None:
    store = any_store.store
    package = build_package(package_input())
    entry = archive_package(store, package, retention=retention)
    keys = [o.key for o in store.list_objects()]
    assert archive_package(store, package, retention=retention) == entry
    assert [o.key for o in store.list_objects()] == keys


def test_an_archived_version_cannot_be_replaced_or_preceded(
    any_store: StoreUnderTest, retention: Retention
) -> None:
    store = any_store.store
    archive_package(store, build_package(package_input(version=2)), retention=retention)
    changed = build_package(package_input(version=2, note="khác"))
    with pytest.raises(PackageError, match="phiên bản 2 đã được lưu trữ"):
        archive_package(store, changed, retention=retention)
    with pytest.raises(PackageError, match="không thể lưu phiên bản 1"):
        archive_package(store, build_package(package_input(version=1)), retention=retention)
    assert len(package_history(store, changed.document_id)) == 1


def test_a_damaged_object_is_never_returned_as_part_of_a_package(
    any_store: StoreUnderTest, retention: Retention
) -> None:
    package = build_package(package_input())
    archive_package(any_store.store, package, retention=retention)
    any_store.corrupt(package.key("data/record.pdf"), b"%PDF-1.7 forged")
    with pytest.raises(IntegrityError) as caught:
        read_package(any_store.store, package.document_id)
    assert caught.value.key == package.key("data/record.pdf")


@dataclass
class Fault:
    """The connection (S3) or the disk (local) fails for good after ``limit`` uploads,
    until healed. Counted under a lock: S3 uploads of a package run in parallel."""

    limit: int
    puts: int = 0
    healed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def strikes(self) -> bool:
        with self.lock:
            self.puts += 1
            return not self.healed and self.puts > self.limit

    def heal(self) -> None:
        self.healed = True


@pytest.fixture
def fault(any_store: StoreUnderTest, monkeypatch: pytest.MonkeyPatch) -> Fault:
    fault = Fault(limit=5)
    if isinstance(any_store.store, S3ObjectStore):

        def network_gone(request: Any, **_: Any) -> None:
            if request.method == "PUT" and fault.strikes():
                raise EndpointConnectionError(endpoint_url=request.url)

        any_store.store.client.meta.events.register("before-send.s3", network_gone)
    else:
        real_link = os.link

        def disk_full(src: str, dst: str) -> None:
            if fault.strikes():
                raise OSError(28, "No space left on device")
            real_link(src, dst)

        monkeypatch.setattr(os, "link", disk_full)
    return fault


def test_an_interrupted_archive_run_leaves_no_index_entry_and_resumes(
    any_store: StoreUnderTest, retention: Retention, fault: Fault
) -> None:
    store = any_store.store
    package = build_package(package_input())
    with pytest.raises(StoreUnavailable):
        archive_package(store, package, retention=retention)
    attempts = fault.puts
    stored = [o.key for o in store.list_objects()]
    assert len(stored) == fault.limit  # some objects made it …
    assert all(key.startswith(package.prefix) for key in stored)
    assert read_chain(store, package.document_id).entries == ()  # … but nothing is archived
    with pytest.raises(PackageError, match="chưa lưu trữ"):
        read_package(store, package.document_id)
    # and nothing is still uploading behind the caller's back (the upload threads stay, idle,
    # for the store's next package): no attempt and no object after archive_package returned
    time.sleep(0.3)
    assert fault.puts == attempts
    assert [o.key for o in store.list_objects()] == stored

    fault.heal()
    entry = archive_package(store, package, retention=retention)  # the same input resumes
    assert entry.sequence == 1
    assert read_package(store, package.document_id).files == package.files


def test_a_package_exports_as_a_bagit_directory(tmp_path: Path) -> None:
    package = build_package(package_input())
    bag_dir = export_bag(package, tmp_path)
    assert bag_dir.name == "HB-30112233-2025-HS0001-v0001"
    on_disk = {
        p.relative_to(bag_dir).as_posix(): p.read_bytes() for p in bag_dir.rglob("*") if p.is_file()
    }
    assert on_disk == dict(package.files)
    with pytest.raises(PackageError, match="đã tồn tại"):
        export_bag(package, tmp_path)


def test_the_bagit_library_agrees_that_an_exported_bag_is_valid(tmp_path: Path) -> None:
    bagit = pytest.importorskip("bagit", reason="cross-check needs PyPI bagit (dev dependency)")
    bag_dir = export_bag(build_package(package_input()), tmp_path)
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # raises BagValidationError when anything is off
    assert bag.info["Source-Organization"] == SCHOOL
