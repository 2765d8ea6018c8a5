"""The audit log's chain format: the bytes an entry's hash covers, and the walk that checks a log.

Pure: no database, no clock, no network. ``service.audit_log`` stores entries, ``audit_verify``
feeds them back through :func:`walk_chain`. The byte format is documented in docs/audit-log.md so
that an auditor can recompute every hash without hsdt; version 1 never changes (a different
format would get a new tag and live next to this one).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "FORMAT_TAG",
    "GENESIS_HASH",
    "ChainCode",
    "ChainFinding",
    "ChainWalk",
    "SecretInDetail",
    "StoredEntry",
    "canonical_bytes",
    "canonical_detail",
    "entry_hash",
    "format_time",
    "utc",
    "walk_chain",
]

FORMAT_TAG = b"hsdt-audit-entry/1\n"
GENESIS_HASH = "0" * 64  # the "previous hash" of entry 1

# A key is split into words (snake, kebab, dotted or camelCase); any of these words refuses it.
_SECRET_WORDS = frozenset(
    {"password", "passwd", "pin", "passphrase", "token", "secret", "credential", "credentials"}
)
_SECRET_PAIRS = frozenset({("private", "key"), ("api", "key"), ("access", "key")})
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


class SecretInDetail(ValueError):
    """A caller tried to log something that looks like a secret. A programming error: the log is
    permanent and readable by auditors, so nothing secret may ever reach it."""


class ChainCode(StrEnum):
    EDITED = "audit.entry_edited"
    REMOVED = "audit.entry_removed"
    INSERTED = "audit.entry_inserted"
    REORDERED = "audit.entries_reordered"
    BROKEN = "audit.chain_broken"
    HEAD_MISMATCH = "audit.head_mismatch"


@dataclass(frozen=True)
class ChainFinding:
    code: ChainCode
    seq: int | None  # the first sequence number concerned
    message: str  # Vietnamese, for the person running the check


@dataclass(frozen=True)
class StoredEntry:
    """One entry as read back from the database."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str
    prev_hash: str | None
    entry_hash: str | None

    def computed_hash(self) -> str:
        return entry_hash(
            self.seq, self.at, self.actor, self.action, self.subject, self.detail,
            self.prev_hash or "",
        )  # fmt: skip


def utc(at: datetime) -> datetime:
    """The instant as aware UTC. SQLite hands back naive datetimes: they were written as UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def format_time(at: datetime) -> str:
    """``2026-01-02T03:04:05.000006Z``: UTC, always six fractional digits."""
    return utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_detail(detail: Mapping[str, Any]) -> str:
    """The detail as stored and hashed: compact JSON, keys sorted, UTF-8 text (not ``\\u`` escapes).

    Values that JSON cannot hold are written with ``str`` (dates, paths, enums). Raises
    :class:`SecretInDetail` for a key that names a secret, at any depth.
    """
    _refuse_secrets(detail, "")
    return json.dumps(
        detail,
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
        default=str,
    )


def _refuse_secrets(value: Any, path: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            words = [w.lower() for w in _WORD.findall(str(key))]
            pairs = set(itertools.pairwise(words))
            if _SECRET_WORDS.intersection(words) or _SECRET_PAIRS & pairs:
                raise SecretInDetail(
                    f"audit log detail key {where!r} names a secret; secrets never go into the "
                    "audit log (log that one was used, e.g. the certificate serial, not the value)"
                )
            _refuse_secrets(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_secrets(item, path)


def _field(value: str) -> bytes:
    data = value.encode("utf-8")
    return str(len(data)).encode("ascii") + b":" + data + b"\n"


def canonical_bytes(
    seq: int, at: datetime, actor: str, action: str, subject: str, detail: str, prev_hash: str
) -> bytes:
    """The tag, then each field as ``<UTF-8 byte length>:<bytes>\\n`` (see docs/audit-log.md)."""
    fields = (str(seq), format_time(at), actor, action, subject, detail, prev_hash)
    return FORMAT_TAG + b"".join(_field(f) for f in fields)


def entry_hash(
    seq: int, at: datetime, actor: str, action: str, subject: str, detail: str, prev_hash: str
) -> str:
    """Lowercase hex SHA-256 of :func:`canonical_bytes`."""
    message = canonical_bytes(seq, at, actor, action, subject, detail, prev_hash)
    return hashlib.sha256(message).hexdigest()


@dataclass(frozen=True)
class ChainWalk:
    """What one pass over the log found: the first problem, if any, and the hashes asked for."""

    entries: int  # entries read
    last_seq: int  # the last sequence number read (0: none)
    last_hash: str  # its stored hash (the start hash when none was read)
    finding: ChainFinding | None  # the first problem; None: every entry read is intact
    hashes_at: dict[int, str]  # stored hash of each entry in ``remember`` that was read


def walk_chain(
    entries: Iterable[StoredEntry],
    *,
    locate: Callable[[str], int | None],
    remember: frozenset[int] = frozenset(),
    start_seq: int = 1,
    start_prev: str = GENESIS_HASH,
) -> ChainWalk:
    """Check entries given in ascending ``seq`` order, starting at ``start_seq`` whose predecessor
    has hash ``start_prev``. Reports the first problem; reading goes on after it only to collect
    the stored hashes in ``remember`` (the anchors are compared with them) and the last entry.

    ``locate(hash)`` answers which sequence number carries that entry hash (None: no entry), to
    tell a reordered or inserted entry from an edited one. It is called only on a broken link.
    """
    expected_seq, expected_prev = start_seq, start_prev
    count, last_seq, last_hash = 0, start_seq - 1, start_prev
    finding: ChainFinding | None = None
    hashes: dict[int, str] = {}
    for entry in entries:
        if finding is None:
            finding = _check_one(entry, expected_seq, expected_prev, locate)
        count += 1
        last_seq, last_hash = entry.seq, entry.entry_hash or ""
        if entry.seq in remember:
            hashes[entry.seq] = last_hash
        expected_seq, expected_prev = entry.seq + 1, last_hash
    return ChainWalk(count, last_seq, last_hash, finding, hashes)


def _check_one(
    entry: StoredEntry, seq: int, prev: str, locate: Callable[[str], int | None]
) -> ChainFinding | None:
    if entry.seq < seq:  # only possible with the unique index on seq dropped
        return ChainFinding(
            ChainCode.INSERTED,
            entry.seq,
            f"Mục số {entry.seq} xuất hiện hai lần: một mục đã bị chèn thêm với số thứ tự đã có.",
        )
    if entry.seq > seq:
        missing = f"số {seq}" if entry.seq == seq + 1 else f"từ số {seq} đến {entry.seq - 1}"
        return ChainFinding(
            ChainCode.REMOVED,
            seq,
            f"Thiếu mục {missing}: mục đã bị xoá khỏi nhật ký (số thứ tự phải liên tục).",
        )
    if entry.prev_hash == prev:
        if entry.computed_hash() != entry.entry_hash:
            return ChainFinding(
                ChainCode.EDITED,
                seq,
                f"Mục số {seq} ({entry.action}, {entry.subject}) đã bị sửa: nội dung hiện tại "
                "không khớp hàm băm ghi lúc tạo.",
            )
        return None
    owner = locate(entry.prev_hash) if entry.prev_hash else None
    if owner is not None and owner > seq:
        return ChainFinding(
            ChainCode.REORDERED,
            seq,
            f"Thứ tự bị đảo: mục đang mang số {seq} vốn đứng ngay sau mục số {owner} "
            f"(đã đổi số thứ tự của các mục quanh số {seq}).",
        )
    if owner is not None and owner < seq - 1:
        between = f"số {seq - 1}" if owner == seq - 2 else f"từ số {owner + 1} đến {seq - 1}"
        return ChainFinding(
            ChainCode.INSERTED,
            owner + 1,
            f"Mục {between} đã bị chèn vào: mục số {seq} vốn nối ngay sau mục số {owner}.",
        )
    if seq == 1:
        return ChainFinding(
            ChainCode.BROKEN,
            1,
            "Mục số 1 không mở đầu chuỗi: hàm băm mục trước của nó phải là 64 chữ số 0.",
        )
    return ChainFinding(
        ChainCode.BROKEN,
        seq,
        f"Chuỗi đứt giữa mục số {seq - 1} và {seq}: mục số {seq} không nối vào mục trước nó. "
        f"Mục số {seq - 1} đã bị sửa rồi tính lại hàm băm, hoặc mục số {seq} bị thay, hoặc "
        "có mục bị xoá rồi đánh số lại.",
    )
