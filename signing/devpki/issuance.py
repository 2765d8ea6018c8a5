"""Certificate profiles of the development PKI: pure builders over `cryptography`, no I/O.

Hierarchy (see docs/dev-pki.md): root CA → issuing CA → people, school seals, the TSA and the
OCSP responder; a separate "untrusted" root issues the certificate used to test untrusted chains.
Revocation pointers follow what pyhanko-certvalidator checks: end-entity certificates point to
OCSP, the issuing CA to its parent's CRL (a CRL distribution point on a certificate names where
*that* certificate's status is published).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from signing.devpki.marker import (
    DEV_ORGANISATION_UNIT,
    DEV_PKI_POLICY_OID,
    DEV_POLICY_NOTICE,
    NOT_FOR_PRODUCTION,
)
from signing.devpki.model import PersonSpec
from signing.errors import DevPkiError

DEV_ORGANISATION = "hsdt DEVELOPMENT PKI"
UNTRUSTED_ORGANISATION = (
    "hsdt DEVELOPMENT PKI (untrusted test root — không có trong danh sách tin cậy)"
)
# `cryptography` caps CN at 64 *bytes* of UTF-8 (RFC 5280 says 64 characters), which leaves
# 19 bytes before the " — KHÔNG DÙNG THẬT / NOT FOR PRODUCTION" tag.
ROOT_NAME = f"DEVELOPMENT Root CA — {NOT_FOR_PRODUCTION}"
ISSUING_NAME = f"DEVELOPMENT Sub CA — {NOT_FOR_PRODUCTION}"
UNTRUSTED_ROOT_NAME = f"DEVELOPMENT Alt CA — {NOT_FOR_PRODUCTION}"
TSA_NAME = f"DEVELOPMENT TSA — {NOT_FOR_PRODUCTION}"
OCSP_NAME = f"DEVELOPMENT OCSP — {NOT_FOR_PRODUCTION}"

_MAX_COMMON_NAME_BYTES = 64


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class ServiceUrls:
    """Where the development services live; written into every certificate issued."""

    base_url: str

    def ocsp(self, authority: str) -> str:
        return f"{self.base_url}/ocsp/{authority}"

    def crl(self, authority: str) -> str:
        return f"{self.base_url}/crl/{authority}.crl"

    def ca_certificate(self, authority: str) -> str:
        return f"{self.base_url}/certs/{authority}.cer"

    @property
    def tsa(self) -> str:
        return f"{self.base_url}/tsa"


@dataclass(frozen=True)
class Authority:
    """A CA of the development PKI; ``name`` is its key in URLs and in the manifest."""

    name: str
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


class Profile(enum.Enum):
    """End-entity certificate profiles."""

    SIGNING = "signing"
    """People and school seals: non-repudiation, as pyHanko requires of PDF signers."""
    WRONG_USAGE = "wrong-usage"
    """A TLS-server-like certificate, for the wrong-key-usage test."""
    TSA = "tsa"
    OCSP_RESPONDER = "ocsp-responder"


def ca_name(common_name: str, organisation: str = DEV_ORGANISATION) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEV_ORGANISATION_UNIT),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def holder_name(spec: PersonSpec) -> x509.Name:
    """Subject binding the certificate to the holder: CN = name, UID = our id, O = school.

    Vietnamese CAs put the holder's identifier in UID (e.g. ``CCCD:…``, ``MST:…``); the
    certificate check accepts the id there or in serialNumber, bare or after such a prefix.
    """
    if spec.kind == "organisation":
        organisation: str | None = spec.organisation or spec.full_name
        common_name = _shorten(spec.full_name)  # the full name stays in O
    else:
        organisation = spec.organisation
        common_name = spec.full_name
        if len(common_name.encode("utf-8")) > _MAX_COMMON_NAME_BYTES:
            raise DevPkiError(
                f"Tên «{spec.full_name}» quá dài (hơn {_MAX_COMMON_NAME_BYTES} byte UTF-8), "
                "không ghi được vào trường CN của chứng thư số."
            )
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    attributes += [
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEV_ORGANISATION_UNIT),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.USER_ID, spec.id),
    ]
    return x509.Name(attributes)


def _shorten(name: str) -> str:
    if len(name.encode("utf-8")) <= _MAX_COMMON_NAME_BYTES:
        return name
    while len((name + "…").encode("utf-8")) > _MAX_COMMON_NAME_BYTES:
        name = name[:-1]
    return name.rstrip() + "…"


def _dev_policy() -> x509.CertificatePolicies:
    notice = x509.UserNotice(notice_reference=None, explicit_text=DEV_POLICY_NOTICE)
    return x509.CertificatePolicies([x509.PolicyInformation(DEV_PKI_POLICY_OID, [notice])])


def _builder(
    subject: x509.Name,
    issuer_name: x509.Name,
    public_key: rsa.RSAPublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,  # lets a CA sign OCSP responses for its own certificates
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _authority_key_id(issuer: Authority) -> x509.AuthorityKeyIdentifier:
    ski = issuer.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski.value)


def root_certificate(
    key: rsa.RSAPrivateKey,
    name: x509.Name,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    builder = (
        _builder(name, name, key.public_key(), not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
    )
    return builder.sign(key, hashes.SHA256())


def subordinate_ca_certificate(
    key: rsa.RSAPrivateKey,
    issuer: Authority,
    common_name: str,
    urls: ServiceUrls,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    builder = (
        _builder(
            ca_name(common_name),
            issuer.certificate.subject,
            key.public_key(),
            not_before,
            not_after,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(_authority_key_id(issuer), critical=False)
        .add_extension(_dev_policy(), critical=False)
        .add_extension(_crl_distribution_point(urls.crl(issuer.name)), critical=False)
        .add_extension(_aia(urls, issuer.name, with_ocsp=False), critical=False)
    )
    return builder.sign(issuer.key, hashes.SHA256())


def end_entity_certificate(
    public_key: rsa.RSAPublicKey,
    issuer: Authority,
    subject: x509.Name,
    profile: Profile,
    urls: ServiceUrls,
    not_before: datetime,
    not_after: datetime,
    email: str | None = None,
) -> x509.Certificate:
    builder = (
        _builder(subject, issuer.certificate.subject, public_key, not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_end_entity_key_usage(profile), critical=True)
        .add_extension(_authority_key_id(issuer), critical=False)
        .add_extension(_dev_policy(), critical=False)
    )
    # The OCSP responder is not itself checked for revocation (id-pkix-ocsp-nocheck).
    with_ocsp = profile is not Profile.OCSP_RESPONDER
    builder = builder.add_extension(_aia(urls, issuer.name, with_ocsp=with_ocsp), critical=False)
    if profile is Profile.TSA:
        # RFC 3161 §2.3: exactly this purpose, marked critical.
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    elif profile is Profile.OCSP_RESPONDER:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False
        ).add_extension(x509.OCSPNoCheck(), critical=False)
    elif profile is Profile.WRONG_USAGE:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
        )
    return builder.sign(issuer.key, hashes.SHA256())


def _end_entity_key_usage(profile: Profile) -> x509.KeyUsage:
    non_repudiation = profile in (Profile.SIGNING, Profile.TSA)
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=non_repudiation,
        key_encipherment=profile is Profile.WRONG_USAGE,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _aia(urls: ServiceUrls, issuer: str, *, with_ocsp: bool) -> x509.AuthorityInformationAccess:
    descriptions = [
        x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS,
            x509.UniformResourceIdentifier(urls.ca_certificate(issuer)),
        )
    ]
    if with_ocsp:
        descriptions.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier(urls.ocsp(issuer)),
            )
        )
    return x509.AuthorityInformationAccess(descriptions)


def _crl_distribution_point(url: str) -> x509.CRLDistributionPoints:
    point = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)],
        relative_name=None,
        reasons=None,
        crl_issuer=None,
    )
    return x509.CRLDistributionPoints([point])


def validity(now: datetime, *, days_before: int, days_after: int) -> tuple[datetime, datetime]:
    return now - timedelta(days=days_before), now + timedelta(days=days_after)
