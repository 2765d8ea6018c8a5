"""The object-store contract, run against the local directory store and S3 over HTTP (moto)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from archive_helpers import MovableClock, StoreUnderTest

from archive.errors import AlreadyExists, IntegrityError, InvalidKey, NotFound, RetentionError
from archive.integrity import sha256_hex
from archive.retention import Retention

DATA = "Học bạ của Giàng Thị Mai — điểm trung bình 8,5".encode()


def test_put_then_get_returns_the_bytes_with_their_checksum_and_lock(
    any_store: StoreUnderTest, retention: Retention
) -> None:
    store = any_store.store
    info = store.put("a/b/record.json", DATA, retention=retention)
    got = store.get("a/b/record.json")
    assert got.data == DATA
    assert info.sha256 == got.info.sha256 == sha256_hex(DATA)
    assert info.size == len(DATA)
    assert got.info.retention == retention
    assert got.info.retention.mode == "COMPLIANCE"
    assert not got.info.legal_hold
    assert store.head("a/b/record.json").sha256 == sha256_hex(DATA)


def test_an_empty_object_round_trips(any_store: StoreUnderTest, retention: Retention) -> None:
    any_store.store.put("empty", b"", retention=retention)
    assert any_store.store.get("empty").data == b""


def test_put_never_overwrites_not_even_with_identical_bytes(
    any_store: StoreUnderTest, retention: Retention
) -> None:
    store = any_store.store
    store.put("k", DATA, retention=retention)
    for attempt in (b"other bytes", DATA):
        with pytest.raises(AlreadyExists) as caught:
            store.put("k", attempt, retention=retention)
        assert caught.value.key == "k"
        assert caught.value.existing_sha256 == sha256_hex(DATA)
        assert "không bao giờ bị ghi đè" in str(caught.value)
    assert store.get("k").data == DATA


def test_missing_objects_are_reported_as_not_found(any_store: StoreUnderTest) -> None:
    store = any_store.store
    assert not store.exists("nope/x")
    with pytest.raises(NotFound, match="nope/x"):
        store.get("nope/x")
    with pytest.raises(NotFound):
        store.head("nope/x")


def test_get_refuses_bytes_that_do_not_match_the_expected_checksum(
    any_store: StoreUnderTest, retention: Retention
) -> None:
    any_store.store.put("k", DATA, retention=retention)
    wrong = sha256_hex(b"something else")
    with pytest.raises(IntegrityError) as caught:
        any_store.store.get("k", expected_sha256=wrong)
    error = caught.value
    assert (error.key, error.expected, error.actual) == ("k", wrong, sha256_hex(DATA))
    assert "k" in str(error) and wrong in str(error) and sha256_hex(DATA) in str(error)


def test_bytes_changed_behind_the_store_are_never_returned(
    any_store: StoreUnderTest, retention: Retention
) -> None:
    any_store.store.put("k", DATA, retention=retention)
    any_store.corrupt("k", DATA.replace(b"8,5", b"9,5"))
    with pytest.raises(IntegrityError) as caught:
        any_store.store.get("k")
    assert caught.value.expected == sha256_hex(DATA)


def test_listing_is_sorted_and_limited_to_the_prefix(
    any_store: StoreUnderTest, retention: Retention
) -> None:
    store = any_store.store
    for key in ("p/b", "p/a/2", "p/a/1", "q/z", "p-x"):
        store.put(key, key.encode(), retention=retention)
    assert [o.key for o in store.list_objects("p/")] == ["p/a/1", "p/a/2", "p/b"]
    assert [o.key for o in store.list_objects("p/a/")] == ["p/a/1", "p/a/2"]
    assert [o.key for o in store.list_objects("p")] == ["p-x", "p/a/1", "p/a/2", "p/b"]
    assert [(o.key, o.size) for o in store.list_objects("q/")] == [("q/z", 3)]
    assert len(list(store.list_objects())) == 5


@pytest.mark.parametrize("key", ["", "/abs", "a//b", "../x", "a/../b", ".hidden", "a/-b", "a b"])
def test_unsafe_keys_are_refused(any_store: StoreUnderTest, retention: Retention, key: str) -> None:
    with pytest.raises(InvalidKey):
        any_store.store.put(key, DATA, retention=retention)


def test_retention_is_only_ever_extended(any_store: StoreUnderTest, retention: Retention) -> None:
    store = any_store.store
    store.put("k", DATA, retention=retention)
    later = retention.retain_until + timedelta(days=30)
    assert store.extend_retention("k", later).retention == Retention(later)
    with pytest.raises(RetentionError, match="chỉ được kéo dài"):
        store.extend_retention("k", retention.retain_until)
    assert store.head("k").retention == Retention(later)


def test_new_objects_need_a_future_compliance_lock(
    any_store: StoreUnderTest, clock: MovableClock
) -> None:
    store = any_store.store
    with pytest.raises(RetentionError, match="không nằm trong tương lai"):
        store.put("k", DATA, retention=Retention(clock.now() - timedelta(seconds=1)))
    governance = Retention(clock.now() + timedelta(days=1), mode="GOVERNANCE")
    with pytest.raises(RetentionError, match="GOVERNANCE"):
        store.put("k", DATA, retention=governance)
    assert not store.exists("k")


def test_retained_objects_cannot_be_deleted(
    any_store: StoreUnderTest, retention: Retention
) -> None:
    any_store.store.put("k", DATA, retention=retention)
    with pytest.raises(RetentionError, match="lưu giữ đến"):
        any_store.store.delete("k")
    assert any_store.store.get("k").data == DATA


def test_a_legal_hold_is_kept_and_blocks_deletion(
    any_store: StoreUnderTest, retention: Retention
) -> None:
    store = any_store.store
    store.put("held-at-upload", DATA, retention=Retention(retention.retain_until, True))
    store.put("held-later", DATA, retention=retention)
    assert store.place_legal_hold("held-later").legal_hold
    for key in ("held-at-upload", "held-later"):
        assert store.head(key).legal_hold
        with pytest.raises(RetentionError, match="legal hold"):
            store.delete(key)


def test_restore_puts_back_a_corrupt_object_and_nothing_else(
    any_store: StoreUnderTest, retention: Retention
) -> None:
    store = any_store.store
    store.put("k", DATA, retention=retention)
    good = sha256_hex(DATA)
    with pytest.raises(IntegrityError):  # the "good copy" must be what was archived
        store.restore("k", b"other", expected_sha256=good, retention=retention)

    assert store.restore("k", DATA, expected_sha256=good, retention=retention).sha256 == good
    any_store.corrupt("k", b"bit rot")
    restored = store.restore("k", DATA, expected_sha256=good, retention=retention)
    assert restored.sha256 == good
    assert restored.retention is not None and restored.retention.at_least(retention)
    assert store.get("k", expected_sha256=good).data == DATA


def test_restore_recreates_a_lost_object(any_store: StoreUnderTest, retention: Retention) -> None:
    store = any_store.store
    store.put("k", DATA, retention=retention)
    any_store.lose("k")
    assert not store.exists("k")
    store.restore("k", DATA, expected_sha256=sha256_hex(DATA), retention=retention)
    assert store.get("k").data == DATA
