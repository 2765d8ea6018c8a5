"""The CMS spliced from a per-signer template is byte for byte what pyHanko would assemble."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, SimpleSigner
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.version import __version__ as pyhanko_version

from fast_signing.conftest import stock_twin
from signing import fast_cms
from signing.backends import CachedKeySigner
from signing.devpki import DevPki
from signing.fast_cms import PINNED_PYHANKO_SERIES, fast_cms_applies

DIGEST = hashlib.sha256(b"the byte range of a record").digest()


def _sign(signer: SimpleSigner, **kwargs: Any) -> bytes:
    async def run() -> bytes:
        signed = await signer.async_sign(DIGEST, "sha256", **kwargs)
        return bytes(signed.dump())

    return asyncio.run(run())


def test_pinned_pyhanko_is_installed() -> None:
    # Fails on a pyHanko upgrade on purpose: review signing/fast_cms.py, then move the pin.
    assert pyhanko_version.startswith(PINNED_PYHANKO_SERIES)
    assert fast_cms_applies()


def test_pades_cms_is_identical_to_pyhankos(
    field_signers: dict[str, tuple[CachedKeySigner, str]],
) -> None:
    signer, _ = field_signers["gvcn"]
    assert signer.cms_template("sha256") is not None  # the fast path is the one under test

    ours = _sign(signer, use_pades=True)
    theirs = _sign(stock_twin(signer), use_pades=True)

    assert ours == theirs  # RSA PKCS#1 v1.5 is deterministic: same input, same bytes
    attrs = cms.ContentInfo.load(ours)["content"]["signer_infos"][0]["signed_attrs"]
    assert [a["type"].native for a in attrs] == [
        "content_type",
        "message_digest",
        "signing_certificate_v2",
    ]


def test_timestamped_cms_is_identical_to_pyhankos(
    field_signers: dict[str, tuple[CachedKeySigner, str]], dev_pki: DevPki
) -> None:
    """Same signed attributes, value and TSA token in, same ContentInfo out (B-T's CMS)."""
    signer, _ = field_signers["hieu_truong"]

    async def both() -> tuple[bytes, bytes]:
        attrs = await signer.signed_attrs(DIGEST, "sha256", use_pades=True)
        value = await signer.async_sign_raw(attrs.dump(), "sha256")
        unsigned = await signer.unsigned_attrs(
            "sha256", value, attrs, timestamper=HTTPTimeStamper(dev_pki.tsa_url)
        )
        assert unsigned is not None
        common = {
            "digest_algorithm": "sha256",
            "cms_version": "v1",
            "signed_attrs": attrs,
            "signature": value,
            "unsigned_attrs": unsigned,
            "encap_content_info": None,
        }
        ours = signer._package_signature(**common)
        theirs = stock_twin(signer)._package_signature(**common)
        return bytes(ours.dump()), bytes(theirs.dump())

    ours, theirs = asyncio.run(both())
    assert ours == theirs
    unsigned = cms.ContentInfo.load(ours)["content"]["signer_infos"][0]["unsigned_attrs"]
    assert unsigned[0]["type"].native == "signature_time_stamp_token"


def test_ecdsa_signers_get_the_same_cms_as_pyhanko() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Trường THCS Suối Mây (thử)")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    asn1_cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    signer = CachedKeySigner(key, asn1_cert, [])
    assert signer.cms_template("sha256") is not None

    # ECDSA values are random: compare the assembly for one fixed value.
    async def both() -> tuple[bytes, bytes]:
        attrs = await signer.signed_attrs(DIGEST, "sha256", use_pades=True)
        stock_attrs = await stock_twin(signer).signed_attrs(DIGEST, "sha256", use_pades=True)
        assert attrs.dump() == stock_attrs.dump()
        value = await signer.async_sign_raw(attrs.dump(), "sha256")
        common = {
            "digest_algorithm": "sha256",
            "cms_version": "v1",
            "signed_attrs": attrs,
            "signature": value,
            "unsigned_attrs": None,
            "encap_content_info": None,
        }
        ours = signer._package_signature(**common)
        theirs = stock_twin(signer)._package_signature(**common)
        return bytes(ours.dump()), bytes(theirs.dump())

    ours, theirs = asyncio.run(both())
    assert ours == theirs


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"use_pades": False}, id="plain CMS (adds cms_algorithm_protection)"),
        pytest.param({"use_pades": True, "is_pdf_sig": False}, id="CAdES (adds signing-time)"),
    ],
)
def test_other_cms_kinds_are_left_to_pyhanko(
    field_signers: dict[str, tuple[CachedKeySigner, str]], kwargs: dict[str, Any]
) -> None:
    signer, _ = field_signers["gvcn"]
    if kwargs.get("is_pdf_sig") is False:
        kwargs["signed_attr_settings"] = PdfCMSSignedAttributes(
            signing_time=datetime(2026, 5, 30, 8, 0, tzinfo=UTC)
        )
    ours = _sign(signer, **kwargs)
    assert ours == _sign(stock_twin(signer), **kwargs)
    attrs = cms.ContentInfo.load(ours)["content"]["signer_infos"][0]["signed_attrs"]
    types = {a["type"].native for a in attrs}
    assert types & {"cms_algorithm_protection", "signing_time"}  # not PAdES's three


def test_another_pyhanko_version_falls_back_to_pyhankos_assembly(
    field_signers: dict[str, tuple[CachedKeySigner, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    signer, _ = field_signers["con_dau"]
    monkeypatch.setattr(fast_cms, "PYHANKO_VERSION", "0.39.0")

    assert not fast_cms_applies()
    assert signer.cms_template("sha256") is None
    assert _sign(signer, use_pades=True) == _sign(stock_twin(signer), use_pades=True)


def test_ber_encoded_attributes_come_out_as_pyhankos(
    field_signers: dict[str, tuple[CachedKeySigner, str]],
) -> None:
    """Attributes loaded from BER (indefinite length, as an external signer may send them)."""
    signer, _ = field_signers["gvcn"]

    async def both() -> tuple[bytes, bytes]:
        der = (await signer.signed_attrs(DIGEST, "sha256", use_pades=True)).dump()
        ber = cms.CMSAttributes.load(b"\x31\x80" + der[2 + (der[1] & 0x7F) :] + b"\0\0")
        common = {
            "digest_algorithm": "sha256",
            "cms_version": "v1",
            "signed_attrs": ber,
            "signature": b"\x01" * 256,
            "unsigned_attrs": None,
            "encap_content_info": None,
        }
        ours = signer._package_signature(**common)
        theirs = stock_twin(signer)._package_signature(**common)
        return bytes(ours.dump()), bytes(theirs.dump())

    ours, theirs = asyncio.run(both())
    assert ours == theirs
