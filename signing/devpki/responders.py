"""What the development services answer: OCSP responses, CRLs, RFC 3161 timestamps.

Pure functions of (request bytes, PKI state, time) → response bytes; the HTTP server around them
lives in `server.py`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from pyhanko.sign.general import as_signing_certificate_v2

from signing.devpki.issuance import Authority
from signing.devpki.marker import DEV_TSA_POLICY_OID
from signing.devpki.store import RevocationRecord

# thisUpdate is set a little in the past: pyHanko fixes a validation context's clock when the
# context is built, and certvalidator rejects revocation data issued more than 1 s after that
# moment as "too new". Half a minute of slack absorbs a slow test machine.
CLOCK_SLACK = timedelta(seconds=30)
REVINFO_VALIDITY = timedelta(days=1)

_TSA_DIGESTS = {"sha256": 32, "sha384": 48, "sha512": 64}


@dataclass(frozen=True)
class OcspSigner:
    """Who signs OCSP responses for an authority: a delegated responder, or the CA itself."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    delegated: bool


def ocsp_response(
    request_der: bytes,
    authority: Authority,
    signer: OcspSigner,
    *,
    issued: Collection[int],
    revocations: Sequence[RevocationRecord],
    now: datetime,
) -> bytes:
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        algorithm = request.hash_algorithm
    except (ValueError, x509.UnsupportedGeneralNameType, TypeError):
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    name_hash, key_hash = _issuer_hashes(authority.certificate, algorithm)
    if (request.issuer_name_hash, request.issuer_key_hash) != (name_hash, key_hash):
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)

    serial = request.serial_number
    revocation = next((r for r in revocations if r.serial == serial), None)
    revocation_time = None
    reason = None
    if revocation is not None:
        status = ocsp.OCSPCertStatus.REVOKED
        revocation_time = revocation.revoked_at
        reason = x509.ReasonFlags(revocation.reason)
        if reason is x509.ReasonFlags.unspecified:
            reason = None  # omitted rather than encoded (RFC 5280 §5.3.1)
    elif serial in issued:
        status = ocsp.OCSPCertStatus.GOOD
    else:
        status = ocsp.OCSPCertStatus.UNKNOWN

    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=name_hash,
            issuer_key_hash=key_hash,
            serial_number=serial,
            algorithm=algorithm,
            cert_status=status,
            this_update=now - CLOCK_SLACK,
            next_update=now + REVINFO_VALIDITY,
            revocation_time=revocation_time,
            revocation_reason=reason,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, signer.certificate)
    )
    if signer.delegated:
        builder = builder.certificates([signer.certificate])
    try:
        nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value
        builder = builder.add_extension(nonce, critical=False)
    except x509.ExtensionNotFound:
        pass
    response = builder.sign(signer.key, hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)


def _issuer_hashes(
    issuer: x509.Certificate, algorithm: hashes.HashAlgorithm
) -> tuple[bytes, bytes]:
    name = hashes.Hash(algorithm)
    name.update(issuer.subject.public_bytes())
    key = hashes.Hash(algorithm)
    # RFC 6960 hashes the subjectPublicKey BIT STRING value: for RSA, the PKCS#1 key.
    key.update(
        issuer.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.PKCS1
        )
    )
    return name.finalize(), key.finalize()


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def certificate_revocation_list(
    authority: Authority, revocations: Sequence[RevocationRecord], now: datetime
) -> bytes:
    ski = authority.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.certificate.subject)
        .last_update(now - CLOCK_SLACK)
        .next_update(now + REVINFO_VALIDITY)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski.value),
            critical=False,
        )
        # Seconds since the epoch: increases with every CRL we hand out, as RFC 5280 wants.
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
    )
    for revocation in revocations:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(revocation.serial)
            .revocation_date(revocation.revoked_at)
        )
        reason = x509.ReasonFlags(revocation.reason)
        if reason is not x509.ReasonFlags.unspecified:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    crl = builder.sign(authority.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


class TimeStampAuthority:
    """An RFC 3161 responder with its key loaded once (pyHanko's DummyTimeStamper re-parses it)."""

    def __init__(
        self,
        certificate: x509.Certificate,
        key: rsa.RSAPrivateKey,
        chain: Sequence[x509.Certificate] = (),
    ) -> None:
        self._key = key
        der = certificate.public_bytes(serialization.Encoding.DER)
        self._certificate = asn1_x509.Certificate.load(der)
        self._chain = [
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain
        ]
        self._signing_certificate = _attribute(
            "signing_certificate_v2", as_signing_certificate_v2(self._certificate)
        )

    def respond(self, request_der: bytes, now: datetime) -> bytes:
        try:
            request = tsp.TimeStampReq.load(request_der)
            imprint = request["message_imprint"]
            digest_algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            nonce = request["nonce"].native
            certificates_requested = bool(request["cert_req"].native)
        except (ValueError, TypeError, KeyError):
            return _rejection("bad_data_format", "Yêu cầu không đúng RFC 3161.")
        if _TSA_DIGESTS.get(digest_algorithm) != len(digest):
            return _rejection("bad_alg", f"Thuật toán băm không hỗ trợ: {digest_algorithm}.")

        tst_info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": DEV_TSA_POLICY_OID.dotted_string,
                "message_imprint": imprint,
                "serial_number": secrets.randbits(63),
                "gen_time": core.GeneralizedTime(now),
                "accuracy": {"seconds": 1},
                "tsa": asn1_x509.GeneralName(
                    name="directory_name", value=self._certificate.subject
                ),
                **({"nonce": nonce} if nonce is not None else {}),
            }
        )
        tst_info_der = tst_info.dump()
        signed_attrs = cms.CMSAttributes(
            [
                _attribute("content_type", "tst_info"),
                _attribute("message_digest", hashlib.sha256(tst_info_der).digest()),
                self._signing_certificate,
            ]
        )
        signature = self._key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    name="issuer_and_serial_number",
                    value=cms.IssuerAndSerialNumber(
                        {
                            "issuer": self._certificate.issuer,
                            "serial_number": self._certificate.serial_number,
                        }
                    ),
                ),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
                "signature": signature,
            }
        )
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
                "encap_content_info": {
                    "content_type": "tst_info",
                    "content": cms.ParsableOctetString(tst_info_der),
                },
                **(
                    {"certificates": [self._certificate, *self._chain]}
                    if certificates_requested
                    else {}
                ),
                "signer_infos": [signer_info],
            }
        )
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        response = tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
        return bytes(response.dump())


def _attribute(kind: str, value: object) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": kind, "values": (value,)})


class _RejectedResponse(core.Sequence):  # type: ignore[misc]
    """TimeStampResp without a token: asn1crypto declares the token mandatory (RFC 3161: not)."""

    _fields: ClassVar = [("status", tsp.PKIStatusInfo)]


def _rejection(fail_info: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {
            "status": "rejection",
            "status_string": [text],
            "fail_info": tsp.PKIFailureInfo({fail_info}),
        }
    )
    return bytes(_RejectedResponse({"status": status}).dump())
