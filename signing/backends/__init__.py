"""Signer backends: where a signer's private key lives and how to get a pyHanko `Signer` for it.

`signing.backends.softhsm` (SoftHSM2 tokens for tests and the demo) is imported on its own.
"""

from signing.backends.base import SignerBackend, signer_certificates
from signing.backends.pkcs11 import (
    Pkcs11Backend,
    TokenSigner,
    find_softhsm_module,
    open_pkcs11_signer,
)
from signing.backends.pkcs12 import CachedKeySigner, Pkcs12Backend, load_pkcs12_signer

__all__ = [
    "CachedKeySigner",
    "Pkcs11Backend",
    "Pkcs12Backend",
    "SignerBackend",
    "TokenSigner",
    "find_softhsm_module",
    "load_pkcs12_signer",
    "open_pkcs11_signer",
    "signer_certificates",
]
