"""The pre-signing certificate check, against the development PKI and its live services."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from signing.certcheck import CertificateCheck, CertProblemCode, ExpectedSigner, check_signer
from signing.devpki import EXPIRED, REVOKED, UNTRUSTED, WRONG_USAGE, DevPki
from signing.devpki.issuance import Authority, Profile, ServiceUrls, end_entity_certificate
from signing.errors import CertificateRejectedError

SEAL = ExpectedSigner("SEAL", "Trường PTDTBT TH và THCS Bản Xèo", "organisation")


def _check(
    pki: DevPki,
    identity_id: str,
    expected: ExpectedSigner | None = None,
    *,
    at: datetime | None = None,
    fetch_revocation: bool = True,
) -> CertificateCheck:
    identity = pki.identity(identity_id)
    return check_signer(
        identity.certificate,
        identity.chain,
        trust_roots=pki.trust_roots(),
        at=at or datetime.now(UTC),
        expected=expected or ExpectedSigner(identity.id, identity.full_name, "person"),
        fetch_revocation=fetch_revocation,
    )


def test_a_valid_certificate_of_the_assigned_teacher_passes(dev_pki: DevPki) -> None:
    check = _check(dev_pki, "GV001", ExpectedSigner("GV001", "Nguyễn Văn An", "person"))
    assert check.ok, check.problems
    assert check.revocation_checked
    assert check.subject.startswith("Nguyễn Văn An, số sê-ri ")
    check.raise_if_failed()


def test_the_school_seal_passes_for_the_organisation_slot(dev_pki: DevPki) -> None:
    assert _check(dev_pki, "SEAL", SEAL).ok


def test_names_match_regardless_of_case_spacing_and_normalisation(dev_pki: DevPki) -> None:
    name = unicodedata.normalize("NFD", "  LÒ VĂN  PẾNH ")
    assert _check(dev_pki, "GV003", ExpectedSigner("gv003", name, "person")).ok


def test_expired_certificate(dev_pki: DevPki) -> None:
    check = _check(dev_pki, EXPIRED)
    assert check.codes == (CertProblemCode.EXPIRED,)
    message = check.problems[0].message
    assert "Thử Nghiệm Hết Hạn" in message and "đã hết hạn" in message
    assert "xin cấp chứng thư số mới" in message


def test_not_yet_valid_certificate(dev_pki: DevPki) -> None:
    cert = dev_pki.identity("GV002").certificate
    check = _check(dev_pki, "GV002", at=cert.not_valid_before_utc - timedelta(days=1))
    assert check.codes == (CertProblemCode.NOT_YET_VALID,)
    assert "chưa có hiệu lực" in check.problems[0].message


def test_revoked_certificate(dev_pki: DevPki) -> None:
    check = _check(dev_pki, REVOKED)
    assert check.codes == (CertProblemCode.REVOKED,)
    message = check.problems[0].message
    assert "Chứng thư số «Thử Nghiệm Bị Thu Hồi" in message
    assert "đã bị thu hồi" in message and "lộ khoá bí mật" in message
    assert check.problems[0].detail  # certvalidator's own account, for the audit log


def test_wrong_key_usage(dev_pki: DevPki) -> None:
    check = _check(dev_pki, WRONG_USAGE)
    assert check.codes == (CertProblemCode.KEY_USAGE,)
    message = check.problems[0].message
    assert "non-repudiation" in message and "serverAuth" in message
    assert "không dùng được để ký văn bản" in message


def test_untrusted_chain(dev_pki: DevPki) -> None:
    check = _check(dev_pki, UNTRUSTED)
    assert check.codes == (CertProblemCode.UNTRUSTED,)
    message = check.problems[0].message
    assert "DEVELOPMENT Alt CA" in message and "danh sách tin cậy" in message


def test_certificate_of_someone_else(dev_pki: DevPki) -> None:
    check = _check(dev_pki, "GV001", ExpectedSigner("GV002", "Giàng Thị Mai", "person"))
    assert check.codes == (CertProblemCode.WRONG_PERSON,)
    message = check.problems[0].message
    assert "Nguyễn Văn An" in message and "Giàng Thị Mai" in message and "GV002" in message


def test_same_id_with_another_name_is_not_the_assigned_person(dev_pki: DevPki) -> None:
    check = _check(dev_pki, "GV001", ExpectedSigner("GV001", "Nguyễn Văn Ân", "person"))
    assert check.codes == (CertProblemCode.WRONG_PERSON,)


def test_a_teacher_certificate_cannot_fill_the_seal_slot(dev_pki: DevPki) -> None:
    assert _check(dev_pki, "HT", SEAL).codes == (CertProblemCode.WRONG_PERSON,)


def test_independent_problems_are_all_reported(dev_pki: DevPki) -> None:
    check = _check(dev_pki, WRONG_USAGE, ExpectedSigner("GV001", "Nguyễn Văn An", "person"))
    assert set(check.codes) == {CertProblemCode.WRONG_PERSON, CertProblemCode.KEY_USAGE}


def test_unreachable_revocation_services(dev_pki_offline: DevPki) -> None:
    check = _check(dev_pki_offline, "GV001")
    assert check.codes == (CertProblemCode.REVOCATION_UNKNOWN,)
    message = check.problems[0].message
    assert "Không kiểm tra được" in message and "thử lại" in message


def test_without_revocation_fetching_only_the_chain_is_checked(dev_pki_offline: DevPki) -> None:
    check = _check(dev_pki_offline, "GV001", fetch_revocation=False)
    assert check.ok
    assert not check.revocation_checked
    assert _check(dev_pki_offline, UNTRUSTED, fetch_revocation=False).codes == (
        CertProblemCode.UNTRUSTED,
    )


def test_raise_if_failed_carries_codes_and_messages(dev_pki: DevPki) -> None:
    check = _check(dev_pki, EXPIRED)
    with pytest.raises(CertificateRejectedError) as raised:
        check.raise_if_failed()
    assert raised.value.codes == ("cert.expired",)
    assert raised.value.check is check
    assert raised.value.message == check.problems[0].message


def test_ids_are_accepted_after_a_ca_prefix(dev_pki: DevPki) -> None:
    # Vietnamese CAs write identifiers as "CCCD:<number>" or "MST:<tax code>" in UID.
    store = dev_pki.store
    record = store.manifest().authorities["issuing"]
    issuing = Authority("issuing", store.read_certificate(record.cert), store.read_key(record.key))
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Văn An"),
            x509.NameAttribute(NameOID.USER_ID, "CCCD:001200012345"),
        ]
    )
    now = datetime.now(UTC)
    cert = end_entity_certificate(
        dev_pki.identity("GV001").certificate.public_key(),  # type: ignore[arg-type]
        issuing,
        subject,
        Profile.SIGNING,
        ServiceUrls(dev_pki.base_url),
        now - timedelta(days=1),
        now + timedelta(days=1),
    )
    check = check_signer(
        cert,
        [issuing.certificate],
        trust_roots=dev_pki.trust_roots(),
        at=now,
        expected=ExpectedSigner("001200012345", "Nguyễn Văn An", "person"),
        fetch_revocation=False,
    )
    assert check.ok, check.problems
