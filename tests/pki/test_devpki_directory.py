"""The development PKI on disk: what it issues, how it is marked, how the directory behaves."""

from __future__ import annotations

import json
import shutil
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from support.pki import SCHOOL

from signing.devpki import (
    DEV_PKI_POLICY_OID,
    NOT_FOR_PRODUCTION,
    UNTRUSTED,
    DevPki,
    PersonSpec,
    create_dev_pki,
    is_dev_pki_certificate,
    load_dev_pki,
)
from signing.errors import DevPkiError


def _attribute(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    (attribute,) = cert.subject.get_attributes_for_oid(oid)
    return str(attribute.value)


@pytest.fixture(scope="module")
def small_pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PKI of its own (no server), for tests that copy or extend the directory."""
    directory = tmp_path_factory.mktemp("small-pki")
    create_dev_pki(directory, [PersonSpec("GV010", "Hà Thị Lan", "person", SCHOOL)])
    return directory


def test_every_certificate_is_marked_not_for_production(dev_pki: DevPki) -> None:
    for name in ("root", "issuing", "untrusted-root"):
        cert = dev_pki.authority_certificate(name)
        common_name = _attribute(cert, NameOID.COMMON_NAME)
        assert "DEVELOPMENT" in common_name
        assert common_name.endswith(f"— {NOT_FOR_PRODUCTION}")
    for identity_id in dev_pki.identity_ids():
        cert = dev_pki.identity(identity_id).certificate
        assert is_dev_pki_certificate(cert), identity_id
        assert NOT_FOR_PRODUCTION in _attribute(cert, NameOID.ORGANIZATIONAL_UNIT_NAME)
    # The marker is read from DER too (pyHanko hands out asn1crypto certificates).
    assert is_dev_pki_certificate(dev_pki.identity("GV001").certificate.public_bytes(Encoding.DER))
    # Roots carry no policy but the marked name, so a configuration can refuse them.
    assert is_dev_pki_certificate(dev_pki.root)


def test_the_policy_alone_marks_a_certificate(dev_pki: DevPki) -> None:
    cert = dev_pki.identity("GV001").certificate
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier for p in policies] == [DEV_PKI_POLICY_OID]
    unmarked = _self_signed(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Real CA")]))
    assert not is_dev_pki_certificate(unmarked)


def _self_signed(name: x509.Name) -> x509.Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def test_person_certificate_binds_name_id_and_school(dev_pki: DevPki) -> None:
    identity = dev_pki.identity("GV002")
    cert = identity.certificate
    assert _attribute(cert, NameOID.COMMON_NAME) == "Giàng Thị Mai"
    assert unicodedata.is_normalized("NFC", _attribute(cert, NameOID.COMMON_NAME))
    assert _attribute(cert, NameOID.USER_ID) == "GV002"
    assert _attribute(cert, NameOID.ORGANIZATION_NAME) == SCHOOL
    key_usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert key_usage.digital_signature and key_usage.content_commitment
    assert not key_usage.key_encipherment
    assert identity.chain == (dev_pki.authority_certificate("issuing"),)


def test_certificates_point_to_the_local_services(dev_pki: DevPki) -> None:
    cert = dev_pki.identity("GV003").certificate
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    urls = {d.access_method: d.access_location.value for d in aia}
    assert urls[AuthorityInformationAccessOID.OCSP] == f"{dev_pki.base_url}/ocsp/issuing"
    assert urls[AuthorityInformationAccessOID.CA_ISSUERS] == f"{dev_pki.base_url}/certs/issuing.cer"
    issuing = dev_pki.authority_certificate("issuing")
    (point,) = issuing.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert point.full_name is not None
    assert point.full_name[0].value == f"{dev_pki.base_url}/crl/root.crl"
    assert dev_pki.base_url.startswith("http://127.0.0.1:")


def test_seal_certificate_names_the_school(dev_pki: DevPki) -> None:
    seal = dev_pki.identity("SEAL")
    assert seal.kind == "organisation"
    assert _attribute(seal.certificate, NameOID.ORGANIZATION_NAME) == SCHOOL
    assert _attribute(seal.certificate, NameOID.COMMON_NAME) == SCHOOL


def test_pkcs12_opens_with_its_passphrase_and_carries_the_chain(dev_pki: DevPki) -> None:
    identity = dev_pki.identity("HT")
    key, cert, chain = pkcs12.load_key_and_certificates(
        identity.pkcs12_path.read_bytes(), identity.passphrase
    )
    assert key is not None and key.key_size == 2048  # type: ignore[union-attr]
    assert cert == identity.certificate
    assert chain == list(identity.chain)
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(identity.pkcs12_path.read_bytes(), b"wrong")


def test_untrusted_identity_is_issued_outside_the_trust_roots(dev_pki: DevPki) -> None:
    identity = dev_pki.identity(UNTRUSTED)
    assert identity.chain == ()
    assert identity.certificate.issuer != dev_pki.root.subject
    assert identity.certificate.issuer == dev_pki.authority_certificate("untrusted-root").subject
    assert dev_pki.trust_roots() == [dev_pki.root]


def test_manifest_stores_relative_paths_only(small_pki_dir: Path) -> None:
    manifest = json.loads((small_pki_dir / "pki.json").read_text("utf-8"))
    paths = [
        record[key]
        for section in ("authorities", "services", "identities")
        for record in manifest[section].values()
        for key in ("cert", "key", "pkcs12")
        if key in record
    ]
    assert paths, "the manifest lists files"
    for path in paths:
        assert not Path(path).is_absolute()
        assert (small_pki_dir / path).is_file()
    assert str(small_pki_dir) not in (small_pki_dir / "pki.json").read_text("utf-8")
    assert NOT_FOR_PRODUCTION in (small_pki_dir / "README.txt").read_text("utf-8")


def test_directory_can_be_moved(small_pki_dir: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    shutil.copytree(small_pki_dir, moved)
    original = load_dev_pki(small_pki_dir).identity("GV010")
    relocated = load_dev_pki(moved).identity("GV010")
    assert relocated.pkcs12_path == moved.resolve() / "identities" / "GV010.p12"
    assert relocated.pkcs12_path.is_file()
    assert relocated.certificate == original.certificate
    assert relocated.passphrase == original.passphrase


def test_rerun_adds_missing_people_and_keeps_the_rest(small_pki_dir: Path, tmp_path: Path) -> None:
    directory = tmp_path / "pki"
    shutil.copytree(small_pki_dir, directory)
    before = load_dev_pki(directory)
    kept = before.identity("GV010").certificate
    newcomer = PersonSpec("GV011", "Vàng A Dế", "person", SCHOOL)

    after = create_dev_pki(
        directory, [PersonSpec("GV010", "Hà Thị Lan", "person", SCHOOL), newcomer]
    )

    assert after.identity("GV010").certificate == kept
    assert after.root == before.root
    assert after.port == before.port
    assert _attribute(after.identity("GV011").certificate, NameOID.COMMON_NAME) == "Vàng A Dế"


def test_rerun_with_different_details_is_refused(small_pki_dir: Path, tmp_path: Path) -> None:
    directory = tmp_path / "pki"
    shutil.copytree(small_pki_dir, directory)
    with pytest.raises(DevPkiError, match=r"GV010.*thông tin khác"):
        create_dev_pki(directory, [PersonSpec("GV010", "Hà Văn Lan", "person", SCHOOL)])


def test_port_is_fixed_at_creation(small_pki_dir: Path) -> None:
    pki = load_dev_pki(small_pki_dir)
    with pytest.raises(DevPkiError, match=f"cổng {pki.port}"):
        create_dev_pki(small_pki_dir, [], port=pki.port + 1)


def test_unknown_identity_lists_the_known_ones(dev_pki: DevPki) -> None:
    with pytest.raises(DevPkiError, match=r"GV999.*GV001"):
        dev_pki.identity("GV999")


def test_missing_directory_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(DevPkiError, match="create_dev_pki"):
        load_dev_pki(tmp_path / "nothing-here")


def test_person_spec_normalises_names_and_rejects_unsafe_ids() -> None:
    decomposed = unicodedata.normalize("NFD", "Lò  Văn Pếnh")
    assert PersonSpec("GV003", decomposed, "person").full_name == "Lò Văn Pếnh"
    with pytest.raises(DevPkiError, match="không hợp lệ"):
        PersonSpec("../GV003", "Lò Văn Pếnh", "person")
