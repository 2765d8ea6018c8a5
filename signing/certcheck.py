"""Check a signer's certificate before anything is signed.

The check answers: does this certificate belong to the person (or school) assigned to the slot,
may it sign documents, is it valid now, does it chain to the trust roots the province configured,
and is it not revoked (OCSP/CRL, fetched over HTTP by pyhanko-certvalidator)? It returns a report
listing every problem with a stable code and a Vietnamese message; `raise_if_failed` turns a
failed report into `CertificateRejectedError` so callers stop before writing anything.
"""

from __future__ import annotations

import asyncio
import enum
import unicodedata
from collections.abc import Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    RevokedError,
    ValidationError,
)

from signing.errors import CertificateRejectedError

# Vietnam has kept UTC+7 without daylight saving since 1975: a fixed offset is exact.
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")

# Extended key usages that allow document signing when an EKU extension is present: the
# document-signing purposes plus those Vietnamese CAs put on personal signing certificates.
_DOCUMENT_SIGNING_EKUS = frozenset(
    {
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
        ExtendedKeyUsageOID.EMAIL_PROTECTION,
        ExtendedKeyUsageOID.CLIENT_AUTH,
        ObjectIdentifier("1.3.6.1.5.5.7.3.36"),  # id-kp-documentSigning (RFC 9336)
        ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),  # Microsoft document signing
        ObjectIdentifier("1.2.840.113583.1.1.5"),  # Adobe Authentic Documents Trust
    }
)

_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
}

_REASONS_VI = {
    "key_compromise": "lộ khoá bí mật",
    "ca_compromise": "tổ chức chứng thực bị lộ khoá",
    "affiliation_changed": "thay đổi đơn vị công tác",
    "superseded": "đã được thay thế",
    "cessation_of_operation": "ngừng sử dụng",
    "certificate_hold": "tạm dừng hiệu lực",
    "remove_from_crl": "gỡ khỏi danh sách thu hồi",
    "privilege_withdrawn": "bị rút quyền",
    "aa_compromise": "tổ chức cấp thuộc tính bị lộ khoá",
}


class CertProblemCode(enum.StrEnum):
    EXPIRED = "cert.expired"
    NOT_YET_VALID = "cert.not_yet_valid"
    REVOKED = "cert.revoked"
    KEY_USAGE = "cert.key_usage"
    UNTRUSTED = "cert.untrusted"
    WRONG_PERSON = "cert.wrong_person"
    REVOCATION_UNKNOWN = "cert.revocation_unknown"


@dataclass(frozen=True)
class ExpectedSigner:
    """Who the slot is assigned to.

    ``person_id`` is the identifier the CA writes into the certificate subject (UID or
    serialNumber, bare or after a prefix such as ``CCCD:`` or ``MST:``); the development PKI
    writes the teacher id or the seal id there.
    """

    person_id: str
    full_name: str
    kind: Literal["person", "organisation"]


@dataclass(frozen=True)
class CertificateProblem:
    code: CertProblemCode
    message: str
    """Vietnamese, for the user: what is wrong with which certificate and what to do."""
    detail: str | None = None
    """The validation library's own words, for logs and the audit trail."""


@dataclass(frozen=True)
class CertificateCheck:
    subject: str
    serial_number: str
    issuer: str
    checked_at: datetime
    revocation_checked: bool
    problems: tuple[CertificateProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(str(problem.code) for problem in self.problems)

    def raise_if_failed(self) -> None:
        if self.problems:
            raise CertificateRejectedError(self)


def check_signer(
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    *,
    trust_roots: Sequence[x509.Certificate],
    at: datetime,
    expected: ExpectedSigner,
    fetch_revocation: bool = True,
) -> CertificateCheck:
    """Synchronous `async_check_signer` (runs its own event loop: not from async code)."""
    return asyncio.run(
        async_check_signer(
            certificate,
            chain,
            trust_roots=trust_roots,
            at=at,
            expected=expected,
            fetch_revocation=fetch_revocation,
        )
    )


async def async_check_signer(
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    *,
    trust_roots: Sequence[x509.Certificate],
    at: datetime,
    expected: ExpectedSigner,
    fetch_revocation: bool = True,
) -> CertificateCheck:
    """Check `certificate` (with its intermediate `chain`) for signing at `at` by `expected`.

    With `fetch_revocation`, OCSP responses and CRLs are fetched from the URLs in the
    certificates and missing revocation data is a problem (``cert.revocation_unknown``);
    without it only the chain is checked and the report says revocation was not checked.
    """
    if at.utcoffset() is None:
        raise ValueError("check_signer needs a timezone-aware `at`")
    holder = _describe(certificate)
    problems = [
        *_binding_problems(certificate, holder, expected),
        *_usage_problems(certificate, holder),
    ]
    validity = _validity_problems(certificate, holder, at)
    problems += validity
    if not validity:  # an expired certificate needs no trip to the OCSP responder
        problems += await _path_problems(
            certificate, chain, holder, trust_roots, at, fetch_revocation
        )
    return CertificateCheck(
        subject=holder,
        serial_number=format(certificate.serial_number, "X"),
        issuer=_common_name(certificate.issuer) or certificate.issuer.rfc4514_string(),
        checked_at=at,
        revocation_checked=fetch_revocation,
        problems=tuple(problems),
    )


def _binding_problems(
    cert: x509.Certificate, holder: str, expected: ExpectedSigner
) -> list[CertificateProblem]:
    subject = cert.subject
    ids = [
        str(a.value)
        for oid in (NameOID.USER_ID, NameOID.SERIAL_NUMBER)
        for a in subject.get_attributes_for_oid(oid)
    ]
    id_ok = any(_id_matches(value, expected.person_id) for value in ids)
    name_oids = [NameOID.COMMON_NAME]
    if expected.kind == "organisation":
        name_oids.append(NameOID.ORGANIZATION_NAME)
    names = [str(a.value) for oid in name_oids for a in subject.get_attributes_for_oid(oid)]
    name_ok = any(_same_name(name, expected.full_name) for name in names)
    if id_ok and name_ok:
        return []
    owner = "tổ chức" if expected.kind == "organisation" else "người"
    found = f"mã «{', '.join(ids)}»" if ids else "không ghi mã định danh"
    return [
        CertificateProblem(
            CertProblemCode.WRONG_PERSON,
            f"Chứng thư số «{holder}» ({found}) không phải của {owner} được phân công ký ở vị trí "
            f"này: «{expected.full_name}» (mã {expected.person_id}). Hãy ký bằng đúng chứng thư "
            "số của người được phân công, hoặc nhờ quản trị viên cập nhật phân công ký.",
        )
    ]


def _id_matches(value: str, person_id: str) -> bool:
    value, wanted = value.strip().casefold(), person_id.strip().casefold()
    return bool(wanted) and (value == wanted or value.endswith(":" + wanted))


def _same_name(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return " ".join(unicodedata.normalize("NFC", s).casefold().split())

    return norm(a) == norm(b)


def _usage_problems(cert: x509.Certificate, holder: str) -> list[CertificateProblem]:
    reasons: list[str] = []
    try:
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            reasons.append("đây là chứng thư của tổ chức chứng thực (CA), không phải của người ký")
    except x509.ExtensionNotFound:
        pass
    try:
        key_usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        # pyHanko requires non-repudiation of PDF signers, when signing and when validating.
        if not key_usage.content_commitment:
            reasons.append("thiếu mục đích sử dụng khoá «non-repudiation» (chống chối bỏ)")
    except x509.ExtensionNotFound:
        reasons.append("không ghi mục đích sử dụng khoá (Key Usage)")
    try:
        purposes = set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
        if not purposes & _DOCUMENT_SIGNING_EKUS:
            names = ", ".join(sorted(_EKU_NAMES.get(p, p.dotted_string) for p in purposes))
            reasons.append(f"chỉ được cấp cho mục đích khác ({names})")
    except x509.ExtensionNotFound:
        pass
    if not reasons:
        return []
    return [
        CertificateProblem(
            CertProblemCode.KEY_USAGE,
            f"Chứng thư số «{holder}» không dùng được để ký văn bản: {'; '.join(reasons)}. "
            "Hãy dùng chứng thư số ký văn bản do tổ chức cung cấp dịch vụ chứng thực cấp.",
        )
    ]


def _validity_problems(
    cert: x509.Certificate, holder: str, at: datetime
) -> list[CertificateProblem]:
    if at < cert.not_valid_before_utc:
        return [
            CertificateProblem(
                CertProblemCode.NOT_YET_VALID,
                f"Chứng thư số «{holder}» chưa có hiệu lực: hiệu lực từ "
                f"{_when(cert.not_valid_before_utc)}. Hãy chờ đến thời điểm đó, hoặc kiểm tra "
                "đồng hồ của máy chủ.",
            )
        ]
    if at > cert.not_valid_after_utc:
        return [
            CertificateProblem(
                CertProblemCode.EXPIRED,
                f"Chứng thư số «{holder}» đã hết hạn lúc {_when(cert.not_valid_after_utc)}. "
                "Hãy gia hạn hoặc xin cấp chứng thư số mới rồi ký lại.",
            )
        ]
    return []


async def _path_problems(
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    holder: str,
    trust_roots: Sequence[x509.Certificate],
    at: datetime,
    fetch_revocation: bool,
) -> list[CertificateProblem]:
    context = ValidationContext(
        trust_roots=[_asn1(root) for root in trust_roots],
        other_certs=[_asn1(c) for c in chain],
        moment=at,
        allow_fetching=fetch_revocation,
        revocation_mode="hard-fail" if fetch_revocation else "soft-fail",
        # Revocation data fetched now describes `at` too: we check right before signing.
        retroactive_revinfo=True,
    )
    async with aclosing(context):
        validator = CertificateValidator(_asn1(cert), validation_context=context)
        try:
            await validator.async_validate_path()
        except PathBuildingError as exc:
            return [_untrusted(cert, holder, str(exc))]
        except RevokedError as exc:
            return [_revoked(holder, exc)]
        except InsufficientRevinfoError as exc:
            return [
                CertificateProblem(
                    CertProblemCode.REVOCATION_UNKNOWN,
                    f"Không kiểm tra được {_whose(holder, exc.is_ee_cert)} có bị thu hồi hay "
                    "không (không lấy được phản hồi OCSP hoặc danh sách thu hồi CRL). Hãy kiểm "
                    "tra kết nối mạng tới dịch vụ của tổ chức chứng thực rồi thử lại.",
                    str(exc),
                )
            ]
        except ExpiredError as exc:
            return [
                CertificateProblem(
                    CertProblemCode.EXPIRED,
                    f"{_sentence(_whose(holder, False))} đã hết hạn lúc "
                    f"{_when(exc.expired_dt)}. Hãy liên hệ tổ chức chứng thực để được cấp "
                    "chứng thư số mới.",
                    str(exc),
                )
            ]
        except NotYetValidError as exc:
            return [
                CertificateProblem(
                    CertProblemCode.NOT_YET_VALID,
                    f"{_sentence(_whose(holder, False))} chưa có hiệu lực (từ "
                    f"{_when(exc.valid_from)}). Hãy kiểm tra đồng hồ của máy chủ.",
                    str(exc),
                )
            ]
        except ValidationError as exc:  # bad signature, banned algorithm, constraints …
            return [_untrusted(cert, holder, str(exc))]
    return []


def _untrusted(cert: x509.Certificate, holder: str, detail: str) -> CertificateProblem:
    issuer = _common_name(cert.issuer) or cert.issuer.rfc4514_string()
    return CertificateProblem(
        CertProblemCode.UNTRUSTED,
        f"Chứng thư số «{holder}» do «{issuer}» cấp không xác thực được tới tổ chức chứng thực "
        "nào trong danh sách tin cậy của đơn vị. Hãy dùng chứng thư số của tổ chức chứng thực "
        "được Sở cấu hình, hoặc đề nghị quản trị viên bổ sung chứng thư gốc tin cậy.",
        detail,
    )


def _revoked(holder: str, exc: RevokedError) -> CertificateProblem:
    reason = _REASONS_VI.get(str(exc.reason.native), "")
    because = f", lý do: {reason}" if reason else ""
    return CertificateProblem(
        CertProblemCode.REVOKED,
        f"{_sentence(_whose(holder, exc.is_ee_cert))} đã bị thu hồi lúc "
        f"{_when(exc.revocation_dt)}{because}. "
        "Không được dùng để ký; hãy liên hệ tổ chức cung cấp dịch vụ chứng thực để được cấp "
        "chứng thư số mới.",
        str(exc),
    )


def _whose(holder: str, end_entity: bool) -> str:
    if end_entity:
        return f"chứng thư số «{holder}»"
    return f"chứng thư của tổ chức chứng thực cấp trên trong chuỗi của «{holder}»"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _describe(cert: x509.Certificate) -> str:
    name = _common_name(cert.subject) or cert.subject.rfc4514_string()
    return f"{name}, số sê-ri {format(cert.serial_number, 'X')}"


def _common_name(name: x509.Name) -> str | None:
    attributes = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attributes[0].value) if attributes else None


def _when(moment: datetime) -> str:
    return moment.astimezone(VIETNAM_TIME).strftime("%H:%M ngày %d/%m/%Y (giờ Việt Nam)")


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
