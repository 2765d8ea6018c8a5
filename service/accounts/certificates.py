"""Signing certificates as accounts hold them: identified by the SHA-256 of their DER bytes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from service.accounts.errors import CertificateBindingError

CertificateInput = bytes | x509.Certificate  # DER or PEM bytes, or a parsed certificate


@dataclass(frozen=True)
class CertificateInfo:
    sha256: str  # lowercase hex of the DER encoding
    subject: str
    serial_number: str  # hex
    not_before: datetime
    not_after: datetime


def parse_certificate(cert: CertificateInput) -> x509.Certificate:
    if isinstance(cert, x509.Certificate):
        return cert
    try:
        if cert.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(cert)
        return x509.load_der_x509_certificate(cert)
    except ValueError as exc:
        raise CertificateBindingError(
            "Tệp chứng thư số không đọc được (cần một chứng thư X.509 dạng DER hoặc PEM).",
            hint="Xuất lại chứng thư từ thiết bị ký hoặc nhà cung cấp dịch vụ chứng thực.",
        ) from exc


def fingerprint(cert: CertificateInput) -> str:
    return hashlib.sha256(parse_certificate(cert).public_bytes(Encoding.DER)).hexdigest()


def certificate_info(cert: CertificateInput) -> CertificateInfo:
    c = parse_certificate(cert)
    return CertificateInfo(
        sha256=hashlib.sha256(c.public_bytes(Encoding.DER)).hexdigest(),
        subject=c.subject.rfc4514_string(),
        serial_number=format(c.serial_number, "x"),
        not_before=c.not_valid_before_utc,
        not_after=c.not_valid_after_utc,
    )
