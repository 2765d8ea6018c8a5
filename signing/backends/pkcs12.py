"""PKCS#12 (.p12/.pfx) signer backend, with the private key parsed once per file."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from signing.errors import SignerUnavailableError, WrongPassphraseError
from signing.fast_cms import FastCmsMixin
from signing.pyhanko_patches import apply_pyhanko_speedups


class CachedKeySigner(FastCmsMixin, SimpleSigner):
    """A `SimpleSigner` that keeps the parsed key and this signer's pre-encoded CMS pieces.

    pyHanko's `SimpleSigner.sign_raw` re-parses the DER key on every call (~100 ms per document
    measured, see the field notes); RSA PKCS#1 v1.5 and ECDSA use the cached key, anything else
    falls back to pyHanko's own code. The CMS is spliced from a per-signer template
    (`signing.fast_cms`), and pyHanko's hex-string reader is replaced (`signing.pyhanko_patches`)
    so signing a record that already carries signatures does not re-tokenise their `/Contents`.
    """

    def __init__(
        self,
        private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        certificate: asn1_x509.Certificate,
        other_certs: list[asn1_x509.Certificate],
    ) -> None:
        key_info = asn1_keys.PrivateKeyInfo.load(
            private_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # unannotated upstream
        registry.register_multiple([certificate, *other_certs])
        super().__init__(signing_cert=certificate, signing_key=key_info, cert_registry=registry)
        self._private_key = private_key
        # Process-wide and idempotent; a no-op (logged) on a pyHanko other than 0.38.x.
        apply_pyhanko_speedups()

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        key = self._private_key
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, PKCS1v15(), hash_algorithm)
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hash_algorithm))
        signature: bytes = super().sign_raw(data, digest_algorithm)
        return signature


def load_pkcs12_signer(path: Path, passphrase: bytes | str | None) -> CachedKeySigner:
    """Open a PKCS#12 file; errors name the file and say what to do."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SignerUnavailableError(
            f"Không tìm thấy tệp chứng thư số «{path}». Hãy kiểm tra đường dẫn tới tệp "
            ".p12/.pfx rồi thử lại."
        ) from None
    except OSError as exc:
        raise SignerUnavailableError(
            f"Không đọc được tệp chứng thư số «{path}» ({exc.strerror}). Hãy kiểm tra quyền "
            "truy cập tệp rồi thử lại."
        ) from exc
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, secret or None)
    except ValueError as exc:
        # cryptography says "Invalid password or PKCS12 data" for both: tell them apart.
        if _looks_like_pkcs12(data):
            raise WrongPassphraseError(
                f"Mật khẩu không mở được tệp chứng thư số «{path}». Hãy nhập lại đúng mật khẩu "
                "của tệp (phân biệt chữ hoa, chữ thường).",
                path=path,
            ) from exc
        raise SignerUnavailableError(
            f"Tệp «{path}» không phải tệp chứng thư số PKCS#12 (.p12/.pfx) hợp lệ. Hãy xuất "
            "lại chứng thư số kèm khoá bí mật ra tệp .p12/.pfx."
        ) from exc
    if cert is None or not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        missing = "chứng thư số" if cert is None else "khoá bí mật RSA/ECDSA"
        raise SignerUnavailableError(
            f"Tệp «{path}» không chứa {missing}. Hãy xuất lại chứng thư số kèm khoá bí mật."
        )
    return CachedKeySigner(key, _to_asn1(cert), [_to_asn1(c) for c in others])


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _looks_like_pkcs12(data: bytes) -> bool:
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        return bool(pfx["auth_safe"]["content_type"].native in ("data", "signed_data"))
    except (ValueError, TypeError, KeyError):
        return False


@dataclass
class Pkcs12Backend:
    """A PKCS#12 file; the key is loaded on first use and kept for the backend's lifetime."""

    path: Path
    passphrase: bytes | str | None = field(repr=False)
    _signer: CachedKeySigner | None = field(default=None, init=False, repr=False)

    def describe(self) -> str:
        return f"tệp PKCS#12 «{self.path}»"

    @contextlib.contextmanager
    def open_signer(self) -> Iterator[CachedKeySigner]:
        if self._signer is None:
            self._signer = load_pkcs12_signer(self.path, self.passphrase)
        yield self._signer
