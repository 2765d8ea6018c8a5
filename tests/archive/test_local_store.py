"""What only the local directory store does: files on disk, sidecars, modes, its own clock."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from archive_helpers import MovableClock

from archive.errors import (
    AlreadyExists,
    ArchiveError,
    IntegrityError,
    RetentionError,
    StoreUnavailable,
)
from archive.integrity import sha256_hex
from archive.local_store import LocalObjectStore
from archive.retention import Retention


@pytest.fixture
def store(tmp_path: Path, clock: MovableClock) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "objects", now=clock.now)


def test_objects_are_plain_read_only_files_with_a_sidecar(
    store: LocalObjectStore, retention: Retention
) -> None:
    store.put("packages/x/data/record.pdf", b"%PDF-1.7 ...", retention=retention)
    blob = store.root / "packages/x/data/record.pdf"
    sidecar = store.root / ".hsdt/meta/packages/x/data/record.pdf.json"
    assert blob.read_bytes() == b"%PDF-1.7 ..."
    assert stat.S_IMODE(blob.stat().st_mode) == 0o444
    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o444
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    assert meta["sha256"] == sha256_hex(b"%PDF-1.7 ...")
    assert meta["retention"]["mode"] == "COMPLIANCE"
    assert meta["retention"]["legal_hold"] is False
    assert not list((store.root / ".hsdt/tmp").iterdir())  # nothing staged is left behind
    assert [o.key for o in store.list_objects()] == ["packages/x/data/record.pdf"]


def test_deletion_is_allowed_only_after_retention_ends(
    store: LocalObjectStore, clock: MovableClock
) -> None:
    store.put("k", b"x", retention=Retention(clock.now() + timedelta(days=10)))
    clock.advance(timedelta(days=9))
    with pytest.raises(RetentionError):
        store.delete("k")
    clock.advance(timedelta(days=2))
    store.delete("k")
    assert not store.exists("k")


def test_a_legal_hold_outlives_the_retention_date(
    store: LocalObjectStore, clock: MovableClock
) -> None:
    store.put("k", b"x", retention=Retention(clock.now() + timedelta(days=1), legal_hold=True))
    clock.advance(timedelta(days=400))
    with pytest.raises(RetentionError, match="legal hold"):
        store.delete("k")


def test_files_dropped_in_by_hand_are_never_trusted(
    store: LocalObjectStore, retention: Retention
) -> None:
    (store.root / "foreign.txt").write_bytes(b"copied here by someone")
    with pytest.raises(IntegrityError, match="không có checksum"):
        store.get("foreign.txt")
    with pytest.raises(RetentionError, match="không có thông tin lưu giữ"):
        store.delete("foreign.txt")
    assert store.get("foreign.txt", expected_sha256=sha256_hex(b"copied here by someone")).data


def test_a_sidecar_left_by_a_crash_does_not_block_the_key(
    store: LocalObjectStore, retention: Retention
) -> None:
    stale = store.root / ".hsdt/meta/k.json"
    stale.write_text('{"format": "hsdt-local-object/1", "sha256": "00"}', encoding="utf-8")
    store.put("k", b"fresh", retention=retention)
    assert store.get("k").data == b"fresh"


def test_a_restore_may_only_put_back_the_archived_content(
    store: LocalObjectStore, retention: Retention
) -> None:
    store.put("k", b"archived", retention=retention)
    other = b"different content"
    with pytest.raises(RetentionError, match="đúng nội dung đã lưu trữ"):
        store.restore("k", other, expected_sha256=sha256_hex(other), retention=retention)
    assert store.get("k").data == b"archived"


def test_a_full_disk_is_a_clear_error_and_leaves_nothing_visible(
    store: LocalObjectStore, retention: Retention, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "link", no_space)
    with pytest.raises(StoreUnavailable, match="No space left on device") as caught:
        store.put("k", b"x", retention=retention)
    assert "dung lượng trống" in str(caught.value)
    monkeypatch.undo()
    assert not store.exists("k")
    assert not list((store.root / ".hsdt/tmp").iterdir())
    store.put("k", b"x", retention=retention)  # and the key is still free


def test_a_key_cannot_nest_under_an_existing_object(
    store: LocalObjectStore, retention: Retention
) -> None:
    store.put("a", b"x", retention=retention)
    with pytest.raises(ArchiveError, match="thư mục cha") as caught:
        store.put("a/b", b"y", retention=retention)
    assert not isinstance(caught.value, AlreadyExists)
