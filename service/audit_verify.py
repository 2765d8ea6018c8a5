"""``hsdt audit verify``: recompute the audit log's chain and check every anchor.

One pass over the entries in sequence order (streamed: memory does not grow with the log). It
reports the first edited, removed, inserted or reordered entry with its sequence number, rows
written around the log, a head that does not match the last entry, and for every anchor — from
the database and from the archive, the archived copy being the authority — whether its token
holds and still certifies the hash its entry has now.

What it cannot see, by construction: entries appended (or the tail cut off, head row included)
after the last anchor by someone who recomputes the hashes. Anchoring often narrows that window;
docs/audit-log.md says so.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cryptography import x509

from archive import ArchiveError
from service.archiving_config import open_archive
from service.audit_anchor import (
    ArchivedAnchor,
    StoredAnchor,
    TokenCheck,
    check_tokens,
    read_archived_anchors,
    read_stored_anchors,
)
from service.audit_chain import ChainCode, walk_chain
from service.audit_log import Head, locate_hash, read_entries, read_head, unchained_rows
from service.context import Context
from service.errors import HsdtError
from service.trust import trust_store

__all__ = ["AnchorCode", "AnchorReport", "AuditFinding", "AuditVerification", "verify_audit_log"]


class AnchorCode(StrEnum):
    MISMATCH = "audit.anchor_mismatch"  # the entry no longer has the hash the token certifies
    ENTRY_MISSING = "audit.anchor_entry_missing"  # the anchored entry is gone
    TOKEN_INVALID = "audit.anchor_invalid"  # unreadable, or the TSA signature does not hold
    TOKEN_UNTRUSTED = "audit.anchor_untrusted"  # the TSA certificate chains to no trusted root
    REPLACED = "audit.anchor_replaced"  # the database's token or hash differs from the archive's
    NOT_ARCHIVED = "audit.anchor_not_archived"  # in the database, not in the archive
    NOT_IN_DATABASE = "audit.anchor_not_in_database"  # archived, but its database row is gone
    ARCHIVE_UNREADABLE = "audit.anchors_unreadable"  # the archive could not be listed or read


@dataclass(frozen=True)
class AuditFinding:
    code: str  # a ChainCode or AnchorCode value
    seq: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "seq": self.seq, "message": self.message}


@dataclass(frozen=True)
class AnchorReport:
    seq: int
    certified_hash: str | None  # what the token certifies
    tsa_time: datetime | None
    tsa_name: str
    archive_key: str | None
    in_database: bool
    archived: bool
    ok: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "certified_hash": self.certified_hash,
            "tsa_time": self.tsa_time.isoformat() if self.tsa_time else None,
            "tsa": self.tsa_name or None,
            "archive_key": self.archive_key,
            "in_database": self.in_database,
            "archived": self.archived,
            "ok": self.ok,
        }


@dataclass(frozen=True)
class AuditVerification:
    entries: int
    head: Head | None
    anchors: tuple[AnchorReport, ...]
    findings: tuple[AuditFinding, ...]
    store: str | None  # the archive store the anchors were read from
    seconds: float
    demo_trust: bool = field(default=False)  # the development PKI was among the trusted roots

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def last_good_anchor(self) -> AnchorReport | None:
        good = [a for a in self.anchors if a.ok]
        return good[-1] if good else None

    @property
    def unanchored(self) -> int:
        """Entries after the last good anchor: protected by the chain alone."""
        last = self.last_good_anchor
        return max((self.head.seq if self.head else self.entries) - (last.seq if last else 0), 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head": {"seq": self.head.seq, "entry_hash": self.head.entry_hash}
            if self.head
            else None,
            "unanchored_entries": self.unanchored,
            "anchors": [a.to_json() for a in self.anchors],
            "findings": [f.to_json() for f in self.findings],
            "store": self.store,
            "demo_trust": self.demo_trust,
            "seconds": round(self.seconds, 3),
        }


def verify_audit_log(ctx: Context) -> AuditVerification:
    """Verify the whole log and every anchor. Never changes anything."""
    started = time.perf_counter()
    findings: list[AuditFinding] = []
    with ctx.sessions() as session:
        head = read_head(session)
        stored = {a.seq: a for a in read_stored_anchors(session)}
    archived, store_name = _archived_anchors(ctx, findings)
    archive_read = store_name is not None
    seqs = sorted(set(stored) | set(archived))

    with ctx.sessions() as session:
        walk = walk_chain(
            read_entries(session),
            locate=lambda digest: locate_hash(session, digest),
            remember=frozenset(seqs),
        )
        unchained, examples = unchained_rows(session)
    if walk.finding is not None:
        findings.append(AuditFinding(walk.finding.code, walk.finding.seq, walk.finding.message))
    if unchained:
        shown = ", ".join(f"id {r.id} ({r.action}, {r.subject})" for r in examples)
        findings.append(
            AuditFinding(
                ChainCode.INSERTED,
                None,
                f"{unchained} dòng trong bảng events không có số thứ tự trong chuỗi: chúng được "
                f"ghi thẳng vào cơ sở dữ liệu, không qua nhật ký kiểm tra ({shown}).",
            )
        )
    findings += _head_findings(head, walk.last_seq, walk.last_hash)

    trust = trust_store(ctx.home)
    anchors = _check_anchors(
        seqs, stored, archived, archive_read, walk.hashes_at, trust.roots, findings
    )
    return AuditVerification(
        walk.entries,
        head,
        tuple(anchors),
        tuple(findings),
        store_name,
        time.perf_counter() - started,
        trust.demo_mode,
    )


def _archived_anchors(
    ctx: Context, findings: list[AuditFinding]
) -> tuple[dict[int, ArchivedAnchor], str | None]:
    try:
        store = open_archive(ctx, replica_required=False).primary
        return {a.seq: a for a in read_archived_anchors(store)}, store.name
    except (ArchiveError, HsdtError) as exc:
        findings.append(
            AuditFinding(
                AnchorCode.ARCHIVE_UNREADABLE,
                None,
                f"Không đọc được các mốc thời gian trong kho lưu trữ ({exc.message.rstrip('.')}): "
                "chỉ kiểm tra được bản sao trong cơ sở dữ liệu, nên chưa thể khẳng định nhật ký "
                "nguyên vẹn.",
            )
        )
        return {}, None


def _head_findings(head: Head | None, last_seq: int, last_hash: str) -> list[AuditFinding]:
    if head is None:
        return [
            AuditFinding(
                ChainCode.HEAD_MISMATCH,
                None,
                "Dòng đầu chuỗi (bảng audit_head) đã bị xoá: không ghi thêm được mục nào.",
            )
        ]
    if head.seq > last_seq:
        gone = (
            f"số {head.seq}" if head.seq == last_seq + 1 else f"từ số {last_seq + 1} đến {head.seq}"
        )
        return [
            AuditFinding(
                ChainCode.REMOVED,
                last_seq + 1,
                f"Thiếu mục {gone} ở cuối nhật ký: đầu chuỗi ghi mục cuối là #{head.seq}, nhưng "
                f"mục cuối còn lại là #{last_seq} (nhật ký bị cắt đuôi).",
            )
        ]
    if head.seq < last_seq:
        return [
            AuditFinding(
                ChainCode.INSERTED,
                head.seq + 1,
                f"Có mục sau đầu chuỗi #{head.seq} (đến #{last_seq}): chúng được ghi thẳng vào cơ "
                "sở dữ liệu, không qua nhật ký kiểm tra.",
            )
        ]
    if head.entry_hash != last_hash:
        return [
            AuditFinding(
                ChainCode.HEAD_MISMATCH,
                head.seq,
                f"Đầu chuỗi ghi hàm băm {head.entry_hash[:16]}… cho mục #{head.seq}, nhưng mục đó "
                f"mang {last_hash[:16]}…: mục cuối đã bị thay.",
            )
        ]
    return []


def _check_anchors(
    seqs: list[int],
    stored: dict[int, StoredAnchor],
    archived: dict[int, ArchivedAnchor],
    archive_read: bool,
    hashes_at: dict[int, str],
    trust_roots: Sequence[x509.Certificate],
    findings: list[AuditFinding],
) -> list[AnchorReport]:
    # the archived token is the authority; the database's copy is checked against it
    tokens = []
    for seq in seqs:
        arch = archived.get(seq)
        token = arch.token if arch is not None and arch.token is not None else None
        tokens.append(token if token is not None else stored[seq].token if seq in stored else b"")
    checks = check_tokens(tokens, trust_roots)
    reports = []
    last_good = 0
    for seq, check in zip(seqs, checks, strict=True):
        db, arch = stored.get(seq), archived.get(seq)
        problems = _anchor_problems(
            seq, check, db, arch, archive_read, hashes_at.get(seq), last_good
        )
        findings += problems
        ok = not problems
        if ok:
            last_good = seq
        reports.append(
            AnchorReport(
                seq,
                check.imprint,
                check.tsa_time,
                check.tsa_name,
                arch.key if arch else db.archive_key if db else None,
                db is not None,
                arch is not None and arch.token is not None,
                ok,
            )
        )
    return reports


def _anchor_problems(
    seq: int,
    check: TokenCheck,
    db: StoredAnchor | None,
    arch: ArchivedAnchor | None,
    archive_read: bool,
    current: str | None,
    last_good: int,
) -> list[AuditFinding]:
    out: list[AuditFinding] = []
    when = check.tsa_time.strftime("%d/%m/%Y %H:%M:%S UTC") if check.tsa_time else "?"

    def add(code: AnchorCode, message: str) -> None:
        out.append(AuditFinding(code, seq, f"Mốc #{seq}: {message}"))

    if arch is None:
        if archive_read:  # an unreadable archive is reported once, not per anchor
            add(AnchorCode.NOT_ARCHIVED, "có trong cơ sở dữ liệu nhưng không có trong kho lưu trữ.")
    elif arch.token is None:
        add(AnchorCode.TOKEN_INVALID, f"bản lưu trữ {arch.key} không dùng được: {arch.problem}.")
    if db is None:
        add(
            AnchorCode.NOT_IN_DATABASE,
            f"có trong kho lưu trữ ({arch.key if arch else '?'}) nhưng dòng của nó trong bảng "
            "audit_anchors đã bị xoá.",
        )
    elif arch is not None and arch.token is not None and db.token != arch.token:
        add(AnchorCode.REPLACED, "dấu thời gian trong cơ sở dữ liệu khác bản trong kho lưu trữ.")
    if db is not None and check.imprint is not None and db.entry_hash != check.imprint:
        add(
            AnchorCode.REPLACED,
            "hàm băm ghi trong bảng audit_anchors khác hàm băm được chứng nhận.",
        )
    if not check.ok:
        code = AnchorCode.TOKEN_INVALID if not check.intact else AnchorCode.TOKEN_UNTRUSTED
        add(code, f"{check.problem}.")
        return out
    if current is None:
        add(
            AnchorCode.ENTRY_MISSING,
            f"mục #{seq}, được chứng nhận lúc {when}, không còn trong nhật ký (bị xoá).",
        )
    elif current != check.imprint:
        first = last_good + 1
        span = f"mục #{seq}" if first == seq else f"các mục từ #{first} đến #{seq}"
        add(
            AnchorCode.MISMATCH,
            f"{span} đã bị viết lại sau khi gắn mốc lúc {when} (mục #{seq} nay mang hàm băm "
            f"{current[:16]}…, dấu thời gian chứng nhận {(check.imprint or '')[:16]}…).",
        )
    return out
