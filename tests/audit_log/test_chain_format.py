"""The chain format, byte for byte, and the walk's verdicts on hand-made logs (no database)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.audit_chain import (
    GENESIS_HASH,
    ChainCode,
    ChainFinding,
    SecretInDetail,
    StoredEntry,
    canonical_bytes,
    canonical_detail,
    entry_hash,
    walk_chain,
)

AT = datetime(2026, 3, 1, 7, 30, 1, tzinfo=UTC)


def test_the_documented_example_hashes_to_the_documented_value() -> None:
    detail = canonical_detail({"version": 1, "học_sinh": "Lò Thị Ánh"})
    expected = (
        b"hsdt-audit-entry/1\n1:1\n27:2026-03-01T07:30:01.000000Z\n5:GV001\n"
        b"17:document.rendered\n7:HB-0001\n"
        + b"43:"
        + '{"học_sinh":"Lò Thị Ánh","version":1}'.encode()
        + b"\n64:"
        + b"0" * 64
        + b"\n"
    )
    assert canonical_bytes(
        1, AT, "GV001", "document.rendered", "HB-0001", detail, GENESIS_HASH
    ) == (expected)
    digest = entry_hash(1, AT, "GV001", "document.rendered", "HB-0001", detail, GENESIS_HASH)
    assert digest == hashlib.sha256(expected).hexdigest()
    assert digest == "d085f1838f73c0641e7f0fa7ce7a6d81e7b4b2f6fa3bc7042b5a235f159092d0"


def test_time_is_hashed_as_utc_whatever_zone_or_naivety_it_comes_in() -> None:
    hanoi = AT.astimezone(timezone(timedelta(hours=7)))
    naive = AT.replace(tzinfo=None)  # as SQLite hands it back
    hashes = {entry_hash(1, t, "a", "b", "c", "{}", GENESIS_HASH) for t in (AT, hanoi, naive)}
    assert len(hashes) == 1


def test_length_prefixes_keep_fields_apart() -> None:
    # the same characters split differently between actor and action must not collide
    one = entry_hash(1, AT, "ab", "c", "s", "{}", GENESIS_HASH)
    two = entry_hash(1, AT, "a", "bc", "s", "{}", GENESIS_HASH)
    assert one != two


def test_detail_is_compact_sorted_utf8_json() -> None:
    text = canonical_detail({"b": [1, 2], "a": {"z": "Đắk Lắk", "y": None}, "at": AT})
    assert text == '{"a":{"y":null,"z":"Đắk Lắk"},"at":"2026-03-01 07:30:01+00:00","b":[1,2]}'


@pytest.mark.parametrize(
    "key",
    ["password", "pin", "user_pin", "PIN", "passphrase", "tsaToken", "api-token", "client.secret",
     "privateKey", "private_key", "credentials"],
)  # fmt: skip
def test_detail_keys_naming_secrets_are_refused(key: str) -> None:
    with pytest.raises(SecretInDetail, match=key):
        canonical_detail({"outer": {key: "x"}})


@pytest.mark.parametrize("key", ["index_key", "pinned", "certificate_serial", "spin", "opinion"])
def test_ordinary_keys_pass_the_secret_guard(key: str) -> None:
    # whole words only: "pinned" and "spin" are not "pin", a "key" alone is not a private key
    assert canonical_detail({key: 1}) == f'{{"{key}":1}}'


def make_log(count: int) -> list[StoredEntry]:
    entries, prev = [], GENESIS_HASH
    for seq in range(1, count + 1):
        at = AT + timedelta(seconds=seq)
        detail = canonical_detail({"n": seq})
        digest = entry_hash(seq, at, "GV001", "x.y", f"S{seq}", detail, prev)
        entries.append(StoredEntry(seq, at, "GV001", "x.y", f"S{seq}", detail, prev, digest))
        prev = digest
    return entries


def walk(entries: list[StoredEntry]) -> ChainFinding | None:
    by_hash = {e.entry_hash: e.seq for e in entries}
    result = walk_chain(sorted(entries, key=lambda e: e.seq), locate=by_hash.get)
    return result.finding


def test_an_intact_log_walks_clean_and_remembers_the_asked_hashes() -> None:
    log = make_log(6)
    result = walk_chain(log, locate=lambda _h: None, remember=frozenset({3, 6, 9}))
    assert result.finding is None and result.entries == 6 and result.last_seq == 6
    assert result.hashes_at == {3: log[2].entry_hash, 6: log[5].entry_hash}


def test_verdicts_on_tampered_logs() -> None:
    log = make_log(8)
    edited = [*log[:3], replace(log[3], detail='{"n":40}'), *log[4:]]
    removed = log[:4] + log[5:]
    swapped = [*log[:4], replace(log[5], seq=5), replace(log[4], seq=6), *log[6:]]
    forged = replace(log[3], subject="giả", seq=4)
    forged = replace(forged, entry_hash=forged.computed_hash())
    inserted = [*log[:3], forged, *(replace(e, seq=e.seq + 1) for e in log[3:])]
    rehashed_one = replace(log[2], detail='{"n":0}')
    rehashed_one = replace(rehashed_one, entry_hash=rehashed_one.computed_hash())
    rehashed = [*log[:2], rehashed_one, *log[3:]]

    cases = {
        "edited": (edited, ChainCode.EDITED, 4),
        "removed": (removed, ChainCode.REMOVED, 5),
        "swapped": (swapped, ChainCode.REORDERED, 5),
        "inserted": (inserted, ChainCode.INSERTED, 4),
        "rehashed": (rehashed, ChainCode.BROKEN, 4),
        "first gone": (log[1:], ChainCode.REMOVED, 1),
    }
    for name, (entries, code, seq) in cases.items():
        finding = walk(entries)
        assert finding is not None, name
        assert (finding.code, finding.seq) == (code, seq), (name, finding)
