"""PKCS#11 backend against a SoftHSM2 token holding the school seal."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pkcs11
import pytest
from pkcs11 import Attribute, ObjectClass
from support.pki import SEAL_TOKEN_LABEL, SoftHsmToken, sign_pdf_bytes, validate_only_signature

from signing.backends import Pkcs11Backend, open_pkcs11_signer, signer_certificates
from signing.backends.softhsm import provision_softhsm_token
from signing.devpki import DevPki
from signing.errors import SignerUnavailableError, WrongPinError


def test_seal_token_signs_a_pdf_that_validates(
    dev_pki: DevPki, softhsm_seal_token: SoftHsmToken, tiny_pdf: bytes
) -> None:
    info = softhsm_seal_token.info
    with open_pkcs11_signer(
        info.module_path, info.token_label, softhsm_seal_token.pin, info.key_label
    ) as signer:
        certificate, others = signer_certificates(signer)
        signed = sign_pdf_bytes(tiny_pdf, signer, dev_pki, lta=True)

    seal = dev_pki.identity("SEAL")
    assert certificate == seal.certificate
    assert others == seal.chain  # the issuing CA travels on the token too
    status = validate_only_signature(signed, dev_pki)
    assert status.intact and status.valid and status.trusted and status.bottom_line


def test_key_on_the_token_cannot_be_extracted(softhsm_seal_token: SoftHsmToken) -> None:
    info = softhsm_seal_token.info
    token = pkcs11.lib(str(info.module_path.resolve())).get_token(token_label=info.token_label)
    with token.open(user_pin=softhsm_seal_token.pin) as session:
        (key,) = session.get_objects(
            {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: info.key_label}
        )
        assert key[Attribute.SENSITIVE] is True
        assert key[Attribute.EXTRACTABLE] is False


def test_wrong_pin(softhsm_seal_token: SoftHsmToken) -> None:
    info = softhsm_seal_token.info
    with pytest.raises(WrongPinError) as raised:
        open_pkcs11_signer(info.module_path, info.token_label, "000000", info.key_label)
    assert raised.value.token_label == SEAL_TOKEN_LABEL
    assert f"Mã PIN của token «{SEAL_TOKEN_LABEL}» không đúng" in raised.value.message


def test_missing_module(tmp_path: Path) -> None:
    missing = tmp_path / "libkhongco.so"
    with pytest.raises(SignerUnavailableError, match="Không tìm thấy thư viện PKCS#11"):
        open_pkcs11_signer(missing, SEAL_TOKEN_LABEL, "246810", "SEAL")


def test_a_library_that_is_not_pkcs11(tmp_path: Path) -> None:
    fake = tmp_path / "fake.so"
    fake.write_bytes(b"not an ELF file")
    with pytest.raises(SignerUnavailableError, match="Không nạp được thư viện PKCS#11"):
        open_pkcs11_signer(fake, SEAL_TOKEN_LABEL, "246810", "SEAL")


def test_missing_token(softhsm_seal_token: SoftHsmToken) -> None:
    info = softhsm_seal_token.info
    with pytest.raises(SignerUnavailableError, match="Không thấy token «KHONG-CO»"):
        open_pkcs11_signer(info.module_path, "KHONG-CO", softhsm_seal_token.pin, info.key_label)


def test_missing_key_label(softhsm_seal_token: SoftHsmToken) -> None:
    info = softhsm_seal_token.info
    with pytest.raises(SignerUnavailableError, match="nhãn «GV001»"):
        open_pkcs11_signer(info.module_path, info.token_label, softhsm_seal_token.pin, "GV001")


def test_backend_opens_and_closes_a_session_per_use(softhsm_seal_token: SoftHsmToken) -> None:
    info = softhsm_seal_token.info
    backend = Pkcs11Backend(
        info.module_path, info.token_label, info.key_label, softhsm_seal_token.pin
    )
    assert softhsm_seal_token.pin not in repr(backend)
    assert SEAL_TOKEN_LABEL in backend.describe()
    with backend.open_signer() as signer:
        assert asyncio.run(signer.async_sign_raw(b"x", "sha256"))
    with pytest.raises(pkcs11.exceptions.SessionHandleInvalid):  # closed on leaving the block
        asyncio.run(signer.async_sign_raw(b"x", "sha256"))


def test_a_token_label_is_provisioned_only_once(
    dev_pki: DevPki, softhsm_seal_token: SoftHsmToken
) -> None:
    with pytest.raises(SignerUnavailableError, match="đã có token"):
        provision_softhsm_token(
            dev_pki,
            "SEAL",
            token_label=softhsm_seal_token.info.token_label,
            pin="111111",
            so_pin="22222222",
            softhsm_dir=softhsm_seal_token.info.softhsm_conf.parent,
        )
