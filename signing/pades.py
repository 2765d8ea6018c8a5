"""Sign one slot of a rendered record: PAdES B-T or B-LT, visible Vietnamese stamp, in place.

The renderer draws one empty, visible signature field per slot of the plan (``gvbm_TOAN``,
``gvcn``, ``hieu_truong``, ``con_dau``) and declares in each field's ``/Lock`` dictionary which
fields that signature locks (FieldMDP). Signing fills exactly that field, as one incremental
update:

* the first signature of a document certifies it with DocMDP "fill forms and sign" (P=2),
  every later one is an approval signature; never "no changes", which would forbid the next slot;
* the CMS is ETSI.CAdES.detached (PAdES), SHA-256, with an RFC 3161 signature timestamp (B-T);
* for B-LT the validation material (chain, OCSP responses, CRLs, also the TSA's) goes into the
  DSS *in the same revision* as the signature (no VRI), so one signature is one revision;
* the role label goes into ``/Reason`` so a verifier can show it without our plan.

Locks are not added at signing time: pyHanko's difference analysis only lets a signing update
change a field's value keys (/V, /AP, /F, …), so a ``/Lock`` written by a later signer would make
every earlier signature report a forbidden change. See docs/signing.md.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Literal

import aiohttp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import misc
from pyhanko.pdf_utils.form_tools import annot_width_height, get_single_field_annot
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields as pdf_fields
from pyhanko.sign.general import SigningError as PyhankoSigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    PdfTBSDocument,
    SigDSSPlacementPreference,
)
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from signing.appearance import StampText, VietnameseStampStyle
from signing.errors import SigningError
from signing.pyhanko_patches import SignatureRevisionWriter

__all__ = [
    "MD_ALGORITHM",
    "CertificateNotUsableError",
    "CertifyOrderError",
    "FieldLocks",
    "Level",
    "LockMismatchError",
    "NotAPdfError",
    "SignatureFailedError",
    "SigningServices",
    "SlotAlreadySignedError",
    "SlotNotFoundError",
    "TimestampUnavailableError",
    "async_sign_slot",
    "estimate_reserved_size",
    "sign_slot",
    "signing_validation_context",
    "to_asn1_certificate",
]

MD_ALGORITHM = "sha256"
Level = Literal["B-T", "B-LT"]


class SlotNotFoundError(SigningError):
    code = "slot.not_found"


class SlotAlreadySignedError(SigningError):
    code = "slot.already_signed"


class CertifyOrderError(SigningError):
    code = "slot.certify_order"


class LockMismatchError(SigningError):
    code = "slot.locks_mismatch"


class NotAPdfError(SigningError):
    code = "pdf.unreadable"


class TimestampUnavailableError(SigningError):
    code = "tsa.unavailable"


class CertificateNotUsableError(SigningError):
    """The signer's certificate does not validate now (revoked, expired, untrusted chain)."""

    code = "cert.not_usable"


class SignatureFailedError(SigningError):
    code = "pades.failed"


@dataclass(frozen=True)
class FieldLocks:
    """The form fields a slot's signature locks (FieldMDP ``/Include``), as the plan says.

    ``sign_slot`` checks them against the field's ``/Lock`` dictionary written by the renderer.
    """

    fields: tuple[str, ...]


def to_asn1_certificate(cert: x509.Certificate | asn1_x509.Certificate) -> asn1_x509.Certificate:
    """pyHanko speaks asn1crypto; the rest of the project speaks ``cryptography``."""
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@dataclass
class SigningServices:
    """The TSA and revocation fetching of many signatures over one HTTP session.

    Use one per batch, inside one event loop::

        async with SigningServices(tsa_url=pki.tsa_url, trust_roots=pki.trust_roots()) as net:
            for pdf in pdfs:
                out = await async_sign_slot(pdf, ..., timestamper=net.timestamper,
                                            validation_context=net.validation_context(cert))

    pyHanko's defaults open and close an aiohttp session per TSA request and per validation;
    here the TSA answers, OCSP responses and CRLs of one signer are fetched once and reused for
    ``revinfo_max_age`` (a batch of 40 record books by one teacher makes one OCSP request).
    """

    tsa_url: str
    trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate]
    timeout: float = 10.0
    revinfo_max_age: timedelta = timedelta(minutes=5)
    _session: aiohttp.ClientSession | None = field(default=None, init=False, repr=False)
    _timestamper: HTTPTimeStamper | None = field(default=None, init=False, repr=False)
    _contexts: dict[bytes, tuple[float, ValidationContext]] = field(
        default_factory=dict, init=False, repr=False
    )

    async def __aenter__(self) -> SigningServices:
        self._session = aiohttp.ClientSession()
        self._timestamper = HTTPTimeStamper(
            self.tsa_url, timeout=self.timeout, session=self._session
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None
        self._contexts.clear()

    @property
    def timestamper(self) -> HTTPTimeStamper:
        if self._timestamper is None:
            raise RuntimeError("SigningServices must be entered (async with) before use")
        return self._timestamper

    def validation_context(
        self, signer_cert: x509.Certificate | asn1_x509.Certificate | None = None
    ) -> ValidationContext:
        """A context for one signer, reused while its revocation answers are fresh.

        One context per signer keeps each record's DSS to that signer's material (a context
        accumulates every OCSP response and CRL it has seen, and all of them go into the DSS).
        """
        if self._session is None:
            raise RuntimeError("SigningServices must be entered (async with) before use")
        key = to_asn1_certificate(signer_cert).sha256 if signer_cert is not None else b""
        now = time.monotonic()
        cached = self._contexts.get(key)
        if cached is not None and now - cached[0] < self.revinfo_max_age.total_seconds():
            return cached[1]
        context = signing_validation_context(
            self.trust_roots,
            fetcher_backend=AIOHttpFetcherBackend(
                session=self._session, per_request_timeout=self.timeout
            ),
        )
        self._contexts[key] = (now, context)
        return context


def signing_validation_context(
    trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate],
    *,
    fetcher_backend: AIOHttpFetcherBackend | None = None,
) -> ValidationContext:
    """The context a signer's certificate is checked against before signing (fetching allowed).

    ``hard-fail``: where a certificate names an OCSP responder or CRL, an answer is required, so a
    revoked or unverifiable certificate cannot produce a B-LT signature.
    """
    return ValidationContext(
        trust_roots=[to_asn1_certificate(c) for c in trust_roots],
        allow_fetching=True,
        revocation_mode="hard-fail",
        fetcher_backend=fetcher_backend,
    )


async def estimate_reserved_size(signer: Signer, timestamper: TimeStamper | None) -> int:
    """Hex characters to reserve for the CMS, without building a dry-run CMS.

    pyHanko sizes the placeholder by building a whole second CMS (the field notes measured a
    signature at 68 ms with it, 36 ms without). The real size is the certificates, the RSA/ECDSA
    value, the signed attributes and the timestamp token; the token's size is known from the
    TSA's first answer, which pyHanko caches per timestamper.
    """
    der = 0
    if signer.signing_cert is not None:
        der += len(signer.signing_cert.dump())
    for cert in signer.cert_registry or ():
        der += len(cert.dump())
    if timestamper is not None:
        der += len((await timestamper.async_dummy_response(MD_ALGORITHM)).dump())
    der += 512 + 2048  # signature value (≤ RSA-4096) + signed attributes and CMS framing
    hex_chars = 2 * der
    return -(-hex_chars // 1024) * 1024


@dataclass(frozen=True)
class FieldState:
    exists: bool
    signed: bool
    visible: bool
    locks: pdf_fields.FieldMDPSpec | None
    any_signature: bool


def inspect_field(reader: PdfFileReader, field_name: str) -> FieldState:
    any_signature = next(pdf_fields.enumerate_sig_fields(reader, filled_status=True), None)
    found = next(pdf_fields.enumerate_sig_fields(reader, with_name=field_name), None)
    if found is None:
        return FieldState(False, False, False, None, any_signature is not None)
    _, value, field_ref = found
    sig_field = field_ref.get_object()
    width, height = annot_width_height(get_single_field_annot(sig_field))
    lock_dict = sig_field.get("/Lock")
    locks = (
        pdf_fields.FieldMDPSpec.from_pdf_object(lock_dict.get_object())
        if lock_dict is not None
        else None
    )
    return FieldState(
        True, value is not None, bool(width and height), locks, any_signature is not None
    )


def check_slot(
    state: FieldState, field_name: str, certify: bool | None, locks: FieldLocks | None
) -> bool:
    """Refuse what the profile forbids; return whether this signature certifies."""
    if not state.exists:
        raise SlotNotFoundError(
            f"Tệp PDF không có ô chữ ký «{field_name}». Kiểm tra kế hoạch ký hoặc kết xuất lại "
            "hồ sơ để có đủ ô chữ ký."
        )
    if state.signed:
        raise SlotAlreadySignedError(
            f"Ô chữ ký «{field_name}» đã được ký; mỗi ô chỉ được ký một lần."
        )
    if not state.visible:
        raise SlotNotFoundError(
            f"Ô chữ ký «{field_name}» không hiển thị (kích thước 0): chữ ký cần hiện trên biểu "
            "mẫu. Kết xuất lại hồ sơ."
        )
    first = not state.any_signature
    if certify is True and not first:
        raise CertifyOrderError(
            f"Chỉ chữ ký đầu tiên của hồ sơ được chứng thực; hồ sơ đã có chữ ký trước ô "
            f"«{field_name}»."
        )
    if certify is False and first:
        raise CertifyOrderError(
            f"Ô «{field_name}» là chữ ký đầu tiên của hồ sơ nên phải là chữ ký chứng thực "
            "(DocMDP «điền biểu mẫu và ký»)."
        )
    if locks is not None:
        declared = state.locks
        if declared is None:
            same = not locks.fields
        else:
            same = declared.action == pdf_fields.FieldMDPAction.INCLUDE and set(
                declared.fields or ()
            ) == set(locks.fields)
        if not same:
            shown = ", ".join(declared.fields or ()) if declared is not None else "không ô nào"
            raise LockMismatchError(
                f"Ô chữ ký «{field_name}» khóa ({shown}) khác với kế hoạch ký "
                f"({', '.join(locks.fields) or 'không ô nào'}). Kết xuất lại hồ sơ theo kế hoạch "
                "hiện hành."
            )
    return first


def open_slot(
    pdf: bytes, field_name: str, certify: bool | None, field_locks: FieldLocks | None
) -> tuple[IncrementalPdfFileWriter, bool]:
    """The document opened for an incremental update, and whether this slot's signature certifies
    (after checking the field exists, is empty and carries the plan's locks)."""
    try:
        # The signing revision leaves Info and XMP as rendered (see SignatureRevisionWriter).
        writer = SignatureRevisionWriter(io.BytesIO(pdf))
    except (misc.PdfError, ValueError) as e:
        raise NotAPdfError(f"Không đọc được tệp PDF cần ký: {e}.") from e
    return writer, check_slot(
        inspect_field(writer.prev, field_name), field_name, certify, field_locks
    )


def slot_signer(
    *,
    field_name: str,
    signer: Signer,
    signer_name: str,
    role_label: str,
    certifies: bool,
    embed_validation_info: bool,
    validation_context: ValidationContext | None,
    timestamper: TimeStamper | None,
    signed_at: datetime,
) -> PdfSigner:
    """Our PAdES profile for one slot: DocMDP "fill forms and sign" when certifying, the role in
    /Reason, validation material in the signature's own revision, a Vietnamese stamp."""
    meta = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=MD_ALGORITHM,
        reason=role_label,
        certify=certifies,
        docmdp_permissions=pdf_fields.MDPPerm.FILL_FORMS,
        subfilter=pdf_fields.SigSeedSubFilter.PADES,
        embed_validation_info=embed_validation_info,
        validation_context=validation_context,
        dss_settings=DSSContentSettings(
            placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
        ),
    )
    style = VietnameseStampStyle(text=StampText(signer_name, role_label, signed_at))
    return PdfSigner(meta, signer, timestamper=timestamper, stamp_style=style)


async def digest_slot(
    pdf_signer: PdfSigner,
    writer: IncrementalPdfFileWriter,
    signer: Signer,
    timestamper: TimeStamper | None,
    signed_at: datetime,
    bytes_reserved: int | None,
) -> tuple[PdfTBSDocument, PreparedByteRangeDigest, IO[bytes]]:
    """PdfSigner.async_sign_pdf up to the document digest, unrolled to set the signing time (it
    always uses "now") and to size the placeholder without a dry-run CMS."""
    if bytes_reserved is None:
        bytes_reserved = await estimate_reserved_size(signer, timestamper)
    session = pdf_signer.init_signing_session(writer, existing_fields_only=True)
    session.system_time = signed_at
    validation_info = await session.perform_presign_validation(writer)
    tbs = session.prepare_tbs_document(
        validation_info=validation_info, bytes_reserved=bytes_reserved
    )
    prepared, output = tbs.digest_tbs_document()
    return tbs, prepared, output


async def async_sign_slot(
    pdf: bytes,
    *,
    field_name: str,
    signer: Signer,
    signer_name: str,
    role_label: str,
    timestamper: TimeStamper,
    validation_context: ValidationContext | None,
    level: Level = "B-LT",
    certify: bool | None = None,
    field_locks: FieldLocks | None = None,
    signing_time: datetime | None = None,
    bytes_reserved: int | None = None,
) -> bytes:
    """Fill the empty signature field ``field_name`` of ``pdf``; return the signed bytes.

    ``certify``: ``None`` lets the document decide (its first signature certifies); ``True`` or
    ``False`` assert the caller's expectation and are refused if wrong. ``field_locks``: ``None``
    accepts the field's declared locks; otherwise they must match. ``signing_time`` (aware) is
    written to ``/M`` and shown on the stamp; the trusted time is the TSA's token.
    """
    if level == "B-LT" and validation_context is None:
        raise ValueError("B-LT needs a validation context to collect validation material")
    return await _sign(
        pdf,
        field_name=field_name,
        signer=signer,
        signer_name=signer_name,
        role_label=role_label,
        timestamper=timestamper,
        validation_context=validation_context,
        embed_validation_info=level == "B-LT",
        certify=certify,
        field_locks=field_locks,
        signing_time=signing_time,
        bytes_reserved=bytes_reserved,
    )


async def _sign(
    pdf: bytes,
    *,
    field_name: str,
    signer: Signer,
    signer_name: str,
    role_label: str,
    timestamper: TimeStamper | None,
    validation_context: ValidationContext | None,
    embed_validation_info: bool,
    certify: bool | None,
    field_locks: FieldLocks | None,
    signing_time: datetime | None,
    bytes_reserved: int | None,
) -> bytes:
    # The profile requires a timestamper; ``timestamper=None`` (B-B) exists for the benchmark.
    signed_at = signing_time or datetime.now(UTC)
    if signed_at.tzinfo is None:
        raise ValueError("signing_time must be timezone-aware")
    writer, certifies = open_slot(pdf, field_name, certify, field_locks)
    pdf_signer = slot_signer(
        field_name=field_name,
        signer=signer,
        signer_name=signer_name,
        role_label=role_label,
        certifies=certifies,
        embed_validation_info=embed_validation_info,
        validation_context=validation_context,
        timestamper=timestamper,
        signed_at=signed_at,
    )
    try:
        tbs, prepared, output = await digest_slot(
            pdf_signer, writer, signer, timestamper, signed_at, bytes_reserved
        )
        post = await tbs.perform_signature(
            prepared.document_digest, PdfCMSSignedAttributes(signing_time=signed_at)
        )
        await post.post_signature_processing(output)
    except TimestampRequestError as e:
        raise TimestampUnavailableError(
            f"Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA): {e}. Kiểm tra kết "
            "nối mạng hoặc địa chỉ TSA rồi ký lại."
        ) from e
    except PyhankoSigningError as e:
        cause = e.__cause__
        if isinstance(cause, (PathBuildingError, PathValidationError)):
            raise CertificateNotUsableError(
                f"Chứng thư số của {signer_name} không dùng được để ký lúc này: {cause}. "
                "Kiểm tra chứng thư (hết hạn, bị thu hồi, không thuộc CA tin cậy)."
            ) from e
        raise SignatureFailedError(f"Không ký được ô «{field_name}»: {e}") from e
    except (misc.PdfError, OSError) as e:
        raise SignatureFailedError(f"Không ký được ô «{field_name}»: {e}") from e
    assert isinstance(output, io.BytesIO)  # digest_tbs_document() without output= makes one
    return output.getvalue()


def sign_slot(
    pdf: bytes,
    *,
    field_name: str,
    signer: Signer,
    signer_name: str,
    role_label: str,
    timestamper: TimeStamper,
    validation_context: ValidationContext | None,
    level: Level = "B-LT",
    certify: bool | None = None,
    field_locks: FieldLocks | None = None,
    signing_time: datetime | None = None,
    bytes_reserved: int | None = None,
) -> bytes:
    """Synchronous :func:`async_sign_slot`: one event loop per call. For batches, use
    :class:`SigningServices` and the async function in one loop."""

    async def run() -> bytes:
        try:
            return await async_sign_slot(
                pdf,
                field_name=field_name,
                signer=signer,
                signer_name=signer_name,
                role_label=role_label,
                timestamper=timestamper,
                validation_context=validation_context,
                level=level,
                certify=certify,
                field_locks=field_locks,
                signing_time=signing_time,
                bytes_reserved=bytes_reserved,
            )
        finally:
            # Release the HTTP session the context opened for itself in this loop.
            if validation_context is not None:
                await validation_context.aclose()  # type: ignore[no-untyped-call]

    return asyncio.run(run())
