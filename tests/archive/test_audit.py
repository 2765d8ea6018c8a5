"""The fixity audit: missing, corrupt, unexpected and orphan objects, weak locks, repair."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
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

from archive.fixity import AuditCode, audit
from archive.index import IndexEntry
from archive.package import archive_package, build_package, read_package
from archive.replication import replicate
from archive.retention import Retention
from archive.s3_store import S3ObjectStore
from archive.store import ObjectStore


def archive_some(store: ObjectStore, retention: Retention, count: int = 1) -> list[IndexEntry]:
    return [
        archive_package(
            store, build_package(package_input(f"HB-30112233-2025-HS{n:04d}")), retention=retention
        )
        for n in range(1, count + 1)
    ]


@pytest.fixture
def local(tmp_path: Path, clock: MovableClock) -> StoreUnderTest:
    return local_under_test(tmp_path / "objects", clock)


@pytest.fixture
def s3(
    new_s3_store: Callable[..., S3ObjectStore], raw_s3: Any, clock: MovableClock
) -> StoreUnderTest:
    return s3_under_test(new_s3_store(now=clock.now), raw_s3)


def test_a_healthy_archive_passes_in_both_stores(
    local: StoreUnderTest, s3: StoreUnderTest, retention: Retention, clock: MovableClock
) -> None:
    (entry,) = archive_some(local.store, retention)
    replicate(local.store, s3.store)
    report = audit(local.store, s3.store, now=clock.now())
    assert report.ok and report.findings == ()
    assert [p.key for p in report.packages] == [entry.key]
    assert report.objects_checked == 2 * (len(entry.files) + 1)
    doc = report.to_json()
    assert doc["ok"] is True and doc["packages_checked"] == 1
    assert doc["counts"] == {code.value: 0 for code in AuditCode}
    json.dumps(doc)  # serialisable as is
    assert "mọi đối tượng đều nguyên vẹn" in report.to_text()


def test_missing_and_corrupt_objects_are_found_and_repaired_from_the_other_copy(
    local: StoreUnderTest, s3: StoreUnderTest, retention: Retention, clock: MovableClock
) -> None:
    (entry,) = archive_some(local.store, retention)
    replicate(local.store, s3.store)
    pdf_key, json_key = entry.object_key("data/record.pdf"), entry.object_key("data/record.json")
    local.lose(pdf_key)
    s3.corrupt(json_key, '{"hoc_sinh": "ai đó khác"}'.encode())

    found = audit(local.store, s3.store, now=clock.now())
    assert not found.ok
    assert {(f.code, f.store, f.key) for f in found.findings} == {
        (AuditCode.MISSING, local.store.name, pdf_key),
        (AuditCode.CORRUPT, s3.store.name, json_key),
    }
    assert found.count(AuditCode.MISSING) == found.count(AuditCode.CORRUPT) == 1
    assert "LỖI" in found.to_text() and "cần xử lý" in found.to_text()

    repaired = audit(local.store, s3.store, now=clock.now(), repair=True)
    assert repaired.ok and all(f.repaired for f in repaired.findings)
    assert len(repaired.findings) == 2
    assert audit(local.store, s3.store, now=clock.now()).findings == ()
    for store in (local.store, s3.store):
        read_package(store, entry.document_id)


def test_without_a_second_copy_nothing_can_be_repaired(
    local: StoreUnderTest, retention: Retention, clock: MovableClock
) -> None:
    (entry,) = archive_some(local.store, retention)
    local.corrupt(entry.object_key("data/record.pdf"), b"%PDF-1.7 rot")
    report = audit(local.store, None, now=clock.now(), repair=True)
    (finding,) = report.findings
    assert finding.code is AuditCode.CORRUPT and not finding.repaired
    assert "không có bản sao tốt" in finding.message
    assert not report.ok


def test_a_lost_index_entry_is_restored_after_its_package(
    local: StoreUnderTest, s3: StoreUnderTest, retention: Retention, clock: MovableClock
) -> None:
    (entry,) = archive_some(local.store, retention)
    replicate(local.store, s3.store)
    s3.lose(entry.key)
    report = audit(local.store, s3.store, now=clock.now(), repair=True)
    assert [(f.code, f.key, f.repaired) for f in report.findings] == [
        (AuditCode.MISSING, entry.key, True)
    ]
    assert read_package(s3.store, entry.document_id).bag_id == entry.bag_id


def test_foreign_objects_are_unexpected_and_interrupted_runs_are_orphans(
    any_store: StoreUnderTest, retention: Retention, clock: MovableClock
) -> None:
    store = any_store.store
    archive_some(store, retention)
    store.put("notes/readme.txt", b"put here by hand", retention=retention)
    # audit-log anchors live beside the packages and are checked by «hsdt audit verify»
    store.put("audit/anchors/000000000001.tsr", b"a TSA reply", retention=retention)
    orphan = build_package(package_input("HB-30112233-2025-HS0099"))
    for path in ("data/record.pdf", "data/record.json"):
        store.put(orphan.key(path), orphan.files[path], retention=retention)

    report = audit(store, None, now=clock.now(), repair=True)
    assert {(f.code, f.key) for f in report.findings} == {
        (AuditCode.UNEXPECTED, "notes/readme.txt"),
        (AuditCode.ORPHAN, orphan.prefix),
    }
    assert not report.ok  # the foreign object is an error; the orphan alone would be a warning
    assert store.exists("notes/readme.txt")  # reported, never deleted
    orphan_finding = next(f for f in report.findings if f.code is AuditCode.ORPHAN)
    assert orphan_finding.is_warning and "2 đối tượng" in orphan_finding.message


def test_a_weakened_lock_is_reported_and_strengthened(
    local: StoreUnderTest, retention: Retention, clock: MovableClock
) -> None:
    (entry,) = archive_some(local.store, retention)
    key = entry.object_key("bagit.txt")
    sidecar = local.store.root / ".hsdt/meta" / f"{key}.json"  # type: ignore[attr-defined]
    os.chmod(sidecar, 0o644)
    text = sidecar.read_text(encoding="utf-8")
    shortened = Retention(retention.retain_until.replace(year=retention.retain_until.year - 50))
    old, new = retention.to_json()["retain_until"], shortened.to_json()["retain_until"]
    sidecar.write_text(text.replace(str(old), str(new)), encoding="utf-8")
    found = audit(local.store, None, now=clock.now())
    assert [(f.code, f.key) for f in found.findings] == [(AuditCode.RETENTION_WEAK, key)]
    fixed = audit(local.store, None, now=clock.now(), repair=True)
    assert fixed.ok and fixed.findings[0].repaired
    assert local.store.head(key).retention == retention


def test_a_damaged_index_is_reported_when_no_store_has_a_clean_chain(
    local: StoreUnderTest, retention: Retention, clock: MovableClock
) -> None:
    (entry,) = archive_some(local.store, retention)
    local.corrupt(entry.key, b'{"format": "forged"}')
    report = audit(local.store, None, now=clock.now())
    assert (AuditCode.INDEX_DAMAGED, entry.key) in {(f.code, f.key) for f in report.findings}
    assert not report.ok


def test_sampling_is_reproducible_and_older_than_skips_recent_checks(
    local: StoreUnderTest, retention: Retention, clock: MovableClock
) -> None:
    entries = archive_some(local.store, retention, count=4)
    now = clock.now()
    one = audit(local.store, None, now=now, sample=2, seed=7)
    two = audit(local.store, None, now=now, sample=2, seed=7)
    assert len(one.packages) == 2 and one.packages == two.packages
    assert one.selection.startswith("ngẫu nhiên 2 gói")

    recent = {e.key: now - timedelta(days=1) for e in entries[:3]}
    due = audit(local.store, None, now=now, older_than=timedelta(days=30), last_checked=recent)
    assert [p.key for p in due.packages] == [entries[3].key]  # archived 2026-06-30, never checked
