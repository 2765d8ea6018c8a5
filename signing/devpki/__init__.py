"""The development PKI: a throwaway CA hierarchy with TSA, OCSP and CRLs on 127.0.0.1.

For tests and demos only. Every certificate it issues is marked (see `marker`) and must never be
trusted outside demo/test mode; production trust roots are configured per province instead
(docs/dev-pki.md).
"""

from signing.devpki.marker import (
    DEV_PKI_POLICY_OID,
    DEV_TSA_POLICY_OID,
    NOT_FOR_PRODUCTION,
    is_dev_pki_certificate,
)
from signing.devpki.model import Identity, IdentityKind, PersonSpec
from signing.devpki.pki import (
    EXPIRED,
    REVOKED,
    TEST_IDENTITIES,
    UNTRUSTED,
    WRONG_USAGE,
    DevPki,
    create_dev_pki,
    load_dev_pki,
)
from signing.devpki.server import PkiServer, serve_dev_pki, serve_dev_pki_process

__all__ = [
    "DEV_PKI_POLICY_OID",
    "DEV_TSA_POLICY_OID",
    "EXPIRED",
    "NOT_FOR_PRODUCTION",
    "REVOKED",
    "TEST_IDENTITIES",
    "UNTRUSTED",
    "WRONG_USAGE",
    "DevPki",
    "Identity",
    "IdentityKind",
    "PersonSpec",
    "PkiServer",
    "create_dev_pki",
    "is_dev_pki_certificate",
    "load_dev_pki",
    "serve_dev_pki",
    "serve_dev_pki_process",
]
