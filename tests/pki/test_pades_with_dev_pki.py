"""Proof that pyHanko signs and validates against the development PKI with revocation checking."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager
from support.pki import SCHOOL, sign_pdf_bytes, validate_only_signature

from signing.backends import load_pkcs12_signer
from signing.certcheck import CertProblemCode, ExpectedSigner, check_signer
from signing.devpki import DevPki, PersonSpec, PkiServer, create_dev_pki, is_dev_pki_certificate


def test_pades_lta_signature_validates_as_trusted(dev_pki: DevPki, tiny_pdf: bytes) -> None:
    identity = dev_pki.identity("GV001")
    signer = load_pkcs12_signer(identity.pkcs12_path, identity.passphrase)

    signed = sign_pdf_bytes(tiny_pdf, signer, dev_pki, lta=True)
    status = validate_only_signature(signed, dev_pki)

    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    # The verifier can tell this signature came from the development PKI ("demo mode").
    assert is_dev_pki_certificate(status.signing_cert.dump())


def test_lta_signature_validates_from_embedded_data_with_services_down(
    dev_pki_server: PkiServer, tiny_pdf: bytes
) -> None:
    pki = dev_pki_server.pki
    identity = pki.identity("GV002")
    signed = sign_pdf_bytes(
        tiny_pdf, load_pkcs12_signer(identity.pkcs12_path, identity.passphrase), pki, lta=True
    )
    roots = [asn1_x509.Certificate.load(r.public_bytes(Encoding.DER)) for r in pki.trust_roots()]
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=roots),
                revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )
    with dev_pki_server.stopped():
        (signature,) = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures
        result = asyncio.run(ades_lta_validation(signature, spec))
    assert result.api_status is not None and result.api_status.bottom_line


def test_revoking_a_signer_makes_the_precheck_refuse_it(dev_pki: DevPki, tiny_pdf: bytes) -> None:
    pki = create_dev_pki(dev_pki.directory, [PersonSpec("GV091", "Cầm Thị Dung", "person", SCHOOL)])
    identity = pki.identity("GV091")
    expected = ExpectedSigner("GV091", "Cầm Thị Dung", "person")

    def precheck() -> tuple[str, ...]:
        return check_signer(
            identity.certificate,
            identity.chain,
            trust_roots=pki.trust_roots(),
            at=datetime.now(UTC),
            expected=expected,
        ).codes

    assert precheck() == ()
    signed = sign_pdf_bytes(
        tiny_pdf, load_pkcs12_signer(identity.pkcs12_path, identity.passphrase), pki, lta=False
    )
    assert validate_only_signature(signed, pki).bottom_line

    pki.revoke("GV091")

    assert precheck() == (CertProblemCode.REVOKED,)
