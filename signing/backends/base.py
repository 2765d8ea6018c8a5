"""The signer-backend port: something that hands out a pyHanko `Signer` for one signing session."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from cryptography import x509
from pyhanko.sign.signers import Signer


class SignerBackend(Protocol):
    """Where a signer's key lives (a PKCS#12 file, a PKCS#11 token, …).

    `open_signer` is a context manager because tokens hold a session that must be closed;
    file-based backends may hand out the same cached signer every time.
    """

    def describe(self) -> str:
        """Vietnamese description for messages and the audit log, e.g. "token «SEAL»"."""
        ...

    def open_signer(self) -> AbstractContextManager[Signer]: ...


def signer_certificates(signer: Signer) -> tuple[x509.Certificate, tuple[x509.Certificate, ...]]:
    """The signer's certificate and the other certificates it carries, for `certcheck`."""
    signing_cert = signer.signing_cert
    if signing_cert is None:
        raise ValueError("signer has no certificate")
    own = signing_cert.dump()
    others = tuple(
        x509.load_der_x509_certificate(c.dump()) for c in signer.cert_registry if c.dump() != own
    )
    return x509.load_der_x509_certificate(own), others
