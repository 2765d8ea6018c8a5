"""Long-term validation: from B-LT to B-LTA, and keeping B-LTA alive.

After the plan's last signature, :func:`add_document_timestamp` appends one revision holding the
validation material still missing from the DSS (the TSA's, fetched now, and that of any signature
made without it) followed by an RFC 3161 document timestamp over everything. The timestamp proves
the signatures and their validation material existed before the TSA certificate expires or any key
is broken. Before that happens, the archive calls :func:`renew_timestamp`: DSS material for the
last timestamp, then a new document timestamp over it (ETSI EN 319 142-1, B-LTA).
"""

from __future__ import annotations

import asyncio
import io
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import misc
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    async_validate_pdf_timestamp,
    collect_validation_info,
)
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.path import ValidationPath

from signing.errors import SigningError
from signing.pades import (
    MD_ALGORITHM,
    CertificateNotUsableError,
    NotAPdfError,
    SignatureFailedError,
    TimestampUnavailableError,
)
from signing.pyhanko_patches import SignatureRevisionWriter

__all__ = [
    "DOC_TIMESTAMP_FIELD_PREFIX",
    "NothingToTimestampError",
    "TimestampChainBrokenError",
    "add_document_timestamp",
    "archival_timestamp_expiry",
    "async_add_document_timestamp",
    "async_renew_timestamp",
    "renew_timestamp",
]

# Invisible fields named like the slots: dau_thoi_gian_1, dau_thoi_gian_2, … ("time stamp").
DOC_TIMESTAMP_FIELD_PREFIX = "dau_thoi_gian_"


class NothingToTimestampError(SigningError):
    code = "lta.nothing_to_timestamp"


class TimestampChainBrokenError(SigningError):
    code = "lta.chain_broken"


def _open(pdf: bytes) -> PdfFileReader:
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        reader.root  # noqa: B018 - force the trailer and catalogue to be read now
    except (misc.PdfError, ValueError) as e:
        raise NotAPdfError(f"Không đọc được tệp PDF: {e}.") from e
    return reader


def _next_field_name(reader: PdfFileReader) -> str:
    taken = {name for name, _, _ in enumerate_sig_fields(reader)}
    n = 1
    while f"{DOC_TIMESTAMP_FIELD_PREFIX}{n}" in taken:
        n += 1
    return f"{DOC_TIMESTAMP_FIELD_PREFIX}{n}"


def _dss_certificates(reader: PdfFileReader) -> set[bytes]:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return set()
    return {cert.sha256 for cert in dss.load_certs()}


async def _collect(
    signatures: list[EmbeddedPdfSignature], validation_context: ValidationContext
) -> list[ValidationPath]:
    paths: list[ValidationPath] = []
    for emb in signatures:
        try:
            paths.extend(await collect_validation_info(emb, validation_context))
        except (PathBuildingError, PathValidationError) as e:
            subject = emb.signer_cert.subject.human_friendly
            raise CertificateNotUsableError(
                f"Không thu thập được thông tin kiểm tra chứng thư của chữ ký «{emb.field_name}» "
                f"({subject}): {e}."
            ) from e
    return paths


async def _append_document_timestamp(
    reader: PdfFileReader,
    *,
    timestamper: TimeStamper,
    validation_context: ValidationContext,
    material_for: list[EmbeddedPdfSignature],
    bytes_reserved: int | None,
) -> bytes:
    try:
        paths = await _collect(material_for, validation_context)
        # The TSA's own chain and revocation answers, fresh, for the timestamp about to be made.
        async for path in timestamper.validation_paths(  # type: ignore[no-untyped-call]
            validation_context
        ):
            paths.append(path)
        # Info and XMP stay as rendered, as in every signing revision (SignatureRevisionWriter).
        writer = SignatureRevisionWriter.from_reader(reader)
        # Before the timestamp and without VRI, so the timestamp covers the material it needs.
        DocumentSecurityStore.supply_dss_in_writer(
            writer, None, paths=paths, validation_context=validation_context
        )
        if bytes_reserved is None:
            token = await timestamper.async_dummy_response(MD_ALGORITHM)
            bytes_reserved = -(-(2 * len(token.dump()) + 2048) // 1024) * 1024
        stamper = PdfTimeStamper(
            timestamper,
            field_name=_next_field_name(reader),
            readable_field_name="Dấu thời gian lưu trữ",
        )
        output = await stamper.async_timestamp_pdf(
            writer, MD_ALGORITHM, validation_context=None, bytes_reserved=bytes_reserved
        )
    except TimestampRequestError as e:
        raise TimestampUnavailableError(
            f"Không lấy được dấu thời gian tài liệu từ TSA: {e}. Kiểm tra kết nối rồi thử lại."
        ) from e
    except (PathBuildingError, PathValidationError) as e:
        raise CertificateNotUsableError(
            f"Chứng thư của máy chủ cấp dấu thời gian (TSA) không kiểm tra được: {e}."
        ) from e
    except (misc.PdfError, OSError) as e:
        raise SignatureFailedError(f"Không thêm được dấu thời gian tài liệu: {e}") from e
    return bytes(output.getbuffer())


async def async_add_document_timestamp(
    pdf: bytes,
    *,
    timestamper: TimeStamper,
    validation_context: ValidationContext,
    bytes_reserved: int | None = None,
) -> bytes:
    """Make a signed record B-LTA: DSS completed, then a document timestamp over everything.

    Signatures made at B-LT already put their material into the DSS (their signer certificate is
    there); only the others are looked up now, so a batch does not re-fetch what it embedded.
    """
    reader = _open(pdf)
    signatures = reader.embedded_signatures
    if not signatures:
        raise NothingToTimestampError(
            "Hồ sơ chưa có chữ ký nào: dấu thời gian lưu trữ chỉ thêm sau chữ ký cuối cùng."
        )
    known = _dss_certificates(reader)
    missing = [emb for emb in signatures if emb.signer_cert.sha256 not in known]
    return await _append_document_timestamp(
        reader,
        timestamper=timestamper,
        validation_context=validation_context,
        material_for=missing,
        bytes_reserved=bytes_reserved,
    )


async def async_renew_timestamp(
    pdf: bytes,
    *,
    timestamper: TimeStamper,
    validation_context: ValidationContext,
    bytes_reserved: int | None = None,
) -> bytes:
    """Extend the B-LTA timestamp chain: material for the last document timestamp, then a new one.

    Refuses when there is no document timestamp yet, or when the last one does not validate now
    (renewing a broken chain would only hide the break).
    """
    reader = _open(pdf)
    timestamps = reader.embedded_timestamp_signatures
    if not timestamps:
        raise NothingToTimestampError(
            "Hồ sơ chưa có dấu thời gian lưu trữ (B-LTA) để gia hạn; thêm dấu thời gian tài "
            "liệu trước."
        )
    last = timestamps[-1]
    status = await async_validate_pdf_timestamp(last, validation_context, skip_diff=True)
    if not (status.intact and status.valid and status.trusted):
        raise TimestampChainBrokenError(
            f"Dấu thời gian lưu trữ «{last.field_name}» không còn hợp lệ "
            f"(nguyên vẹn: {status.intact}, tin cậy: {status.trusted}); không gia hạn. Kiểm tra "
            "tệp bằng «hsdt verify»."
        )
    return await _append_document_timestamp(
        reader,
        timestamper=timestamper,
        validation_context=validation_context,
        material_for=[last],
        bytes_reserved=bytes_reserved,
    )


def archival_timestamp_expiry(pdf: bytes) -> datetime | None:
    """When the last document timestamp's TSA certificate expires: renew before then.

    ``None`` if the file has no document timestamp.
    """
    reader = _open(pdf)
    timestamps = reader.embedded_timestamp_signatures
    if not timestamps:
        return None
    cert: asn1_x509.Certificate = timestamps[-1].signer_cert
    expiry: datetime = cert["tbs_certificate"]["validity"]["not_after"].native
    return expiry


def add_document_timestamp(
    pdf: bytes,
    *,
    timestamper: TimeStamper,
    validation_context: ValidationContext,
    bytes_reserved: int | None = None,
) -> bytes:
    """Synchronous :func:`async_add_document_timestamp` (one event loop per call)."""

    async def run() -> bytes:
        try:
            return await async_add_document_timestamp(
                pdf,
                timestamper=timestamper,
                validation_context=validation_context,
                bytes_reserved=bytes_reserved,
            )
        finally:
            await validation_context.aclose()  # type: ignore[no-untyped-call]

    return asyncio.run(run())


def renew_timestamp(
    pdf: bytes,
    *,
    timestamper: TimeStamper,
    validation_context: ValidationContext,
    bytes_reserved: int | None = None,
) -> bytes:
    """Synchronous :func:`async_renew_timestamp` (one event loop per call)."""

    async def run() -> bytes:
        try:
            return await async_renew_timestamp(
                pdf,
                timestamper=timestamper,
                validation_context=validation_context,
                bytes_reserved=bytes_reserved,
            )
        finally:
            await validation_context.aclose()  # type: ignore[no-untyped-call]

    return asyncio.run(run())
