"""Verify a signed record: one report per signature and document timestamp, one bottom line.

Verification never throws for a bad file: everything wrong becomes a finding with a stable code
(``sig.not_intact``, ``sig.modified_after``, ``lta.missing``…) and the bottom line is true only
when no error was found. It is deterministic and offline: trust comes from the given roots and
the validation material embedded in the file (DSS), never from the network, so a record verifies
the same way in 2045 as on the day it was signed.

For every signature it uses pyHanko's PAdES validation (``ades_lta_validation``, local material
only): the digest over the signed byte range (intact), the CMS signature (valid), the chain to a
trusted root with embedded revocation answers, proven in the past by the document timestamp chain
(trusted), and pyHanko's difference analysis of every revision after the signature (what changed,
and whether the DocMDP/FieldMDP policy allows it). Signatures that a later revision removed are
found by walking the revision history, which the remaining signatures alone would not reveal.

pyHanko validates one signature at a time and would redo the file-wide part for each (the DSS,
the proof-of-existence index, the document-timestamp chain, X.509 name preparation); one call
memoizes it (``signing.validation_cache``, ``signing.name_cache``), and every signature is judged
at one validation time. The report is the same with or without the memos (tested).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils import misc
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.generic import IndirectObject, Reference
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed, AdESSubIndic
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.fields import MDPPerm, enumerate_sig_fields
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    async_validate_pdf_timestamp,
    read_certification_data,
)
from pyhanko.sign.validation.ades import AdESLTAValidationResult, ades_lta_validation
from pyhanko.sign.validation.generic_cms import collect_timing_info, extract_tst_data_iter
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager

from signing.attack_checks import attack_problems
from signing.devpki.marker import is_dev_pki_certificate
from signing.diff_cache import MemoizedDiffPolicy
from signing.pades import to_asn1_certificate
from signing.pyhanko_patches import apply_pyhanko_speedups
from signing.validation_cache import install_validation_cache
from signing.validation_scope import verification_scope

__all__ = [
    "DocumentTimestampReport",
    "FindingCode",
    "LtaReport",
    "Severity",
    "SignatureReport",
    "TimestampToken",
    "VerificationReport",
    "VerifyFinding",
    "async_verify_pdf",
    "verify_pdf",
]


class FindingCode(StrEnum):
    DOC_NOT_PDF = "doc.not_pdf"
    DOC_NO_SIGNATURES = "doc.no_signatures"
    DOC_UNSIGNED_FIELD = "doc.unsigned_field"
    DOC_NOT_CERTIFIED = "doc.not_certified"
    SIG_UNREADABLE = "sig.unreadable"
    SIG_NOT_INTACT = "sig.not_intact"
    SIG_INVALID = "sig.invalid"
    SIG_BAD_COVERAGE = "sig.bad_coverage"
    SIG_UNTRUSTED = "sig.untrusted"
    SIG_REVOKED = "sig.revoked"
    SIG_NO_TIMESTAMP = "sig.no_timestamp"
    SIG_TIMESTAMP_INVALID = "sig.timestamp_invalid"
    SIG_MODIFIED_AFTER = "sig.modified_after"
    SIG_NO_REVOCATION_INFO = "sig.no_revocation_info"
    SIG_REMOVED = "sig.removed"
    SIG_MALFORMED = "sig.malformed"  # a forged/broken signature dictionary (signing.attack_checks)
    TS_NOT_INTACT = "ts.not_intact"
    TS_UNTRUSTED = "ts.untrusted"
    TS_MODIFIED_AFTER = "ts.modified_after"
    LTA_MISSING = "lta.missing"
    LTA_NOT_LAST = "lta.not_last"
    LTA_BROKEN = "lta.broken"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class VerifyFinding:
    code: FindingCode
    message: str  # Vietnamese, for the person reading the report
    field_name: str | None = None
    severity: Severity = Severity.ERROR

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code.value,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.field_name is not None:
            out["field"] = self.field_name
        return out


@dataclass(frozen=True)
class TimestampToken:
    """An RFC 3161 token: when, by which TSA, and whether it checks out."""

    time: datetime
    tsa: str
    intact: bool
    trusted: bool


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    revision: int  # 0-based revision of the file the signature belongs to
    signer_name: str  # the certificate's common name
    signer_subject: str
    certificate_sha256: str
    role: str | None
    claimed_time: datetime | None  # /M: what the signer's computer said, not proof
    timestamp: TimestampToken | None  # the signature timestamp: the trusted time
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature checks out
    trusted: bool  # chain to a trusted root, not revoked, proven in time (AdES)
    revoked: bool
    certifies: bool
    docmdp: str | None  # "fill_forms" for our first signature
    locks: tuple[str, ...] | None
    coverage: str
    modification_level: str | None  # after this signature: none/lta_updates/form_filling/…
    changed_fields: tuple[str, ...]  # form fields filled or changed after this signature
    changes_allowed: bool | None
    revocation_info_embedded: bool
    ades_indication: str

    @property
    def ok(self) -> bool:
        return (
            self.intact
            and self.valid
            and self.trusted
            and self.timestamp is not None
            and self.timestamp.intact
            and self.timestamp.trusted
            and self.changes_allowed is not False
        )


@dataclass(frozen=True)
class DocumentTimestampReport:
    field_name: str
    revision: int
    time: datetime
    tsa: str
    intact: bool
    valid: bool
    trusted: bool
    coverage: str
    modification_level: str | None
    tsa_certificate_expires: datetime


@dataclass(frozen=True)
class LtaReport:
    """B-LTA: a document timestamp after the last signature, validating from embedded data."""

    status: Literal["ok", "missing", "broken"]
    last_timestamp: datetime | None
    covers_whole_file: bool
    validated_from_embedded_data: bool
    renew_before: datetime | None  # the last timestamp's TSA certificate expiry


@dataclass(frozen=True)
class VerificationReport:
    sha256: str
    size: int
    demo_mode: bool  # the development PKI is trusted: not valid for real records
    signatures: tuple[SignatureReport, ...]
    timestamps: tuple[DocumentTimestampReport, ...]
    lta: LtaReport
    findings: tuple[VerifyFinding, ...]

    @property
    def bottom_line(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def findings_for(self, field_name: str) -> tuple[VerifyFinding, ...]:
        return tuple(f for f in self.findings if f.field_name == field_name)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (times in ISO 8601) for ``hsdt verify --json``."""

        def conv(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, tuple):
                return [conv(v) for v in value]
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                if isinstance(value, VerifyFinding):
                    return value.to_json()
                return {f.name: conv(getattr(value, f.name)) for f in dataclasses.fields(value)}
            return value

        return {
            "bottom_line": self.bottom_line,
            "demo_mode": self.demo_mode,
            "sha256": self.sha256,
            "size": self.size,
            "signatures": [{**conv(s), "ok": s.ok} for s in self.signatures],
            "timestamps": conv(self.timestamps),
            "lta": conv(self.lta),
            "findings": [f.to_json() for f in self.findings],
        }


def _quiet_library_logs() -> None:
    # pyHanko logs expected validation failures (with tracebacks) as warnings; without a handler
    # of its own Python would print them on stderr, next to our report.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


def _why(error: BaseException) -> str:
    """The parser's reason, in Vietnamese where it is one a hostile file provokes on purpose."""
    if isinstance(error, RecursionError):
        return "cấu trúc tệp lồng nhau quá sâu (có thể là tệp tấn công)"
    if isinstance(error, MemoryError):
        return "tệp cần quá nhiều bộ nhớ để đọc (có thể là «bom nén»)"
    return str(error) or type(error).__name__


def _common_name(cert: asn1_x509.Certificate) -> str:
    try:
        cn = cert.subject.native.get("common_name")
    except ValueError:
        cn = None
    if isinstance(cn, list):
        cn = cn[0] if cn else None
    return str(cn) if cn else cert.subject.human_friendly


def _enum_name(value: Any) -> str | None:
    return None if value is None else str(value.name).lower()


def _ades_name(indic: AdESSubIndic | None) -> str:
    if indic is None:
        return "unknown"
    return f"{indic.status.name}/{indic.standard_name}"


@dataclass(frozen=True)
class _Embedded:
    certs: list[asn1_x509.Certificate]
    ocsps: list[asn1_ocsp.OCSPResponse]
    crls: list[asn1_crl.CertificateList]


def _embedded_material(reader: PdfFileReader) -> _Embedded:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
        ocsps = [
            asn1_ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
            for ref in dss.ocsps
        ]
        crls = [
            asn1_crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL))
            for ref in dss.crls
        ]
        return _Embedded(list(dss.load_certs()), ocsps, crls)
    except Exception:  # no DSS, or one we cannot read: the signatures then lack revocation data
        return _Embedded([], [], [])


def _has_revocation_info(cert: asn1_x509.Certificate, material: _Embedded) -> bool:
    for resp in material.ocsps:
        try:
            basic = resp["response_bytes"]["response"].parsed
            for single in basic["tbs_response_data"]["responses"]:
                cert_id = single["cert_id"]
                if cert_id["serial_number"].native == cert.serial_number:
                    return True
        except (KeyError, ValueError, TypeError):
            continue
    return any(c["tbs_cert_list"]["issuer"] == cert.issuer for c in material.crls)


def _validation_spec(
    trust_roots: Sequence[asn1_x509.Certificate],
) -> PdfSignatureValidationSpec:
    # hard-fail: a certificate that names an OCSP responder or a CRL must have an answer in the
    # file. LOCAL_ONLY: never fetch; what is not embedded does not exist.
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=trust_roots),
        revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy.from_legacy("hard-fail")),
    )
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        ),
        diff_policy=MemoizedDiffPolicy(),  # one per verification: see signing/diff_cache.py
    )


def _readable_signatures(
    reader: PdfFileReader, fields: list[Any], checker: _Checker
) -> list[EmbeddedPdfSignature]:
    """The signatures pyHanko can parse; each one it cannot is a finding, not a lost file."""
    readable: list[EmbeddedPdfSignature] = []
    for name, _, field_ref in fields:
        try:
            readable.append(EmbeddedPdfSignature(reader, field_ref, name))
        except Exception as e:  # a damaged signature must not hide the others
            checker.add(
                FindingCode.SIG_UNREADABLE,
                f"Không đọc được chữ ký «{name}»: {_why(e)}.",
                name,
            )
    readable.sort(key=lambda emb: emb.signed_revision)
    # pyHanko's LTA validation walks reader.embedded_signatures, which fails as a whole on one
    # damaged signature; hand it the readable ones (it caches the list in this attribute).
    reader._embedded_signatures = readable  # type: ignore[assignment]
    return readable


def _sig_ref(emb: EmbeddedPdfSignature) -> Reference | None:
    value = emb.sig_field.raw_get("/V")
    return value.reference if isinstance(value, IndirectObject) else None


def _certification_ref(reader: PdfFileReader) -> Reference | None:
    try:
        value = reader.root["/Perms"].raw_get("/DocMDP")
    except KeyError:
        return None
    return value.reference if isinstance(value, IndirectObject) else None


def _signed_field_history(reader: PdfFileReader) -> dict[str, int]:
    """Every field that held a signature in some revision → the first revision it did."""
    seen: dict[str, int] = {}
    for revision in range(reader.xrefs.total_revisions):
        try:
            resolver = reader.get_historical_resolver(revision)
            for name, _, _ in enumerate_sig_fields(resolver, filled_status=True):
                seen.setdefault(name, revision)
        except Exception:  # a revision we cannot read adds nothing to report
            continue
    return seen


class _Checker:
    """Collects findings and per-signature reports for one file."""

    def __init__(
        self,
        reader: PdfFileReader,
        trust_roots: Sequence[asn1_x509.Certificate],
        role_of: Callable[[str], str | None] | None,
    ) -> None:
        self.reader = reader
        self.trust_roots = list(trust_roots)
        self.role_of = role_of
        self.findings: list[VerifyFinding] = []
        self.material = _embedded_material(reader)
        # One validation time for the whole file (pyHanko would take "now" per signature): the
        # report judges every signature at the same instant, and per-file work can be shared.
        self.timing = ValidationTimingInfo.now()  # UTC; pyHanko's own is the same instant

    def add(self, code: FindingCode, message: str, field_name: str | None = None) -> None:
        self.findings.append(VerifyFinding(code, message, field_name))

    def timestamp_context(self) -> ValidationContext:
        return ValidationContext(
            trust_roots=self.trust_roots,
            other_certs=self.material.certs,
            ocsps=self.material.ocsps,
            crls=self.material.crls,
            allow_fetching=False,
            revocation_mode="hard-fail",
        )

    async def signature(
        self, emb: EmbeddedPdfSignature, spec: PdfSignatureValidationSpec, certifying: bool
    ) -> tuple[SignatureReport, AdESLTAValidationResult]:
        name = emb.field_name
        result = await ades_lta_validation(emb, spec, timing_info=self.timing)
        status = result.api_status
        if status is None:  # pyHanko could not even build a status: treat as unreadable
            raise ValueError(result.failure_msg or "no validation status")
        assert isinstance(status, PdfSignatureStatus)
        cert: asn1_x509.Certificate = emb.signer_cert
        token = await self._signature_timestamp(emb, status)
        reason = emb.sig_object.get("/Reason")
        role = (self.role_of(name) if self.role_of else None) or (
            str(reason) if reason is not None else None
        )
        # pyHanko runs past validation even when validation at the current time passed, and a
        # failure there (no document timestamp yet, or a broken chain) overrides the pass. For
        # trust in the signer's certificate, either is enough; the chain is judged under LTA.
        trusted = result.ades_subindic == AdESPassed.OK or status.trusted
        fieldmdp = emb.fieldmdp
        report = SignatureReport(
            field_name=name,
            revision=emb.signed_revision,
            signer_name=_common_name(cert),
            signer_subject=cert.subject.human_friendly,
            certificate_sha256=cert.sha256.hex(),
            role=role,
            claimed_time=emb.self_reported_timestamp,
            timestamp=token,
            intact=status.intact,
            valid=status.valid,
            trusted=trusted,
            revoked=status.revoked,
            certifies=certifying,
            docmdp=_enum_name(emb.docmdp_level),
            locks=tuple(fieldmdp.fields or ()) if fieldmdp is not None else None,
            coverage=_enum_name(status.coverage) or "unknown",
            modification_level=_enum_name(status.modification_level),
            changed_fields=(
                tuple(sorted(status.diff_result.changed_form_fields))
                if isinstance(status.diff_result, DiffResult)
                else ()
            ),
            changes_allowed=status.docmdp_ok,
            revocation_info_embedded=_has_revocation_info(cert, self.material),
            ades_indication=_ades_name(result.ades_subindic),
        )
        self._signature_findings(report, status, result)
        return report, result

    async def _signature_timestamp(
        self, emb: EmbeddedPdfSignature, status: PdfSignatureStatus
    ) -> TimestampToken | None:
        tst = status.timestamp_validity
        if tst is None and next(extract_tst_data_iter(emb.signer_info, signed=False), None):
            # The AdES result omits the token when it stops early; check it on its own.
            timing = await collect_timing_info(
                emb.signer_info, self.timestamp_context(), raw_digest=emb.compute_digest
            )
            tst = timing.get("timestamp_validity")
        if tst is None:
            return None
        return TimestampToken(
            time=tst.timestamp,
            tsa=_common_name(tst.signing_cert),
            intact=tst.intact and tst.valid,
            trusted=tst.trusted,
        )

    def _signature_findings(
        self, r: SignatureReport, status: PdfSignatureStatus, result: AdESLTAValidationResult
    ) -> None:
        who = f"Chữ ký «{r.field_name}» ({r.signer_name})"
        if not r.intact:
            self.add(
                FindingCode.SIG_NOT_INTACT,
                f"{who}: nội dung đã ký bị thay đổi (mã băm không khớp).",
                r.field_name,
            )
        elif not r.valid:
            self.add(
                FindingCode.SIG_INVALID, f"{who}: giá trị chữ ký số không hợp lệ.", r.field_name
            )
        if status.coverage is not None and status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
            self.add(
                FindingCode.SIG_BAD_COVERAGE,
                f"{who}: vùng được ký không trùng với phiên bản tệp của chữ ký (tệp đã bị ghi "
                "lại hoặc sắp xếp lại).",
                r.field_name,
            )
        if r.revoked:
            self.add(FindingCode.SIG_REVOKED, f"{who}: chứng thư số đã bị thu hồi.", r.field_name)
        elif r.intact and r.valid and not r.trusted:
            self.add(
                FindingCode.SIG_UNTRUSTED,
                f"{who}: không xác lập được chứng thư số đáng tin cậy "
                f"({_ades_name(result.ades_subindic)}: {result.failure_msg or 'không rõ'}).",
                r.field_name,
            )
        if r.timestamp is None:
            self.add(
                FindingCode.SIG_NO_TIMESTAMP,
                f"{who}: không có dấu thời gian (yêu cầu tối thiểu PAdES B-T).",
                r.field_name,
            )
        elif not (r.timestamp.intact and r.timestamp.trusted):
            self.add(
                FindingCode.SIG_TIMESTAMP_INVALID,
                f"{who}: dấu thời gian của chữ ký không hợp lệ hoặc không tin cậy.",
                r.field_name,
            )
        if r.changes_allowed is False:
            diff = status.diff_result
            detail = str(diff) if diff is not None and not isinstance(diff, DiffResult) else ""
            self.add(
                FindingCode.SIG_MODIFIED_AFTER,
                f"{who}: tệp bị thay đổi sau khi ký theo cách không được phép"
                + (f" ({detail})." if detail else "."),
                r.field_name,
            )
        if not r.revocation_info_embedded:
            self.add(
                FindingCode.SIG_NO_REVOCATION_INFO,
                f"{who}: tệp không chứa thông tin thu hồi của chứng thư (yêu cầu PAdES B-LT).",
                r.field_name,
            )

    async def timestamp(
        self, emb: EmbeddedPdfSignature, is_last: bool, chain_ok: bool
    ) -> DocumentTimestampReport:
        status = await async_validate_pdf_timestamp(emb, self.timestamp_context())
        cert: asn1_x509.Certificate = emb.signer_cert
        # An earlier timestamp whose TSA certificate has since expired is still proven by the
        # later ones: pyHanko's LTA validation checked the whole chain (chain_ok).
        trusted = status.trusted or (chain_ok and not is_last and status.intact and status.valid)
        report = DocumentTimestampReport(
            field_name=emb.field_name,
            revision=emb.signed_revision,
            time=status.timestamp,
            tsa=_common_name(cert),
            intact=status.intact,
            valid=status.valid,
            trusted=trusted,
            coverage=_enum_name(status.coverage) or "unknown",
            modification_level=_enum_name(status.modification_level),
            tsa_certificate_expires=cert["tbs_certificate"]["validity"]["not_after"].native,
        )
        where = f"Dấu thời gian «{emb.field_name}»"
        if not (status.intact and status.valid):
            self.add(
                FindingCode.TS_NOT_INTACT,
                f"{where}: nội dung được đóng dấu bị thay đổi.",
                emb.field_name,
            )
        elif not trusted:
            self.add(
                FindingCode.TS_UNTRUSTED,
                f"{where}: chứng thư của máy chủ cấp dấu thời gian không tin cậy.",
                emb.field_name,
            )
        level = status.modification_level
        if level is not None and level > ModificationLevel.LTA_UPDATES:
            self.add(
                FindingCode.TS_MODIFIED_AFTER,
                f"{where}: sau dấu thời gian tệp bị thay đổi ngoài việc bổ sung dữ liệu kiểm tra "
                "và dấu thời gian.",
                emb.field_name,
            )
        return report


async def async_verify_pdf(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate],
    demo_mode: bool,
    role_of: Callable[[str], str | None] | None = None,
    require_lta: bool = True,
) -> VerificationReport:
    """Verify every signature and document timestamp of ``pdf`` against ``trust_roots``.

    ``role_of`` maps a field name to the role the plan gives it (otherwise ``/Reason``).
    ``require_lta=False`` accepts a record still being signed (no document timestamp yet).
    ``demo_mode`` is also switched on whenever a trust root is a development-PKI certificate, so
    no report made with the dev PKI trusted can go out without saying so.
    """
    _quiet_library_logs()
    # Both are no-ops on another pyHanko version (pyHanko's own code: correct, slower).
    apply_pyhanko_speedups()  # faster /Contents reading
    install_validation_cache()  # per-file work done once per verification, not per signature
    with verification_scope():  # the memos live exactly as long as this verification
        return await _verify(pdf, trust_roots, demo_mode, role_of, require_lta)


async def _verify(
    pdf: bytes,
    trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate],
    demo_mode: bool,
    role_of: Callable[[str], str | None] | None,
    require_lta: bool,
) -> VerificationReport:
    sha256 = hashlib.sha256(pdf).hexdigest()
    roots = [to_asn1_certificate(c) for c in trust_roots]
    demo_mode = demo_mode or any(is_dev_pki_certificate(root.dump()) for root in roots)
    no_lta = LtaReport("missing", None, False, False, None)

    def early(code: FindingCode, message: str) -> VerificationReport:
        finding = VerifyFinding(code, message)
        return VerificationReport(sha256, len(pdf), demo_mode, (), (), no_lta, (finding,))

    try:
        if not pdf.lstrip()[:5].startswith(b"%PDF-"):
            raise misc.PdfReadError("no %PDF header")
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        fields = list(enumerate_sig_fields(reader, filled_status=True))
        checker = _Checker(reader, roots, role_of)
    except Exception as e:  # whatever the parser trips on, the verdict is the same
        return early(FindingCode.DOC_NOT_PDF, f"Không đọc được tệp như một tệp PDF: {_why(e)}.")
    for problem in attack_problems(reader, pdf, fields):
        code = {
            "malformed": FindingCode.SIG_MALFORMED,
            "root_replaced": FindingCode.SIG_MODIFIED_AFTER,
        }[problem.kind]
        checker.add(code, problem.message, problem.field_name)
    embedded = _readable_signatures(reader, fields, checker)

    signatures = [e for e in embedded if e.sig_object_type == "/Sig"]
    doc_timestamps = [e for e in embedded if e.sig_object_type == "/DocTimeStamp"]
    if not signatures:
        checker.add(FindingCode.DOC_NO_SIGNATURES, "Tệp không có chữ ký số nào.")

    history = _signed_field_history(reader)
    present = {e.field_name for e in embedded}
    for name, revision in sorted(history.items(), key=lambda kv: kv[1]):
        if name not in present:
            checker.add(
                FindingCode.SIG_REMOVED,
                f"Chữ ký «{name}» có trong phiên bản {revision + 1} của tệp nhưng đã bị gỡ bỏ ở "
                "phiên bản sau.",
                name,
            )
    for name, _, _ in enumerate_sig_fields(reader, filled_status=False):
        if name not in history:
            checker.add(FindingCode.DOC_UNSIGNED_FIELD, f"Ô chữ ký «{name}» chưa được ký.", name)

    try:
        certification = read_certification_data(reader)
        author = _certification_ref(reader)
    except Exception:  # a malformed /Perms is the same as none: the check below reports it
        certification, author = None, None
    if signatures and (
        certification is None
        or certification.permission != MDPPerm.FILL_FORMS
        or _sig_ref(signatures[0]) != author
    ):
        checker.add(
            FindingCode.DOC_NOT_CERTIFIED,
            "Chữ ký đầu tiên không phải chữ ký chứng thực «điền biểu mẫu và ký» (DocMDP P=2) "
            "như hồ sơ yêu cầu.",
        )

    spec = _validation_spec(roots)
    reports: list[SignatureReport] = []
    chain_ok = True
    for emb in signatures:
        try:
            certifying = author is not None and _sig_ref(emb) == author
            report, result = await checker.signature(emb, spec, certifying)
        except Exception as e:  # a signature we cannot check is a finding, not a crash
            checker.add(
                FindingCode.SIG_UNREADABLE,
                f"Không kiểm tra được chữ ký «{emb.field_name}»: {_why(e)}.",
                emb.field_name,
            )
            chain_ok = False
            continue
        reports.append(report)
        if result.oldest_evidence_record_timestamp is None:
            chain_ok = False

    ts_reports: list[DocumentTimestampReport] = []
    for i, emb in enumerate(doc_timestamps):
        try:
            is_last = i == len(doc_timestamps) - 1
            ts_reports.append(await checker.timestamp(emb, is_last, chain_ok))
        except Exception as e:  # likewise for a timestamp
            checker.add(
                FindingCode.TS_NOT_INTACT,
                f"Không kiểm tra được dấu thời gian «{emb.field_name}»: {_why(e)}.",
                emb.field_name,
            )

    lta = _lta(checker, signatures, doc_timestamps, ts_reports, reports, chain_ok, require_lta)
    return VerificationReport(
        sha256=sha256,
        size=len(pdf),
        demo_mode=demo_mode,
        signatures=tuple(reports),
        timestamps=tuple(ts_reports),
        lta=lta,
        findings=tuple(checker.findings),
    )


def _lta(
    checker: _Checker,
    signatures: list[EmbeddedPdfSignature],
    doc_timestamps: list[EmbeddedPdfSignature],
    ts_reports: list[DocumentTimestampReport],
    reports: list[SignatureReport],
    chain_ok: bool,
    require_lta: bool,
) -> LtaReport:
    last_sig_rev = max((e.signed_revision for e in signatures), default=-1)
    after = [e for e in doc_timestamps if e.signed_revision > last_sig_rev]
    if not signatures:
        return LtaReport("missing", None, False, False, None)
    if doc_timestamps and not after:
        checker.add(
            FindingCode.LTA_BROKEN,
            "Dấu thời gian lưu trữ không nằm sau chữ ký cuối cùng trong lịch sử tệp.",
        )
        return LtaReport("broken", None, False, False, None)
    if not after or not ts_reports:
        if require_lta:
            checker.add(
                FindingCode.LTA_MISSING,
                "Không có dấu thời gian lưu trữ sau chữ ký cuối cùng (yêu cầu PAdES B-LTA).",
            )
        return LtaReport("missing", None, False, False, None)
    last = ts_reports[-1]
    covers = last.coverage == "entire_file"
    if not covers:
        checker.add(
            FindingCode.LTA_NOT_LAST,
            f"Có nội dung được thêm vào tệp sau dấu thời gian lưu trữ «{last.field_name}».",
            last.field_name,
        )
    validated = chain_ok and all(r.trusted for r in reports) and last.trusted
    if not validated and not any(f.code is FindingCode.LTA_NOT_LAST for f in checker.findings):
        checker.add(
            FindingCode.LTA_BROKEN,
            "Không xác minh được chuỗi chữ ký và dấu thời gian chỉ với dữ liệu kiểm tra đã nhúng "
            "trong tệp.",
        )
    status: Literal["ok", "broken"] = "ok" if covers and validated else "broken"
    return LtaReport(status, last.time, covers, validated, last.tsa_certificate_expires)


def verify_pdf(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate],
    demo_mode: bool,
    role_of: Callable[[str], str | None] | None = None,
    require_lta: bool = True,
) -> VerificationReport:
    """Synchronous :func:`async_verify_pdf`."""
    return asyncio.run(
        async_verify_pdf(
            pdf,
            trust_roots=trust_roots,
            demo_mode=demo_mode,
            role_of=role_of,
            require_lta=require_lta,
        )
    )
