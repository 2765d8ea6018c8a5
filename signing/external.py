"""Two-phase (external) signing of one slot: for remote-signing services and signing apps.

Phase one (:func:`async_prepare_external_signature`) does everything but the private-key operation:
it checks the slot as :func:`signing.pades.async_sign_slot` does, draws the stamp, embeds the
signer's and the TSA's validation material in the DSS of the new revision (as the server-side
profile does: one signature, one revision, B-LT), reserves room for the CMS, hashes the byte range
and builds the CAdES signed attributes. It hands out

* ``digest_to_sign``: SHA-256 of the DER signed attributes, for services that sign a hash and
  return the raw RSA/ECDSA value;
* ``document_digest``: SHA-256 of the byte range, for apps that build the whole CMS themselves.

Phase two (:func:`async_finish_external_signature`) may run in another process hours later: it
takes the raw signature or the CMS, verifies it against the certificate checked in phase one
(nothing is embedded otherwise), adds the RFC 3161 signature timestamp (B-T) and writes the CMS
into the reserved region. :class:`PreparedSignature` is the state between the phases; it holds no
secret and serialises to bytes (JSON) so it can wait in a database.

The prepared update is only valid on top of the exact bytes it was computed on: phase two refuses
any other base (:class:`DocumentChangedError`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms as asn1_cms
from asn1crypto import core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils import misc
from pyhanko.sign.general import SigningError as PyhankoSigningError
from pyhanko.sign.signers import ExternalSigner
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import (
    PdfTBSDocument,
)
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.errors import SigningError
from signing.pades import (
    MD_ALGORITHM,
    CertificateNotUsableError,
    FieldLocks,
    SignatureFailedError,
    TimestampUnavailableError,
    digest_slot,
    open_slot,
    slot_signer,
    to_asn1_certificate,
)

__all__ = [
    "DocumentChangedError",
    "ExternalSignatureInvalidError",
    "PreparedSignature",
    "PreparedStateError",
    "async_finish_external_signature",
    "async_prepare_external_signature",
]

STATE_FORMAT = "hsdt-external-signature/1"


class DocumentChangedError(SigningError):
    """The PDF is no longer the one the hash was computed on."""

    code = "external.document_changed"


class ExternalSignatureInvalidError(SigningError):
    """The returned signature or CMS does not belong to the prepared hash and certificate."""

    code = "external.signature_invalid"


class PreparedStateError(SigningError):
    """The stored state of phase one cannot be read (corrupt, or from another format)."""

    code = "external.state_unreadable"


@dataclass(frozen=True)
class PreparedSignature:
    """Everything phase two needs. ``update`` is the incremental update appended to the base
    PDF, with the CMS placeholder at ``reserved_start:reserved_end`` (absolute offsets)."""

    field_name: str
    base_sha256: str
    base_length: int
    update: bytes
    reserved_start: int
    reserved_end: int
    document_digest: bytes
    signed_attributes: bytes  # DER of the SET OF attributes: exactly what gets signed
    certificate: bytes  # DER
    chain: tuple[bytes, ...]  # DER, issuing CAs
    signing_time: datetime
    md_algorithm: str = MD_ALGORITHM

    @property
    def digest_to_sign(self) -> bytes:
        """The hash a remote signer signs (PKCS#1 v1.5 or ECDSA over SHA-256)."""
        return hashlib.new(self.md_algorithm, self.signed_attributes).digest()

    def to_bytes(self) -> bytes:
        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode("ascii")

        data = {
            "format": STATE_FORMAT,
            "field_name": self.field_name,
            "base_sha256": self.base_sha256,
            "base_length": self.base_length,
            "update": b64(self.update),
            "reserved": [self.reserved_start, self.reserved_end],
            "document_digest": b64(self.document_digest),
            "signed_attributes": b64(self.signed_attributes),
            "certificate": b64(self.certificate),
            "chain": [b64(c) for c in self.chain],
            "signing_time": self.signing_time.isoformat(),
            "md_algorithm": self.md_algorithm,
        }
        return json.dumps(data, sort_keys=True).encode("utf-8")

    @staticmethod
    def from_bytes(raw: bytes) -> PreparedSignature:
        try:
            data: dict[str, Any] = json.loads(raw.decode("utf-8"))
            if data.get("format") != STATE_FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            start, end = data["reserved"]
            return PreparedSignature(
                field_name=str(data["field_name"]),
                base_sha256=str(data["base_sha256"]),
                base_length=int(data["base_length"]),
                update=base64.b64decode(data["update"], validate=True),
                reserved_start=int(start),
                reserved_end=int(end),
                document_digest=base64.b64decode(data["document_digest"], validate=True),
                signed_attributes=base64.b64decode(data["signed_attributes"], validate=True),
                certificate=base64.b64decode(data["certificate"], validate=True),
                chain=tuple(base64.b64decode(c, validate=True) for c in data["chain"]),
                signing_time=datetime.fromisoformat(data["signing_time"]),
                md_algorithm=str(data["md_algorithm"]),
            )
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
            raise PreparedStateError(
                f"Không đọc được trạng thái ký hai bước đã lưu ({e}). Hãy tạo yêu cầu ký mới."
            ) from e


def _registry(certs: list[asn1_x509.Certificate]) -> SimpleCertificateStore:
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # unannotated upstream
    registry.register_multiple(certs)
    return registry


async def async_prepare_external_signature(
    pdf: bytes,
    *,
    field_name: str,
    certificate: x509.Certificate,
    chain: tuple[x509.Certificate, ...],
    signer_name: str,
    role_label: str,
    timestamper: TimeStamper,
    validation_context: ValidationContext,
    certify: bool | None = None,
    field_locks: FieldLocks | None = None,
    signing_time: datetime | None = None,
    bytes_reserved: int | None = None,
) -> PreparedSignature:
    """Phase one: prepare the slot ``field_name`` of ``pdf`` for a signature made elsewhere.

    Same checks and profile as :func:`signing.pades.async_sign_slot` at B-LT; the signer's
    certificate (with its issuing ``chain``) must be the one the remote key belongs to.
    """
    signed_at = signing_time or datetime.now(UTC)
    if signed_at.tzinfo is None:
        raise ValueError("signing_time must be timezone-aware")
    writer, certifies = open_slot(pdf, field_name, certify, field_locks)

    cert = to_asn1_certificate(certificate)
    others = [to_asn1_certificate(c) for c in chain]
    # pyHanko's external signer wants a placeholder value; the real one arrives in phase two.
    signer = ExternalSigner(cert, _registry([cert, *others]), signature_value=512)
    pdf_signer = slot_signer(
        field_name=field_name,
        signer=signer,
        signer_name=signer_name,
        role_label=role_label,
        certifies=certifies,
        embed_validation_info=True,
        validation_context=validation_context,
        timestamper=timestamper,
        signed_at=signed_at,
    )
    try:
        _tbs, prepared, output = await digest_slot(
            pdf_signer, writer, signer, timestamper, signed_at, bytes_reserved
        )
        signed_attrs = await signer.signed_attrs(
            prepared.document_digest,
            MD_ALGORITHM,
            attr_settings=PdfCMSSignedAttributes(signing_time=signed_at),
            use_pades=True,
        )
    except TimestampRequestError as e:
        raise TimestampUnavailableError(
            f"Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA): {e}. Kiểm tra kết "
            "nối mạng hoặc địa chỉ TSA rồi thử lại."
        ) from e
    except PyhankoSigningError as e:
        cause = e.__cause__
        if isinstance(cause, (PathBuildingError, PathValidationError)):
            raise CertificateNotUsableError(
                f"Chứng thư số của {signer_name} không dùng được để ký lúc này: {cause}. "
                "Kiểm tra chứng thư (hết hạn, bị thu hồi, không thuộc CA tin cậy)."
            ) from e
        raise SignatureFailedError(f"Không chuẩn bị được chữ ký ô «{field_name}»: {e}") from e
    except (misc.PdfError, OSError) as e:
        raise SignatureFailedError(f"Không chuẩn bị được chữ ký ô «{field_name}»: {e}") from e
    assert isinstance(output, io.BytesIO)  # digest_tbs_document() without output= makes one
    written = output.getvalue()
    # An incremental update never rewrites the base: keep only what was appended.
    if written[: len(pdf)] != pdf:
        raise SignatureFailedError(
            f"Không chuẩn bị được chữ ký ô «{field_name}»: bản cập nhật không nối tiếp tệp gốc."
        )
    return PreparedSignature(
        field_name=field_name,
        base_sha256=hashlib.sha256(pdf).hexdigest(),
        base_length=len(pdf),
        update=written[len(pdf) :],
        reserved_start=prepared.reserved_region_start,
        reserved_end=prepared.reserved_region_end,
        document_digest=prepared.document_digest,
        signed_attributes=signed_attrs.dump(),
        certificate=cert.dump(),
        chain=tuple(c.dump() for c in others),
        signing_time=signed_at,
    )


async def async_finish_external_signature(
    pdf: bytes,
    prepared: PreparedSignature,
    *,
    timestamper: TimeStamper,
    signature: bytes | None = None,
    cms: bytes | None = None,
) -> bytes:
    """Phase two: embed the signature made elsewhere; return the signed PDF.

    Exactly one of ``signature`` (the raw RSA PKCS#1 v1.5 / ECDSA value over the signed
    attributes) and ``cms`` (a detached CMS over ``document_digest``) is given. ``pdf`` must be
    the very bytes phase one started from. Nothing is returned unless the signature verifies
    against the prepared certificate.
    """
    if (signature is None) == (cms is None):
        raise ValueError("give exactly one of signature= and cms=")
    if len(pdf) != prepared.base_length or hashlib.sha256(pdf).hexdigest() != prepared.base_sha256:
        raise DocumentChangedError(
            "Hồ sơ đã thay đổi sau khi lấy mã băm, hãy ký lại (tạo yêu cầu ký mới)."
        )
    cert = asn1_x509.Certificate.load(prepared.certificate)
    chain = [asn1_x509.Certificate.load(c) for c in prepared.chain]
    try:
        if signature is not None:
            _verify_raw(prepared, signature)
            signer = ExternalSigner(cert, _registry([cert, *chain]), signature_value=signature)
            container = await signer.async_sign_prescribed_attributes(
                prepared.md_algorithm,
                asn1_cms.CMSAttributes.load(prepared.signed_attributes),
                timestamper=timestamper,
            )
        else:
            assert cms is not None
            container = await _accept_cms(prepared, cms, cert, chain, timestamper)
    except TimestampRequestError as e:
        raise TimestampUnavailableError(
            f"Không lấy được dấu thời gian cho chữ ký từ TSA: {e}. Kiểm tra kết nối rồi gửi lại "
            "chữ ký (yêu cầu ký vẫn còn hiệu lực)."
        ) from e
    encoded = container.dump()
    room = prepared.reserved_end - prepared.reserved_start - 2  # hex digits between < and >
    if 2 * len(encoded) > room:
        raise ExternalSignatureInvalidError(
            f"Chữ ký nhận về quá lớn ({len(encoded)} byte) so với chỗ đã dành trong tệp "
            f"({room // 2} byte). Hãy tạo yêu cầu ký mới."
        )
    output = io.BytesIO(pdf + prepared.update)
    digest = PreparedByteRangeDigest(
        prepared.document_digest, prepared.reserved_start, prepared.reserved_end
    )
    try:
        await PdfTBSDocument.async_finish_signing(output, digest, signature_cms=container)
    except (misc.PdfError, OSError, PyhankoSigningError) as e:
        raise SignatureFailedError(
            f"Không ghi được chữ ký vào ô «{prepared.field_name}»: {e}"
        ) from e
    return output.getvalue()


def _verify_raw(prepared: PreparedSignature, signature: bytes) -> None:
    public_key = x509.load_der_x509_certificate(prepared.certificate).public_key()
    algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}.get(prepared.md_algorithm)
    if algorithm is None:
        raise ExternalSignatureInvalidError(
            f"Thuật toán băm «{prepared.md_algorithm}» không được hỗ trợ."
        )
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, prepared.signed_attributes, padding.PKCS1v15(), algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, prepared.signed_attributes, ec.ECDSA(algorithm))
        else:
            raise ExternalSignatureInvalidError(
                "Chứng thư số dùng loại khoá không được hỗ trợ (chỉ RSA hoặc ECDSA)."
            )
    except InvalidSignature:
        raise ExternalSignatureInvalidError(
            f"Chữ ký nhận về cho ô «{prepared.field_name}» không khớp với mã băm đã cấp và chứng "
            "thư số đã khai báo (có thể ký nhầm mã băm, nhầm khoá, hoặc tệp chữ ký bị hỏng). "
            "Không ghi gì vào hồ sơ; hãy ký lại đúng mã băm."
        ) from None


async def _accept_cms(
    prepared: PreparedSignature,
    raw: bytes,
    cert: asn1_x509.Certificate,
    chain: list[asn1_x509.Certificate],
    timestamper: TimeStamper,
) -> asn1_cms.ContentInfo:
    """Check a CMS built elsewhere; add our chain and a signature timestamp when missing."""
    where = f"ô «{prepared.field_name}»"
    try:
        info = asn1_cms.ContentInfo.load(raw)
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed_data = info["content"]
        (signer_info,) = signed_data["signer_infos"]
        digest_algorithm = signer_info["digest_algorithm"]["algorithm"].native
        certs = [c.chosen for c in signed_data["certificates"] or () if c.name == "certificate"]
    except (ValueError, TypeError, KeyError) as e:
        raise ExternalSignatureInvalidError(
            f"Tệp CMS gửi về cho {where} không đọc được hoặc không phải một chữ ký CMS với đúng "
            f"một người ký ({e}). Không ghi gì vào hồ sơ."
        ) from e
    if digest_algorithm != prepared.md_algorithm:
        raise ExternalSignatureInvalidError(
            f"CMS cho {where} dùng thuật toán băm {digest_algorithm}, cần {prepared.md_algorithm}."
        )
    if not _identifies(signer_info["sid"], cert):
        raise ExternalSignatureInvalidError(
            f"CMS cho {where} được ký bằng chứng thư số khác với chứng thư đã khai báo khi lấy "
            "mã băm. Không ghi gì vào hồ sơ; hãy ký bằng đúng chứng thư đó."
        )
    if isinstance(signer_info["signed_attrs"], core.Void):
        raise ExternalSignatureInvalidError(
            f"CMS cho {where} không có thuộc tính ký (signed attributes) mà PAdES bắt buộc. "
            "Hãy dùng chế độ ký PAdES/CAdES của ứng dụng ký."
        )
    try:
        intact, valid = validate_sig_integrity(signer_info, cert, "data", prepared.document_digest)
    except SignatureValidationError as e:
        raise ExternalSignatureInvalidError(
            f"CMS cho {where} không đúng cấu trúc chữ ký PAdES: {e.failure_message}. Không ghi "
            "gì vào hồ sơ."
        ) from e
    if not (intact and valid):
        raise ExternalSignatureInvalidError(
            f"CMS cho {where} không khớp với hồ sơ đã chuẩn bị "
            f"({'chữ ký không hợp lệ' if intact else 'mã băm tài liệu khác'}). Không ghi gì vào "
            "hồ sơ; hãy ký lại đúng mã băm tài liệu."
        )

    known = {c.dump() for c in certs}
    for extra in (cert, *chain):
        if extra.dump() not in known:
            certs.append(extra)
            known.add(extra.dump())
    unsigned = signer_info["unsigned_attrs"]
    has_timestamp = any(a["type"].native == "signature_time_stamp_token" for a in (unsigned or ()))
    if not has_timestamp:
        stamper = ExternalSigner(cert, _registry([cert, *chain]), signature_value=b"")
        added = await stamper.unsigned_attrs(
            prepared.md_algorithm,
            signer_info["signature"].native,
            signed_attrs=signer_info["signed_attrs"],
            timestamper=timestamper,
        )
        attributes = [*(unsigned or ()), *(added or ())]
        signer_info = asn1_cms.SignerInfo(
            {
                "version": signer_info["version"],
                "sid": signer_info["sid"],
                "digest_algorithm": signer_info["digest_algorithm"],
                "signed_attrs": signer_info["signed_attrs"],
                "signature_algorithm": signer_info["signature_algorithm"],
                "signature": signer_info["signature"],
                "unsigned_attrs": asn1_cms.CMSAttributes(attributes),
            }
        )
    return asn1_cms.ContentInfo(
        {
            "content_type": "signed_data",
            "content": asn1_cms.SignedData(
                {
                    "version": signed_data["version"],
                    "digest_algorithms": signed_data["digest_algorithms"],
                    "encap_content_info": signed_data["encap_content_info"],
                    "certificates": [
                        asn1_cms.CertificateChoices(name="certificate", value=c) for c in certs
                    ],
                    "signer_infos": [signer_info],
                }
            ),
        }
    )


def _identifies(sid: asn1_cms.SignerIdentifier, cert: asn1_x509.Certificate) -> bool:
    if sid.name == "issuer_and_serial_number":
        chosen = sid.chosen
        return bool(
            chosen["issuer"] == cert.issuer and chosen["serial_number"].native == cert.serial_number
        )
    return bool(sid.chosen.native == cert.key_identifier)
