"""How a development-PKI certificate is recognised, so nothing it signed passes for real.

Every certificate the development PKI issues carries two marks:

* the certificate policy ``DEV_PKI_POLICY_OID`` (with a user notice saying "not for production"),
  machine-readable, which the verifier uses to label its reports "demo mode";
* the subject organisational unit ``DEV_ORGANISATION_UNIT``, readable in any certificate viewer.

The OIDs sit under ``2.25.<UUID>`` (ITU-T X.667: an OID arc anyone may mint from a random UUID
without registering anything). The UUID below was generated once for hsdt; the arc is ours.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

HSDT_DEV_ARC = "2.25.21766681646227572509011563639956832037"
DEV_PKI_POLICY_OID = x509.ObjectIdentifier(f"{HSDT_DEV_ARC}.1")
"""Certificate policy of every certificate the development PKI issues."""
DEV_TSA_POLICY_OID = x509.ObjectIdentifier(f"{HSDT_DEV_ARC}.2")
"""TSA policy written into the development TSA's timestamp tokens (TSTInfo.policy)."""

NOT_FOR_PRODUCTION = "KHÔNG DÙNG THẬT / NOT FOR PRODUCTION"
DEV_ORGANISATION_UNIT = f"DEVELOPMENT — {NOT_FOR_PRODUCTION}"
DEV_POLICY_NOTICE = (
    "hsdt DEVELOPMENT PKI: chỉ dùng cho thử nghiệm và trình diễn — KHÔNG DÙNG THẬT. "
    "For tests and demos only — NOT FOR PRODUCTION."
)


def is_dev_pki_certificate(certificate: x509.Certificate | bytes) -> bool:
    """True if the certificate (object or DER) comes from a development PKI.

    Either mark counts: the policy (on everything issued) or the subject OU (on everything,
    roots included). A mark only ever makes a certificate *less* trusted (a demo-mode label, a
    refused production trust root), so accepting the weaker, copyable OU is safe.
    pyHanko hands out asn1crypto certificates: pass ``cert.dump()``.
    """
    cert = (
        x509.load_der_x509_certificate(certificate)
        if isinstance(certificate, bytes)
        else certificate
    )
    units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    if any(unit.value == DEV_ORGANISATION_UNIT for unit in units):
        return True
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return False
    return any(p.policy_identifier == DEV_PKI_POLICY_OID for p in policies)
