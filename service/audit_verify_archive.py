"""``hsdt audit verify --archived``: the audit log rebuilt from the archive alone.

The archived segments (``service.audit_segments``) are walked as one chain, every archived anchor
is checked against it, and — when a database is given — every archived entry is compared with the
database's: an entry edited (or deleted) in the database after it was archived is reported.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from archive import ArchiveError, ObjectStore
from service.audit_anchor import ArchivedAnchor, check_tokens, read_archived_anchors
from service.audit_chain import StoredEntry, format_time, walk_chain
from service.audit_log import read_entries
from service.audit_segments import SEGMENT_KEY, SEGMENT_PREFIX, manifest_key, parse_line
from service.audit_verify import AnchorCode, AuditFinding
from service.errors import HsdtError
from service.home import Home
from service.trust import trust_store

__all__ = ["ArchiveVerification", "ArchivedAnchorReport", "SegmentCode", "verify_archive"]

_FIELDS = ("seq", "at", "actor", "action", "subject", "detail", "prev_hash", "entry_hash")
_SHOWN = 5  # findings listed one by one per kind; the rest are counted


class SegmentCode(StrEnum):
    DAMAGED = "audit.segment_damaged"  # unreadable, or its lines do not match its manifest
    CONFLICT = "audit.segment_conflict"  # two segments disagree on an entry they both hold
    DB_MISMATCH = "audit.archive_db_mismatch"  # the database's entry differs from the archived one
    DB_MISSING = "audit.archive_db_missing"  # archived, but no longer in the database


@dataclass(frozen=True)
class ArchivedAnchorReport:
    seq: int
    tsa_time: datetime | None
    tsa_name: str
    ok: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "tsa_time": self.tsa_time.isoformat() if self.tsa_time else None,
            "tsa": self.tsa_name or None,
            "ok": self.ok,
        }


@dataclass(frozen=True)
class ArchiveVerification:
    segments: int
    entries: int
    last_seq: int
    anchors: tuple[ArchivedAnchorReport, ...]
    findings: tuple[AuditFinding, ...]
    store: str | None
    database_checked: bool
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def unanchored(self) -> int:
        good = [a.seq for a in self.anchors if a.ok]
        return max(self.last_seq - (good[-1] if good else 0), 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "segments": self.segments,
            "entries": self.entries,
            "last_seq": self.last_seq,
            "unanchored_entries": self.unanchored,
            "anchors": [a.to_json() for a in self.anchors],
            "findings": [f.to_json() for f in self.findings],
            "store": self.store,
            "database_checked": self.database_checked,
            "seconds": round(self.seconds, 3),
        }


def verify_archive(
    home: Home,
    *,
    sessions: sessionmaker[Session] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ArchiveVerification:
    """Rebuild the chain from the archived segments and check every archived anchor against it;
    with ``sessions``, also compare every archived entry with the database's. Changes nothing.

    Holds the archived entries in memory (about 300 bytes each): a million entries fit in a few
    hundred MB.
    """
    from archive.stores import open_store
    from service.archiving_config import archive_config

    started = time.perf_counter()
    findings: list[AuditFinding] = []
    try:
        store = open_store(archive_config(home).primary, home_root=home.root, now=now)
        segments = list(_read_segments(store, findings))
        anchors = list(read_archived_anchors(store))
    except (ArchiveError, HsdtError) as exc:
        findings.append(
            AuditFinding(
                AnchorCode.ARCHIVE_UNREADABLE,
                None,
                f"Không đọc được nhật ký đã lưu trữ ({exc.message.rstrip('.')}).",
            )
        )
        return ArchiveVerification(
            0, 0, 0, (), tuple(findings), None, False, time.perf_counter() - started
        )

    entries = _merge(segments, findings)
    by_hash = {e.entry_hash: e.seq for e in entries if e.entry_hash}
    walk = walk_chain(entries, locate=by_hash.get, remember=frozenset(a.seq for a in anchors))
    if walk.finding is not None:
        f = walk.finding
        findings.append(AuditFinding(f.code, f.seq, f"Bản lưu trữ: {f.message}"))

    reports = _check_archived_anchors(home, anchors, walk.hashes_at, findings)
    if sessions is not None:
        with sessions() as session:
            _cross_check(entries, read_entries(session, to_seq=walk.last_seq), findings)
    return ArchiveVerification(
        len(segments),
        walk.entries,
        walk.last_seq,
        tuple(reports),
        tuple(findings),
        store.name,
        sessions is not None,
        time.perf_counter() - started,
    )


@dataclass(frozen=True)
class _ReadSegment:
    key: str
    first_seq: int
    last_seq: int
    entries: list[StoredEntry]


def _read_segments(store: ObjectStore, findings: list[AuditFinding]) -> Iterator[_ReadSegment]:
    for listed in store.list_objects(SEGMENT_PREFIX):
        match = SEGMENT_KEY.match(listed.key)
        if not match:
            continue
        last = int(match.group(1))
        problem, segment = _read_one(store, listed.key, last)
        if problem is not None:
            findings.append(
                AuditFinding(SegmentCode.DAMAGED, last, f"Đoạn {listed.key}: {problem}.")
            )
        if segment is not None:
            yield segment


def _read_one(store: ObjectStore, key: str, last: int) -> tuple[str | None, _ReadSegment | None]:
    try:
        data = store.get(key).data
        manifest: dict[str, Any] = json.loads(store.get(manifest_key(last)).data)
    except ArchiveError as exc:
        return f"không đọc được ({exc.message.rstrip('.')})", None
    except ValueError:
        return "tệp kê khai không phải JSON", None
    entries: list[StoredEntry] = []
    for number, line in enumerate(data.splitlines(), start=1):
        try:
            entries.append(parse_line(line))
        except ValueError:
            return f"dòng {number} không phải một mục nhật ký", None
    first_seq = manifest.get("first_seq")
    segment = _ReadSegment(
        key, first_seq if isinstance(first_seq, int) else last, last, entries
    )  # still walked: the chain names the entry that was changed
    expected = (
        manifest.get("sha256"),
        manifest.get("count"),
        manifest.get("last_seq"),
        manifest.get("first_hash"),
        manifest.get("last_hash"),
    )
    actual = (
        hashlib.sha256(data).hexdigest(),
        len(entries),
        last,
        entries[0].entry_hash if entries else None,
        entries[-1].entry_hash if entries else None,
    )
    if expected != actual:
        return "nội dung không khớp tệp kê khai (sha256, số mục hoặc mục đầu/cuối)", segment
    return None, segment


def _merge(segments: list[_ReadSegment], findings: list[AuditFinding]) -> list[StoredEntry]:
    """All archived entries once each, in the order the segments give them. Segments overlap only
    after an interrupted anchor run; the entries they share must then be identical."""
    merged: list[StoredEntry] = []
    seen: dict[int, StoredEntry] = {}
    covered = 0
    conflicts = 0
    for segment in sorted(segments, key=lambda s: (s.last_seq, s.first_seq)):
        overlap = segment.first_seq <= covered
        for entry in segment.entries:
            if overlap and entry.seq <= covered and entry.seq in seen:
                if seen[entry.seq] != entry:
                    conflicts += 1
                    if conflicts == 1:
                        findings.append(
                            AuditFinding(
                                SegmentCode.CONFLICT,
                                entry.seq,
                                f"Mục #{entry.seq} có hai nội dung khác nhau trong hai đoạn "
                                f"lưu trữ (đoạn {segment.key} và một đoạn trước nó).",
                            )
                        )
                continue
            seen.setdefault(entry.seq, entry)
            merged.append(entry)
        covered = max(covered, segment.last_seq)
    return merged


def _check_archived_anchors(
    home: Home,
    anchors: list[ArchivedAnchor],
    hashes_at: dict[int, str],
    findings: list[AuditFinding],
) -> list[ArchivedAnchorReport]:
    usable = [a for a in anchors if a.token is not None]
    for bad in (a for a in anchors if a.token is None):
        findings.append(
            AuditFinding(
                AnchorCode.TOKEN_INVALID,
                bad.seq,
                f"Mốc #{bad.seq}: bản lưu trữ {bad.key} không dùng được: {bad.problem}.",
            )
        )
    checks = check_tokens([a.token or b"" for a in usable], trust_store(home).roots)
    reports = []
    for anchor, check in zip(usable, checks, strict=True):
        current = hashes_at.get(anchor.seq)
        problem = None
        if not check.ok:
            problem = (
                AnchorCode.TOKEN_INVALID if not check.intact else AnchorCode.TOKEN_UNTRUSTED,
                f"{check.problem}.",
            )
        elif current is None:
            problem = (
                AnchorCode.ENTRY_MISSING,
                "mục được chứng nhận không có trong các đoạn nhật ký đã lưu trữ.",
            )
        elif current != check.imprint:
            problem = (
                AnchorCode.MISMATCH,
                f"mục #{anchor.seq} trong bản lưu trữ mang hàm băm {current[:16]}…, dấu thời "
                f"gian chứng nhận {(check.imprint or '')[:16]}…: đoạn lưu trữ đã bị viết lại.",
            )
        if problem is not None:
            findings.append(
                AuditFinding(problem[0], anchor.seq, f"Mốc #{anchor.seq}: {problem[1]}")
            )
        reports.append(
            ArchivedAnchorReport(anchor.seq, check.tsa_time, check.tsa_name, problem is None)
        )
    return reports


def _cross_check(
    archived: list[StoredEntry], database: Iterator[StoredEntry], findings: list[AuditFinding]
) -> None:
    by_seq = {e.seq: e for e in archived}
    changed: list[tuple[int, list[str]]] = []
    for entry in database:
        kept = by_seq.pop(entry.seq, None)
        if kept is None:
            continue
        fields = [f for f in _FIELDS if _value(kept, f) != _value(entry, f)]
        if fields:
            changed.append((entry.seq, fields))
    for seq, fields in changed[:_SHOWN]:
        findings.append(
            AuditFinding(
                SegmentCode.DB_MISMATCH,
                seq,
                f"Mục #{seq} trong cơ sở dữ liệu khác bản đã lưu trữ (trường {', '.join(fields)}): "
                "nó đã bị sửa sau khi được lưu trữ.",
            )
        )
    if len(changed) > _SHOWN:
        findings.append(
            AuditFinding(
                SegmentCode.DB_MISMATCH,
                changed[_SHOWN][0],
                f"Và {len(changed) - _SHOWN} mục khác cũng khác bản đã lưu trữ.",
            )
        )
    if by_seq:
        missing = sorted(by_seq)
        findings.append(
            AuditFinding(
                SegmentCode.DB_MISSING,
                missing[0],
                f"{len(missing)} mục đã lưu trữ không còn trong cơ sở dữ liệu (đầu tiên: "
                f"#{missing[0]}).",
            )
        )


def _value(entry: StoredEntry, name: str) -> object:
    return format_time(entry.at) if name == "at" else getattr(entry, name)
