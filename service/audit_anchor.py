"""Anchors: an RFC 3161 timestamp over the audit log's head, kept in the database and archived.

An anchor proves that the entry with sequence number ``seq`` had hash ``entry_hash`` at the TSA's
time. The token's messageImprint *is* that hash (SHA-256): the entry hash is already the SHA-256
of the entry's canonical bytes, which commit to every entry before it. So rewriting any entry up
to ``seq`` — however consistently the rewriter recomputes the chain — no longer matches the token.

Where an anchor lives:

- ``audit_anchors`` (database): seq, hash, the token (DER), the TSA's time, the archive key;
- ``audit/anchors/<seq, 12 digits>.tsr`` in the primary archive store: the TSA's whole answer
  (TimeStampResp, DER) as the TSA sent it, create-only and under COMPLIANCE retention. This copy is
  the authority: ``openssl ts -verify -digest <hash> -in <key> -CAfile <root>`` checks it without
  hsdt, and a database rewrite cannot reach it.

The TSA is the one signing uses (``service.signing_env``): ``[pki] tsa_url``, or in demo mode the
development PKI's (served for the duration of the call when nothing answers yet).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, handle_tsp_response
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive import AlreadyExists, ArchiveError, ObjectStore
from service.archiving_config import ArchiveStores, open_archive
from service.audit_chain import GENESIS_HASH, utc, walk_chain
from service.audit_log import (
    AuditLogError,
    Head,
    anchors_table,
    locate_hash,
    read_entries,
    read_head,
)
from service.audit_segments import archive_segment, build_segment, last_segment_seq
from service.context import Context
from service.errors import HsdtError
from service.signing_env import signing_environment
from service.trust import trust_store
from signing.pades import to_asn1_certificate

__all__ = [
    "ANCHOR_PREFIX",
    "AnchorOutcome",
    "AnchorRefused",
    "ArchivedAnchor",
    "AuditAnchorError",
    "StoredAnchor",
    "TokenCheck",
    "anchor_key",
    "anchor_log",
    "check_tokens",
    "read_archived_anchors",
    "read_stored_anchors",
    "token_from_response",
]

ANCHOR_PREFIX = "audit/anchors/"
_KEY = re.compile(r"audit/anchors/(\d{12})\.tsr\Z")
_DIGEST = "sha256"


class AuditAnchorError(HsdtError):
    """An anchor could not be made: the TSA is unreachable or refused, the archive has a different
    anchor for the same entry. Nothing was recorded."""


class AnchorRefused(AuditAnchorError):
    """The entries since the last anchor do not verify: an anchor must not vouch for them."""

    exit_code = 1


def anchor_key(seq: int) -> str:
    return f"{ANCHOR_PREFIX}{seq:012d}.tsr"


def seq_of_key(key: str) -> int | None:
    match = _KEY.match(key)
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class TokenCheck:
    """What a timestamp token says and whether it holds, independent of the log."""

    imprint: str | None  # the SHA-256 messageImprint, hex; None when unreadable or not SHA-256
    tsa_time: datetime | None
    tsa_name: str
    intact: bool  # the TSA's signature covers this content
    trusted: bool  # ... and the TSA certificate chains to a trusted root (at the token's time)
    problem: str | None  # Vietnamese, when the token does not hold

    @property
    def ok(self) -> bool:
        return self.problem is None


def token_from_response(response: bytes) -> bytes:
    """The TimeStampToken (CMS ContentInfo, DER) inside a granted TimeStampResp."""
    parsed = tsp.TimeStampResp.load(response)
    if parsed["status"]["status"].native not in ("granted", "granted_with_mods"):
        raise ValueError("the TSA's answer is not a granted timestamp")
    return bytes(parsed["time_stamp_token"].dump())


def check_tokens(
    tokens: Sequence[bytes], trust_roots: Sequence[x509.Certificate]
) -> list[TokenCheck]:
    """Check each token's signature and its TSA certificate against ``trust_roots``.

    The TSA certificate is validated at the token's own time (an anchor stays proof after the TSA
    certificate expires); revocation is soft-fail without fetching, as nothing is embedded.
    """
    roots = [to_asn1_certificate(c) for c in trust_roots]

    async def run() -> list[TokenCheck]:
        return [await _check_token(t, roots) for t in tokens]

    return asyncio.run(run())


async def _check_token(token: bytes, roots: list[asn1_x509.Certificate]) -> TokenCheck:
    try:
        info = cms.ContentInfo.load(token)
        signed = info["content"]
        tst_info = signed["encap_content_info"]["content"].parsed
        algorithm = tst_info["message_imprint"]["hash_algorithm"]["algorithm"].native
        hashed: bytes = tst_info["message_imprint"]["hashed_message"].native
        gen_time: datetime = tst_info["gen_time"].native
    except (ValueError, KeyError, TypeError, AttributeError):
        return TokenCheck(None, None, "", False, False, "không đọc được dấu thời gian (hỏng)")
    if algorithm != _DIGEST:
        return TokenCheck(
            None, gen_time, "", False, False, f"dấu thời gian dùng {algorithm}, không phải SHA-256"
        )
    context = ValidationContext(
        trust_roots=roots, moment=gen_time, allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        kwargs = await validate_tst_signed_data(signed, context, lambda _algo: hashed)
    except (PyHankoSigningError, ValueError, KeyError, TypeError) as exc:
        return TokenCheck(
            hashed.hex(), gen_time, "", False, False, f"chữ ký của TSA không kiểm tra được ({exc})"
        )
    status = TimestampSignatureStatus(**kwargs)
    name = _common_name(status.signing_cert)
    problem = None
    if not (status.intact and status.valid):
        problem = "chữ ký của TSA trên dấu thời gian không hợp lệ (nội dung đã bị sửa)"
    elif not status.trusted:
        problem = f"chứng thư số của TSA «{name}» không thuộc nơi cấp nào được tin cậy"
    return TokenCheck(
        hashed.hex(), utc(gen_time), name, status.intact and status.valid, status.trusted, problem
    )


def _common_name(cert: asn1_x509.Certificate | None) -> str:
    if cert is None:
        return ""
    return str(cert.subject.native.get("common_name", cert.subject.human_friendly))


async def _request_response(tsa_url: str, digest: bytes) -> bytes:
    from pyhanko.sign.timestamps import HTTPTimeStamper

    async with aiohttp.ClientSession() as session:
        stamper = HTTPTimeStamper(tsa_url, timeout=15, session=session)
        nonce, request = stamper.request_cms(digest, _DIGEST)  # type: ignore[no-untyped-call]
        response = await stamper.async_request_tsa_response(request)
    handle_tsp_response(response, nonce)  # refused, or the wrong nonce: raises
    return bytes(response.dump())


# ---------------------------------------------------------------------------- anchoring


@dataclass(frozen=True)
class AnchorOutcome:
    anchored: bool  # False: nothing new since the last anchor (or fewer than asked for)
    seq: int  # the anchored head (or the last anchor when nothing was done)
    entry_hash: str
    tsa_time: datetime | None
    tsa_name: str
    archive_key: str | None
    store: str | None
    new_entries: int  # entries covered by this anchor and by no earlier one

    def to_json(self) -> dict[str, object]:
        return {
            "anchored": self.anchored,
            "seq": self.seq,
            "entry_hash": self.entry_hash,
            "tsa_time": self.tsa_time.isoformat() if self.tsa_time else None,
            "tsa": self.tsa_name or None,
            "archive_key": self.archive_key,
            "store": self.store,
            "new_entries": self.new_entries,
        }


@dataclass(frozen=True)
class StoredAnchor:
    seq: int
    entry_hash: str
    token: bytes
    tsa_time: datetime
    anchored_at: datetime
    archive_key: str


def read_stored_anchors(session: Session) -> list[StoredAnchor]:
    c = anchors_table.c
    rows = session.execute(select(anchors_table).order_by(c.seq))
    return [
        StoredAnchor(
            int(r.seq),
            r.entry_hash,
            bytes(r.token),
            utc(r.tsa_time),
            utc(r.anchored_at),
            r.archive_key,
        )
        for r in rows
    ]


def anchor_log(ctx: Context, *, min_new_entries: int = 1) -> AnchorOutcome:
    """Timestamp the current head and archive the token; call it after a batch, or from cron.

    Does nothing when fewer than ``min_new_entries`` entries came since the last anchor. Refuses
    (AuditAnchorError) when the entries since the last anchor do not verify: an anchor must never
    vouch for a tampered log. Safe to rerun after an interruption: an anchor archived but not yet
    recorded is picked up from the archive.
    """
    with ctx.sessions() as session:
        head = read_head(session)
        if head is None:
            raise AuditLogError(
                "Nhật ký kiểm tra mất dòng đầu chuỗi (bảng audit_head): không gắn mốc được.",
                hint="Chạy «hsdt audit verify» để xem nhật ký bị can thiệp từ đâu.",
            )
        last = session.execute(
            select(anchors_table.c.seq, anchors_table.c.entry_hash).where(
                anchors_table.c.seq == select(func.max(anchors_table.c.seq)).scalar_subquery()
            )
        ).one_or_none()
        since_seq, since_hash = (int(last.seq), last.entry_hash) if last else (0, GENESIS_HASH)
        new = head.seq - since_seq
        if new < max(min_new_entries, 1):
            return AnchorOutcome(False, since_seq, since_hash, None, "", None, None, max(new, 0))
        _check_since(session, since_seq, since_hash, head)

    if not trust_store(ctx.home).roots:
        raise AuditAnchorError(
            "Chưa có chứng thư gốc nào được tin cậy: không kiểm tra được dấu thời gian của TSA, "
            "nên không gắn mốc.",
            hint="Khai báo trust_roots trong mục pki của hsdt.toml (hoặc chạy «hsdt demo» để thử).",
        )
    with signing_environment(ctx) as environment:
        try:
            response = asyncio.run(
                _request_response(environment.tsa_url, bytes.fromhex(head.entry_hash))
            )
        except (TimeoutError, OSError, aiohttp.ClientError, TimestampRequestError) as exc:
            raise AuditAnchorError(
                f"Máy chủ cấp dấu thời gian {environment.tsa_url} không cấp được dấu thời gian: "
                f"{exc}. Nhật ký không thay đổi.",
                hint="Kiểm tra kết nối tới TSA (khóa tsa_url, mục pki của hsdt.toml) rồi chạy lại "
                "«hsdt audit anchor».",
            ) from exc
        trust_roots = environment.trust_roots

    _usable(response, head, trust_roots)  # nothing untrusted or off-target reaches the archive
    key = anchor_key(head.seq)
    try:
        stores = open_archive(ctx, replica_required=False)
        _archive_entries(ctx, stores, head)  # before the token: an archived anchor has its entries
        response = _archive_response(ctx, stores, key, response, head, trust_roots)
    except ArchiveError as exc:
        raise AuditAnchorError(
            f"Không lưu được mốc {key} vào kho lưu trữ: {exc.message.rstrip('.')}. Nhật ký "
            "không thay đổi; dấu thời gian vừa nhận được bỏ đi.",
            hint="Kiểm tra kho lưu trữ («hsdt archive status») rồi chạy lại «hsdt audit anchor».",
        ) from exc
    token, check = _usable(response, head, trust_roots)  # the archived one (maybe an older run's)
    with ctx.sessions.begin() as session:
        try:
            with session.begin_nested():
                session.execute(
                    insert(anchors_table).values(
                        seq=head.seq,
                        entry_hash=head.entry_hash,
                        token=token,
                        tsa_time=check.tsa_time,
                        anchored_at=utc(ctx.clock.now()),
                        archive_key=key,
                    )
                )
        except IntegrityError:
            pass  # a concurrent run recorded the same anchor (the archived copy is the same one)
    return AnchorOutcome(
        True,
        head.seq,
        head.entry_hash,
        check.tsa_time,
        check.tsa_name,
        key,
        stores.primary.name,
        new,
    )


def _usable(
    response: bytes, head: Head, trust_roots: Sequence[x509.Certificate]
) -> tuple[bytes, TokenCheck]:
    """The token of a TSA answer, when it is trusted and certifies the head's hash."""
    try:
        token = token_from_response(response)
    except (ValueError, TypeError, KeyError) as exc:
        raise AuditAnchorError(
            f"Câu trả lời của TSA cho đầu chuỗi #{head.seq} không phải dấu thời gian hợp lệ "
            f"({exc}).",
            hint="Kiểm tra tsa_url trong mục pki của hsdt.toml: phải là một TSA RFC 3161.",
        ) from exc
    check = check_tokens([token], trust_roots)[0]
    if not check.ok or check.imprint != head.entry_hash or check.tsa_time is None:
        raise AuditAnchorError(
            f"Dấu thời gian TSA trả về cho đầu chuỗi #{head.seq} không dùng được: "
            f"{check.problem or 'nó không chứng nhận hàm băm đã gửi'}.",
            hint="Kiểm tra tsa_url và trust_roots trong mục pki của hsdt.toml.",
        )
    return token, check


def _check_since(session: Session, since_seq: int, since_hash: str, head: Head) -> None:
    walk = walk_chain(
        read_entries(session, from_seq=since_seq + 1, to_seq=head.seq),
        locate=lambda digest: locate_hash(session, digest),
        start_seq=since_seq + 1,
        start_prev=since_hash,
    )
    problem = walk.finding.message if walk.finding else None
    if problem is None and (walk.last_seq, walk.last_hash) != (head.seq, head.entry_hash):
        problem = f"đầu chuỗi ghi #{head.seq} nhưng mục cuối đọc được là #{walk.last_seq}"
    if problem is not None:
        raise AnchorRefused(
            f"Không gắn mốc: nhật ký kiểm tra sau mốc #{since_seq} không nguyên vẹn — {problem}",
            hint="Chạy «hsdt audit verify» và báo cho người phụ trách an toàn thông tin; mốc "
            "thời gian không được xác nhận một nhật ký đã bị can thiệp.",
        )


def _archive_entries(ctx: Context, stores: ArchiveStores, head: Head) -> None:
    """Archive the entries after the last archived segment up to the head (service.audit_segments).

    Starting from the last *segment* rather than the last anchor makes the first anchor of a home
    anchored before segments existed archive the whole log, and never overlaps a segment left by
    an interrupted run.
    """
    store = stores.primary
    start = last_segment_seq(store) + 1
    if start > head.seq:
        return  # an interrupted run archived them already
    with ctx.sessions() as session:
        segment = build_segment(read_entries(session, from_seq=start, to_seq=head.seq))
    if segment is not None:
        archive_segment(store, segment, stores.retention.retention_for(ctx.clock.now()))


def _archive_response(
    ctx: Context,
    stores: ArchiveStores,
    key: str,
    response: bytes,
    head: Head,
    trust_roots: Sequence[x509.Certificate],
) -> bytes:
    """Put the TSA's answer into the archive; an anchor left by an interrupted run is reused."""
    store = stores.primary
    retention = stores.retention.retention_for(ctx.clock.now())
    try:
        store.put(key, response, retention=retention, content_type="application/timestamp-reply")
        return response
    except AlreadyExists:
        existing = store.get(key).data
    try:
        check = check_tokens([token_from_response(existing)], trust_roots)[0]
    except ValueError:
        check = None
    if check is None or check.imprint != head.entry_hash:
        raise AuditAnchorError(
            f"Kho lưu trữ {store.name} đã có mốc {key} cho mục #{head.seq} nhưng mốc đó chứng "
            "nhận một hàm băm khác: nhật ký trong cơ sở dữ liệu đã bị viết lại sau khi gắn mốc.",
            hint="Chạy «hsdt audit verify»; không xoá đối tượng lưu trữ này (nó là bằng chứng).",
        )
    return existing


@dataclass(frozen=True)
class ArchivedAnchor:
    seq: int
    key: str
    token: bytes | None  # None: the object could not be read or is not a granted TimeStampResp
    problem: str | None


def read_archived_anchors(store: ObjectStore) -> Iterator[ArchivedAnchor]:
    """Every anchor object in ``store`` (its bytes verified against the store's checksums)."""
    for listed in store.list_objects(ANCHOR_PREFIX):
        seq = seq_of_key(listed.key)
        if seq is None:
            continue
        try:
            data = store.get(listed.key).data
            yield ArchivedAnchor(seq, listed.key, token_from_response(data), None)
        except ArchiveError as exc:
            yield ArchivedAnchor(seq, listed.key, None, exc.message)
        except ValueError:
            yield ArchivedAnchor(seq, listed.key, None, "không phải câu trả lời TSA hợp lệ")
