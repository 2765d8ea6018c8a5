"""Verification for anyone: an uploaded PDF or a document id → one verdict in plain Vietnamese.

``verify_upload`` runs the input guards and the offline verification (``signing.verify``) in a
limited child process (``service.public_worker``), then compares the file with the archive and the
versions table (``service.public_lookup``). ``lookup_document`` answers for a document id alone
(the QR code on every page) and reveals only public facts. Both return data with ``to_json()``;
the pages in ``api/public`` and the JSON API show the same thing.

The headline verdict, first match wins:

1. ``tampered``        a signature or timestamp no longer matches the bytes, was removed, or
                       the file changed after signing in a way the signatures do not allow;
2. ``unknown_signer``  intact, but a certificate does not chain to a trusted root (or was revoked);
3. ``superseded``      genuine, but a correction replaced it: the current version is named;
4. ``incomplete``      genuine so far, but not every slot is signed or the archival timestamp
                       (PAdES B-LTA) is missing;
5. ``unsigned``        no signature at all;
6. ``invalid``         any other error finding;
7. ``valid``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from service.context import Context
from service.errors import HsdtError
from service.public_guard import GuardLimits, PdfFacts
from service.public_lookup import (
    DocumentStatus,
    ExtractStatus,
    VersionInfo,
    archived_document_id,
    document_status,
    extract_of_sha256,
    extract_status,
    is_extract_id,
)
from service.public_worker import run_verification
from service.trust import trust_store
from signing.appearance import VIETNAM_TIME
from signing.verify import FindingCode, Severity, VerificationReport

__all__ = [
    "DEMO_NOTICE",
    "ArchiveMatch",
    "ExtractLookup",
    "PublicLimits",
    "PublicLookup",
    "PublicVerdict",
    "Verdict",
    "lookup_document",
    "lookup_extract",
    "public_limits",
    "verify_upload",
]

EXTRACT_TYPE = "Trích lục học bạ"
DEMO_NOTICE = (
    "CHẾ ĐỘ THỬ NGHIỆM: hệ thống đang tin cậy PKI phát triển (không phải Root CA quốc gia). "
    "Kết quả chỉ để chạy thử, chữ ký không có giá trị pháp lý."
)


class Verdict(StrEnum):
    VALID = "valid"
    TAMPERED = "tampered"
    UNKNOWN_SIGNER = "unknown_signer"
    SUPERSEDED = "superseded"
    INCOMPLETE = "incomplete"
    UNSIGNED = "unsigned"
    INVALID = "invalid"

    @property
    def headline(self) -> str:
        return _HEADLINES[self]

    @property
    def tone(self) -> str:  # the page's colour: good / bad / warn
        if self is Verdict.VALID:
            return "good"
        return "warn" if self in (Verdict.SUPERSEDED, Verdict.INCOMPLETE) else "bad"


_HEADLINES = {
    Verdict.VALID: "Hợp lệ",
    Verdict.TAMPERED: "Đã bị sửa đổi",
    Verdict.UNKNOWN_SIGNER: "Không rõ nguồn gốc chữ ký",
    Verdict.SUPERSEDED: "Đã được thay thế bởi bản đính chính",
    Verdict.INCOMPLETE: "Chưa hoàn tất ký",
    Verdict.UNSIGNED: "Chưa được ký số",
    Verdict.INVALID: "Không hợp lệ",
}
# Finding codes by value (``signing.verify.FindingCode``), so that a code added there later
# (e.g. "sig.malformed", a forged signature dictionary) can be classed here without an import.
_TAMPERING = {
    "sig.not_intact",
    "sig.invalid",
    "sig.bad_coverage",
    "sig.modified_after",
    "sig.removed",
    "sig.malformed",
    "ts.not_intact",
    "ts.modified_after",
    "lta.not_last",
}
_UNTRUSTED = {"sig.untrusted", "sig.revoked", "ts.untrusted"}
_INCOMPLETE = {"doc.unsigned_field", "lta.missing"}


@dataclass(frozen=True)
class PublicLimits:
    """``[verification]`` in hsdt.toml: max_upload_mb, timeout_seconds, rate_per_minute,
    rate_burst, concurrent (defaults below)."""

    guard: GuardLimits = field(default_factory=GuardLimits)
    timeout_seconds: float = 30.0
    rate_per_minute: float = 12.0
    rate_burst: int = 6
    concurrent: int = 2


def public_limits(ctx: Context) -> PublicLimits:
    try:
        table = tomllib.loads(ctx.home.config_path.read_text("utf-8")).get("verification", {})
        default = PublicLimits()
        upload = int(float(table.get("max_upload_mb", 20)) * 1024 * 1024)
        return PublicLimits(
            guard=GuardLimits(max_upload_bytes=upload),
            timeout_seconds=float(table.get("timeout_seconds", default.timeout_seconds)),
            rate_per_minute=float(table.get("rate_per_minute", default.rate_per_minute)),
            rate_burst=int(table.get("rate_burst", default.rate_burst)),
            concurrent=int(table.get("concurrent", default.concurrent)),
        )
    except (OSError, tomllib.TOMLDecodeError, TypeError, ValueError) as exc:
        raise HsdtError(
            f"Cấu hình [verification] trong hsdt.toml không hợp lệ: {exc}.",
            hint="Các giá trị max_upload_mb, timeout_seconds, rate_per_minute, rate_burst, "
            "concurrent phải là số.",
        ) from exc


def local_time(at: datetime | None) -> str | None:
    if at is None:
        return None
    local = at.astimezone(VIETNAM_TIME)
    return f"{local:%H:%M:%S} ngày {local:%d/%m/%Y}"


@dataclass(frozen=True)
class ArchiveMatch:
    """How the uploaded bytes relate to what this installation holds for the document."""

    status: str  # archived | known_version | differs | unknown
    message: str
    matched_version: int | None
    current_version: int | None
    superseded_by: int | None  # a correction's version number
    renewed_by: int | None  # a later version with the same content (timestamp renewal)
    original_id: str | None = None  # an extract: the record it was made from

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "matched_version": self.matched_version,
            "current_version": self.current_version,
            "superseded_by": self.superseded_by,
            "renewed_by": self.renewed_by,
            "original_id": self.original_id,
        }


@dataclass(frozen=True)
class SignerLine:
    name: str
    role: str | None
    time: datetime | None  # the signature timestamp (trusted time); else the claimed time
    time_trusted: bool
    issuer: str
    intact: bool
    trusted: bool
    changes_after: str  # what happened to the file after this signature, in words
    ok: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "time": self.time.isoformat() if self.time else None,
            "time_local": local_time(self.time),
            "time_trusted": self.time_trusted,
            "issuer": self.issuer,
            "intact": self.intact,
            "trusted": self.trusted,
            "changes_after": self.changes_after,
            "ok": self.ok,
        }


_CHANGES = {
    "none": "không có thay đổi nào sau chữ ký",
    "lta_updates": "sau chữ ký chỉ bổ sung dữ liệu kiểm tra và dấu thời gian",
    "form_filling": "sau chữ ký chỉ có thêm các chữ ký tiếp theo",
    "annotations": "sau chữ ký có thêm chú thích",
    "other": "sau chữ ký tệp bị sửa ngoài phạm vi cho phép",
}


@dataclass(frozen=True)
class PublicVerdict:
    verdict: Verdict
    explanation: str
    demo_mode: bool
    sha256: str
    size: int
    document_id: str | None
    record_type: str | None
    school_name: str | None
    signers: tuple[SignerLine, ...]
    lta_status: str
    lta_text: str
    lta_last_timestamp: datetime | None
    lta_valid_until: datetime | None
    archive: ArchiveMatch
    problems: tuple[str, ...]
    report: VerificationReport

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "headline": self.verdict.headline,
            "explanation": self.explanation,
            "demo_mode": self.demo_mode,
            "demo_notice": DEMO_NOTICE if self.demo_mode else None,
            "file": {"sha256": self.sha256, "size": self.size},
            "document": {
                "id": self.document_id,
                "record_type": self.record_type,
                "school": self.school_name,
            },
            "signers": [s.to_json() for s in self.signers],
            "lta": {
                "status": self.lta_status,
                "text": self.lta_text,
                "last_timestamp": _iso(self.lta_last_timestamp),
                "valid_until": _iso(self.lta_valid_until),
            },
            "archive": self.archive.to_json(),
            "problems": list(self.problems),
            "report": self.report.to_json(),
        }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


class TrustNotConfigured(HsdtError):
    """The installation's trust store is empty or broken: no verdict can be given."""


def trust_material(ctx: Context) -> tuple[tuple[bytes, ...], bool]:
    try:
        store = trust_store(ctx.home)
    except HsdtError as exc:
        raise TrustNotConfigured(exc.message, hint=exc.hint) from exc
    if not store.roots:
        raise TrustNotConfigured(
            "Hệ thống chưa được cấu hình chứng thư gốc nào để kiểm tra chữ ký.",
            hint="Quản trị viên: khai báo [pki] trust_roots trong hsdt.toml (xem docs/trust.md).",
        )
    return tuple(r.public_bytes(Encoding.DER) for r in store.roots), store.demo_mode


def verify_upload(ctx: Context, data: bytes, limits: PublicLimits) -> PublicVerdict:
    """Guards, verification (child process, time limit), archive comparison, verdict."""
    roots, demo = trust_material(ctx)
    result = run_verification(
        data, roots=roots, demo=demo, limits=limits.guard, timeout=limits.timeout_seconds
    )
    report = result.report
    extract = _extract_for(ctx, result.facts, report.sha256)
    status = None if extract is not None else _status_for(ctx, result.facts, report.sha256)
    archive = (
        _extract_match(extract, report.sha256)
        if extract is not None
        else _archive_match(status, report.sha256)
    )
    verdict = _verdict(report, archive)
    lta_text, valid_until = _lta_text(report)
    return PublicVerdict(
        verdict=verdict,
        explanation=_explanation(verdict, report, archive),
        demo_mode=report.demo_mode or demo,
        sha256=report.sha256,
        size=report.size,
        document_id=(
            extract.document_id
            if extract
            else status.document_id
            if status
            else result.facts.document_id
        ),
        record_type=EXTRACT_TYPE if extract else status.record_type if status else None,
        school_name=extract.school_name if extract else status.school_name if status else None,
        signers=tuple(
            SignerLine(
                name=s.signer_name,
                role=s.role,
                time=s.timestamp.time if s.timestamp else s.claimed_time,
                time_trusted=s.timestamp is not None and s.timestamp.trusted,
                issuer=result.issuers.get(s.field_name, "không rõ"),
                intact=s.intact and s.valid,
                trusted=s.trusted,
                changes_after=_change_text(s.modification_level, s.changes_allowed),
                ok=s.ok,
            )
            for s in report.signatures
        ),
        lta_status=report.lta.status,
        lta_text=lta_text,
        lta_last_timestamp=report.lta.last_timestamp,
        lta_valid_until=valid_until,
        archive=archive,
        problems=tuple(f.message for f in report.findings if f.severity is Severity.ERROR),
        report=report,
    )


def _status_for(ctx: Context, facts: PdfFacts, sha256: str) -> DocumentStatus | None:
    # the archive's word first (exact bytes); the file's own claim only as a fallback
    document_id = archived_document_id(ctx, sha256) or facts.document_id
    return document_status(ctx, document_id) if document_id else None


def _extract_for(ctx: Context, facts: PdfFacts, sha256: str) -> ExtractStatus | None:
    """An extract this installation issued: by its exact bytes, else by the id the file names."""
    document_id = extract_of_sha256(ctx, sha256)
    if document_id is None and facts.document_id and is_extract_id(facts.document_id):
        document_id = facts.document_id
    return extract_status(ctx, document_id) if document_id else None


def _original_words(extract: ExtractStatus) -> str:
    original = f"bản gốc {extract.original_id} phiên bản {extract.original_version}"
    if extract.original is None:
        return f"Trích từ {original} (hệ thống không còn thông tin về bản gốc)."
    if extract.original_superseded_by is not None:
        return (
            f"Trích từ {original}; bản gốc này sau đó đã được đính chính (bản hiện hành: phiên "
            f"bản {extract.original.current.version}), nội dung trích lục có thể không còn đúng."
        )
    return f"Trích từ {original}, vẫn là bản hiện hành."


def _extract_match(extract: ExtractStatus, sha256: str) -> ArchiveMatch:
    """An extract is one version; a correction of its original does not make it "superseded"
    (it was true when issued), the message says so instead."""
    if extract.pdf_sha256 != sha256:
        return ArchiveMatch(
            "differs",
            f"Tệp KHÔNG trùng khớp với trích lục {extract.document_id} do nhà trường cấp và lưu "
            "trữ.",
            None,
            1,
            None,
            None,
            original_id=extract.original_id,
        )
    if extract.archived_at is not None:
        where = (
            f"Tệp trùng khớp từng byte với trích lục {extract.document_id} đã lưu trữ lúc "
            f"{local_time(extract.archived_at)}."
        )
        kind = "archived_extract"
    else:
        where = (
            f"Tệp trùng khớp với trích lục {extract.document_id} nhà trường đã cấp (trích lục "
            "này cấp trước khi trích lục được đưa vào kho lưu trữ)."
        )
        kind = "known_extract"
    return ArchiveMatch(
        kind, f"{where} {_original_words(extract)}", 1, 1, None, None, extract.original_id
    )


def _archive_match(status: DocumentStatus | None, sha256: str) -> ArchiveMatch:
    if status is None:
        return ArchiveMatch(
            "unknown",
            "Hệ thống này không lưu hồ sơ nào tương ứng với tệp (có thể tệp do nơi khác phát "
            "hành).",
            None,
            None,
            None,
            None,
        )
    current = status.current.version
    version = status.version_of_sha256(sha256)
    if version is None:
        return ArchiveMatch(
            "differs",
            f"Tệp KHÔNG trùng khớp với bất kỳ bản nào của hồ sơ {status.document_id} được lưu "
            f"trong hệ thống (bản hiện hành: phiên bản {current}).",
            None,
            current,
            None,
            None,
        )
    correction = status.correction_after(version)
    renewal = _renewal_after(status, version) if correction is None else None
    if version.archived_sha256 == sha256:
        where = (
            f"Tệp trùng khớp từng byte với bản gốc phiên bản {version.version} đã lưu trữ "
            f"lúc {local_time(version.archived_at)}."
        )
        kind = "archived"
    else:
        where = (
            f"Tệp trùng khớp với phiên bản {version.version} của hồ sơ trong hệ thống "
            "(phiên bản này chưa được đưa vào kho lưu trữ)."
        )
        kind = "known_version"
    if correction is not None:
        where += (
            f" Hồ sơ đã được đính chính: bản hiện hành là phiên bản {current} "
            f"(mã hồ sơ {status.document_id})."
        )
    elif renewal is not None:
        where += (
            f" Phiên bản {renewal.version} có cùng nội dung, chỉ gia hạn dấu thời gian lưu trữ."
        )
    return ArchiveMatch(
        kind,
        where,
        version.version,
        current,
        correction.version if correction else None,
        renewal.version if renewal else None,
    )


def _renewal_after(status: DocumentStatus, version: VersionInfo) -> VersionInfo | None:
    later = [v for v in status.versions if v.version > version.version]
    return later[-1] if later else None


def _verdict(report: VerificationReport, archive: ArchiveMatch) -> Verdict:
    codes = {f.code.value for f in report.findings if f.severity is Severity.ERROR}
    if FindingCode.DOC_NOT_PDF.value in codes:
        return Verdict.INVALID
    if codes & _TAMPERING:
        return Verdict.TAMPERED
    if FindingCode.DOC_NO_SIGNATURES.value in codes:
        return Verdict.UNSIGNED
    if codes & _UNTRUSTED:
        return Verdict.UNKNOWN_SIGNER
    if archive.superseded_by is not None:
        return Verdict.SUPERSEDED
    if codes & _INCOMPLETE:
        return Verdict.INCOMPLETE
    if codes:
        return Verdict.INVALID
    return Verdict.VALID


def _explanation(verdict: Verdict, report: VerificationReport, archive: ArchiveMatch) -> str:
    n = len(report.signatures)
    if verdict is Verdict.VALID:
        return (
            f"Tệp nguyên vẹn: {n} chữ ký số đều hợp lệ, do chứng thư tin cậy cấp, và tệp không "
            "bị thay đổi sau khi ký ngoài những bổ sung được phép."
        )
    if verdict is Verdict.TAMPERED:
        return (
            "Nội dung tệp đã bị thay đổi sau khi ký: đây không phải bản gốc. Không sử dụng tệp "
            "này; hãy xin lại bản gốc từ nhà trường."
        )
    if verdict is Verdict.UNKNOWN_SIGNER:
        return (
            "Tệp không bị sửa sau khi ký, nhưng chứng thư số của người ký không do tổ chức cung "
            "cấp dịch vụ chứng thực được hệ thống tin cậy cấp (hoặc đã bị thu hồi): không xác "
            "định được ai đã ký."
        )
    if verdict is Verdict.SUPERSEDED:
        return (
            f"Chữ ký hợp lệ, nhưng hồ sơ đã được đính chính: phiên bản {archive.matched_version} "
            f"này đã được thay thế bởi phiên bản {archive.superseded_by}. Hãy dùng bản hiện hành."
        )
    if verdict is Verdict.INCOMPLETE:
        return (
            "Các chữ ký hiện có hợp lệ, nhưng hồ sơ chưa được ký đủ hoặc chưa có dấu thời gian "
            "lưu trữ dài hạn: chưa phải bản hoàn chỉnh."
        )
    if verdict is Verdict.UNSIGNED:
        return "Tệp không có chữ ký số nào nên không thể xác minh nguồn gốc."
    return "Tệp không đáp ứng yêu cầu của hồ sơ điện tử đã ký; xem chi tiết các lỗi bên dưới."


def _change_text(level: str | None, allowed: bool | None) -> str:
    if level is None:
        return "không xác định được các thay đổi sau chữ ký"
    text = _CHANGES.get(level, level)
    if allowed is False:
        return text + " (KHÔNG được phép)"
    return text


def _lta_text(report: VerificationReport) -> tuple[str, datetime | None]:
    lta = report.lta
    if lta.status == "ok":
        return (
            f"Đạt PAdES B-LTA: dấu thời gian lưu trữ lúc {local_time(lta.last_timestamp)}, "
            f"kiểm tra được chỉ với dữ liệu trong tệp; còn hiệu lực đến "
            f"{local_time(lta.renew_before)} (trước đó hệ thống gia hạn dấu thời gian).",
            lta.renew_before,
        )
    if lta.status == "missing":
        return "Chưa có dấu thời gian lưu trữ dài hạn (PAdES B-LTA).", None
    return "Dấu thời gian lưu trữ dài hạn KHÔNG đạt.", None


@dataclass(frozen=True)
class PublicLookup:
    """The answer to a document id (and the check code from the QR link): public facts only."""

    status: DocumentStatus
    check_code: str | None
    check_version: int | None  # the version whose content the check code names
    superseded_by: int | None
    demo_mode: bool
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            **self.status.to_json(),
            "check_code": self.check_code,
            "check_code_version": self.check_version,
            "superseded_by": self.superseded_by,
            "message": self.message,
            "demo_mode": self.demo_mode,
            "demo_notice": DEMO_NOTICE if self.demo_mode else None,
            "note": "Chỉ hiển thị thông tin công khai; để xác minh nội dung và chữ ký, hãy tải "
            "tệp lên.",
        }


class DocumentNotFound(HsdtError):
    pass


def lookup_document(ctx: Context, document_id: str, check_code: str | None) -> PublicLookup:
    status = document_status(ctx, document_id)
    if status is None:
        raise DocumentNotFound(
            f"Không tìm thấy hồ sơ có mã «{document_id}».",
            hint="Kiểm tra lại mã hồ sơ in ở chân trang, hoặc tải tệp PDF lên để kiểm tra.",
        )
    _, demo = trust_material(ctx)
    current = status.current
    version = status.version_of_short_hash(check_code) if check_code else None
    correction = status.correction_after(version) if version else None
    if check_code and version is None:
        message = (
            f"Mã kiểm tra «{check_code}» KHÔNG khớp với nội dung của bất kỳ phiên bản nào của "
            "hồ sơ này: bản giấy hoặc tệp bạn có có thể đã bị sửa."
        )
    elif correction is not None and version is not None:
        message = (
            f"Mã kiểm tra khớp với phiên bản {version.version}, nhưng hồ sơ đã được đính chính: "
            f"bản hiện hành là phiên bản {current.version}."
        )
    elif version is not None:
        message = f"Mã kiểm tra khớp với nội dung phiên bản hiện hành ({current.version})."
    else:
        message = f"Hồ sơ có {len(status.versions)} phiên bản; bản hiện hành là {current.version}."
    return PublicLookup(
        status=status,
        check_code=check_code,
        check_version=version.version if version else None,
        superseded_by=correction.version if correction else None,
        demo_mode=demo,
        message=message,
    )


@dataclass(frozen=True)
class ExtractLookup:
    """The answer to an extract's id ("TL-…"): public facts only, and its original's state."""

    status: ExtractStatus
    check_code: str | None
    check_matches: bool | None  # None: no check code given
    demo_mode: bool
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            **self.status.to_json(),
            "issued_at_local": local_time(self.status.issued_at),
            "check_code": self.check_code,
            "check_code_matches": self.check_matches,
            "message": self.message,
            "demo_mode": self.demo_mode,
            "demo_notice": DEMO_NOTICE if self.demo_mode else None,
            "note": "Chỉ hiển thị thông tin công khai; để xác minh nội dung và chữ ký, hãy tải "
            "tệp lên.",
        }


def lookup_extract(ctx: Context, document_id: str, check_code: str | None) -> ExtractLookup:
    status = extract_status(ctx, document_id)
    if status is None:
        raise DocumentNotFound(
            f"Không tìm thấy trích lục có mã «{document_id}».",
            hint="Kiểm tra lại mã in ở chân trang, hoặc tải tệp PDF lên để kiểm tra.",
        )
    _, demo = trust_material(ctx)
    matches = status.content_hash.startswith(check_code) if check_code else None
    if matches is False:
        first = (
            f"Mã kiểm tra «{check_code}» KHÔNG khớp với nội dung trích lục này: bản giấy hoặc "
            "tệp bạn có có thể đã bị sửa."
        )
    elif matches:
        first = "Mã kiểm tra khớp với nội dung trích lục nhà trường đã cấp."
    else:
        first = f"Trích lục do nhà trường cấp lúc {local_time(status.issued_at)}."
    return ExtractLookup(
        status=status,
        check_code=check_code,
        check_matches=matches,
        demo_mode=demo,
        message=f"{first} {_original_words(status)}",
    )
