"""The second copy: packages replicated across stores (local ↔ S3, S3 ↔ S3), both verified."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from archive_helpers import (
    MovableClock,
    StoreUnderTest,
    local_under_test,
    package_input,
    s3_under_test,
)

from archive.index import read_chain
from archive.package import archive_package, build_package, read_package
from archive.replication import replicate, replicate_package
from archive.retention import Retention
from archive.s3_store import S3ObjectStore


@pytest.fixture(params=["local→s3", "s3→s3"])
def pair(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: MovableClock,
    new_s3_store: Callable[..., S3ObjectStore],
    raw_s3: Any,
) -> tuple[StoreUnderTest, StoreUnderTest]:
    if request.param == "local→s3":
        source = local_under_test(tmp_path / "objects", clock)
    else:
        source = s3_under_test(new_s3_store(now=clock.now), raw_s3)
    return source, s3_under_test(new_s3_store(now=clock.now), raw_s3)


def test_replication_copies_packages_with_identical_bytes_and_chain(
    pair: tuple[StoreUnderTest, StoreUnderTest], retention: Retention
) -> None:
    source, target = pair[0].store, pair[1].store
    v1 = build_package(package_input(version=1))
    first = archive_package(source, v1, retention=retention)
    report = replicate_package(source, target, first)
    assert report.ok and not report.verified
    assert len(report.copied) == len(first.files) + 1
    assert report.copied[-1] == first.key  # the index entry goes last

    v2 = build_package(package_input(version=2, note="bổ sung"))
    archive_package(source, v2, retention=retention)
    again = replicate(source, target)
    assert again.ok
    assert set(again.verified) == set(report.copied)  # re-read on the target, not assumed
    assert len(again.copied) == len(first.files) + 1

    for store in (source, target):
        assert read_package(store, v1.document_id).files == v2.files
    assert (
        read_chain(source, v1.document_id).raw_sha256
        == read_chain(target, v1.document_id).raw_sha256
    )
    for key in report.copied:
        lock = target.head(key).retention
        assert lock is not None and lock.at_least(retention)


def test_a_damaged_copy_is_reported_not_papered_over(
    pair: tuple[StoreUnderTest, StoreUnderTest], retention: Retention
) -> None:
    source, target = pair
    package = build_package(package_input())
    entry = archive_package(source.store, package, retention=retention)
    replicate(source.store, target.store)
    target.corrupt(package.key("data/record.json"), b"{}")
    report = replicate(source.store, target.store)
    assert not report.ok
    (failure,) = report.failures
    assert failure.key == package.key("data/record.json")
    assert target.store.name in failure.message and "kiểm tra toàn vẹn" in failure.message
    assert entry.key not in report.copied


def test_objects_no_index_names_are_not_replicated(
    pair: tuple[StoreUnderTest, StoreUnderTest], retention: Retention
) -> None:
    source, target = pair[0].store, pair[1].store
    source.put("packages/orphan/v0001/" + "0" * 64 + "/bagit.txt", b"x", retention=retention)
    report = replicate(source, target)
    assert report.ok and not report.copied
    assert list(target.list_objects()) == []
