"""PKCS#12 signer backend: loading, errors that name the file, the cached-key signer."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from support.pki import sign_pdf_bytes, validate_only_signature

from signing.backends import Pkcs12Backend, load_pkcs12_signer, signer_certificates
from signing.devpki import DevPki
from signing.errors import SignerUnavailableError, WrongPassphraseError


def test_loads_key_certificate_and_chain(dev_pki: DevPki) -> None:
    identity = dev_pki.identity("GV001")
    signer = load_pkcs12_signer(identity.pkcs12_path, identity.passphrase)
    certificate, others = signer_certificates(signer)
    assert certificate == identity.certificate
    assert others == identity.chain


def test_passphrase_may_be_given_as_text(dev_pki: DevPki) -> None:
    identity = dev_pki.identity("GV002")
    signer = load_pkcs12_signer(identity.pkcs12_path, identity.passphrase.decode("utf-8"))
    assert signer_certificates(signer)[0] == identity.certificate


def test_wrong_passphrase_names_the_file(dev_pki: DevPki) -> None:
    identity = dev_pki.identity("GV001")
    with pytest.raises(WrongPassphraseError) as raised:
        load_pkcs12_signer(identity.pkcs12_path, b"not-the-passphrase")
    assert raised.value.path == identity.pkcs12_path
    assert str(identity.pkcs12_path) in raised.value.message
    assert "Mật khẩu không mở được" in raised.value.message
    assert raised.value.code == "signer.wrong_passphrase"


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "khong-co.p12"
    with pytest.raises(SignerUnavailableError, match="Không tìm thấy tệp") as raised:
        load_pkcs12_signer(missing, b"x")
    assert str(missing) in raised.value.message


def test_a_file_that_is_not_pkcs12_is_not_a_passphrase_problem(tmp_path: Path) -> None:
    not_p12 = tmp_path / "hoc-ba.pdf"
    not_p12.write_bytes(b"%PDF-1.7\n")
    with pytest.raises(SignerUnavailableError, match="không phải tệp chứng thư số PKCS#12"):
        load_pkcs12_signer(not_p12, b"x")


def test_cached_key_signs_verifiably(dev_pki: DevPki) -> None:
    identity = dev_pki.identity("HT")
    signer = load_pkcs12_signer(identity.pkcs12_path, identity.passphrase)
    data = "Học bạ — Trần Thị Hoa".encode()
    signature = signer.sign_raw(data, "sha256")
    public_key = identity.certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())  # raises if wrong


def test_backend_loads_the_key_once_and_signs_a_pdf(dev_pki: DevPki, tiny_pdf: bytes) -> None:
    identity = dev_pki.identity("GV003")
    backend = Pkcs12Backend(identity.pkcs12_path, identity.passphrase)
    assert str(identity.pkcs12_path) in backend.describe()
    with backend.open_signer() as first:
        signed = sign_pdf_bytes(tiny_pdf, first, dev_pki, lta=False)
    with backend.open_signer() as second:
        assert second is first
    status = validate_only_signature(signed, dev_pki)
    assert status.intact and status.valid and status.trusted
    assert identity.passphrase.decode() not in repr(backend)
