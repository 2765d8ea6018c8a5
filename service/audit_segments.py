"""Archived log segments: the entries themselves, next to the anchors, so the trail outlives the DB.

Every anchor also archives the entries since the previous archived segment, up to the anchored
head, as two create-only objects in the primary store (same retention as the anchors):

- ``audit/segments/<last seq, 12 digits>.jsonl``: one JSON object per entry, in ``seq`` order,
  with the fields exactly as hashed (``at`` in the hash's time format, ``detail`` the stored text);
- ``audit/segments/<last seq, 12 digits>.json``: the manifest — first/last seq, first/last hash,
  count, and the SHA-256 of the ``.jsonl`` bytes.

The last seq of a segment is the seq of its anchor (``audit/anchors/<same>.tsr``).
:func:`verify_archive` rebuilds the whole chain from these objects and the anchors alone, and
cross-checks them with the database when one is given.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from archive import AlreadyExists, ObjectStore, Retention
from service.audit_chain import StoredEntry, format_time
from service.errors import HsdtError

__all__ = [
    "SEGMENT_FORMAT",
    "SEGMENT_KEY",
    "SEGMENT_PREFIX",
    "Segment",
    "SegmentConflict",
    "archive_segment",
    "build_segment",
    "last_segment_seq",
    "manifest_key",
    "parse_line",
    "segment_key",
]

SEGMENT_PREFIX = "audit/segments/"
SEGMENT_FORMAT = "hsdt-audit-segment/1"
SEGMENT_KEY = re.compile(r"audit/segments/(\d{12})\.jsonl\Z")


def segment_key(last_seq: int) -> str:
    return f"{SEGMENT_PREFIX}{last_seq:012d}.jsonl"


def manifest_key(last_seq: int) -> str:
    return f"{SEGMENT_PREFIX}{last_seq:012d}.json"


def _line(entry: StoredEntry) -> bytes:
    record = {
        "seq": entry.seq,
        "at": format_time(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "detail": entry.detail,  # the stored text, byte for byte what the hash covers
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
    }
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


def parse_line(line: bytes) -> StoredEntry:
    """One ``.jsonl`` line back into an entry; ValueError when it is not one."""
    try:
        record: dict[str, Any] = json.loads(line)
        at = datetime.strptime(record["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        texts = [record[f] for f in ("actor", "action", "subject", "detail")]
        hashes = [record[f] for f in ("prev_hash", "entry_hash")]
        seq = record["seq"]
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not an entry: {exc}") from exc
    if not isinstance(seq, int) or not all(isinstance(v, str) for v in texts + hashes):
        raise ValueError("not an entry: wrong field types")
    return StoredEntry(seq, at, *texts, *hashes)


@dataclass(frozen=True)
class Segment:
    first_seq: int
    last_seq: int
    first_hash: str
    last_hash: str
    count: int
    data: bytes  # the JSON Lines

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def manifest(self) -> bytes:
        doc = {
            "format": SEGMENT_FORMAT,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "first_hash": self.first_hash,
            "last_hash": self.last_hash,
            "count": self.count,
            "sha256": self.sha256,
            "anchor_key": f"audit/anchors/{self.last_seq:012d}.tsr",
        }
        return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8")


def build_segment(entries: Iterable[StoredEntry]) -> Segment | None:
    """The segment of ``entries`` (in seq order); None when there are none."""
    lines: list[bytes] = []
    first: StoredEntry | None = None
    last: StoredEntry | None = None
    for entry in entries:
        first = first or entry
        last = entry
        lines.append(_line(entry))
    if first is None or last is None:
        return None
    return Segment(
        first.seq,
        last.seq,
        first.entry_hash or "",
        last.entry_hash or "",
        len(lines),
        b"".join(lines),
    )


def last_segment_seq(store: ObjectStore) -> int:
    """The last seq any archived segment covers (0: none yet)."""
    last = 0
    for listed in store.list_objects(SEGMENT_PREFIX):
        match = SEGMENT_KEY.match(listed.key)
        if match:
            last = max(last, int(match.group(1)))
    return last


class SegmentConflict(HsdtError):
    """The archive already holds a different segment under the same key."""


def archive_segment(store: ObjectStore, segment: Segment, retention: Retention) -> None:
    """Write the segment then its manifest, create-only; an identical object (an interrupted
    earlier run) is accepted, a different one means the database changed after archiving."""
    for key, data, kind in (
        (segment_key(segment.last_seq), segment.data, "application/jsonl"),
        (manifest_key(segment.last_seq), segment.manifest(), "application/json"),
    ):
        try:
            store.put(key, data, retention=retention, content_type=kind)
        except AlreadyExists:
            if store.get(key).data != data:
                raise SegmentConflict(
                    f"Kho lưu trữ {store.name} đã có đoạn nhật ký {key} nhưng nội dung khác các "
                    "mục hiện có trong cơ sở dữ liệu: nhật ký đã bị viết lại sau khi lưu trữ.",
                    hint="Chạy «hsdt audit verify --archived»; không xoá đối tượng lưu trữ này "
                    "(nó là bằng chứng).",
                ) from None
