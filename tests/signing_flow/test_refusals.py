"""Out-of-order and out-of-scope signatures, and unusable keys or certificates, write nothing."""

from __future__ import annotations

import pytest

from service.context import Context
from service.signing import SignerIdentity, Status, sign_document
from signing.backends import Pkcs11Backend
from signing.backends.softhsm import TokenInfo
from signing.devpki import EXPIRED, REVOKED, UNTRUSTED, WRONG_USAGE
from signing.errors import CertificateRejectedError, WrongPassphraseError, WrongPinError
from signing.plans import PlanViolation
from signing_flow.conftest import School
from signing_flow.flow import documents, events, p12, stored, who


@pytest.fixture
def doc(home: Context) -> str:
    return documents(home, "hoc-ba-trung-hoc")[0]


def _unchanged(home: Context, doc: str) -> None:
    now = stored(home, doc)
    assert (now.revision, now.signed, now.state) == (0, (), "rendered")
    assert now.file == now.pdf
    assert events(home, "document.signed") == []


def test_principal_before_the_teachers_is_refused_naming_the_slot(
    home: Context, school: School, doc: str
) -> None:
    base = stored(home, doc).pdf
    with pytest.raises(PlanViolation) as refused:
        sign_document(home, who(school.pki, "GV001"), doc)
    assert refused.value.code == "plan.out_of_order"
    assert refused.value.field_name == "hieu_truong"
    assert "Chưa thể ký ô «Hiệu trưởng»" in refused.value.message
    assert "«Giáo viên bộ môn Toán» (Dương Đức Thắng)" in refused.value.message
    _unchanged(home, doc)
    assert stored(home, doc).pdf == base


def test_the_seal_before_the_principal_is_refused(home: Context, school: School, doc: str) -> None:
    with pytest.raises(PlanViolation) as refused:
        sign_document(home, who(school.pki, school.code), doc)
    assert refused.value.code == "plan.out_of_order"
    assert "«Chữ ký số của nhà trường»" in refused.value.message
    _unchanged(home, doc)


def test_a_teacher_cannot_sign_another_subject(home: Context, school: School, doc: str) -> None:
    with pytest.raises(PlanViolation) as refused:
        sign_document(home, who(school.pki, "GV004"), doc, field_name="gvbm_NGU_VAN")
    assert refused.value.code == "plan.out_of_scope"
    assert refused.value.message == (
        "Ô ký «Giáo viên bộ môn Ngữ văn» dành cho Nguyễn Văn Phúc (GV003), không phải GV004."
    )
    _unchanged(home, doc)


def test_someone_without_a_slot_is_refused(home: Context, school: School, doc: str) -> None:
    # GV002 is the vice-principal: no slot on this record.
    with pytest.raises(PlanViolation) as refused:
        sign_document(home, who(school.pki, "GV002"), doc)
    assert refused.value.code == "plan.out_of_scope"
    assert f"Hồ sơ {doc} không có ô ký nào dành cho GV002." == refused.value.message
    _unchanged(home, doc)


def test_an_unknown_slot_is_refused(home: Context, school: School, doc: str) -> None:
    with pytest.raises(PlanViolation) as refused:
        sign_document(home, who(school.pki, "GV004"), doc, field_name="gvbm_TOAN_2")
    assert refused.value.code == "plan.no_such_slot"
    _unchanged(home, doc)


def test_a_signed_slot_is_not_signed_again(home: Context, school: School, doc: str) -> None:
    first = sign_document(home, who(school.pki, "GV004"), doc, field_name="gvbm_TOAN")
    assert first.status is Status.SIGNED
    after = stored(home, doc)
    again = sign_document(home, who(school.pki, "GV004"), doc, field_name="gvbm_TOAN")
    assert again.status is Status.SKIPPED
    assert stored(home, doc) == after


@pytest.mark.parametrize(
    ("identity", "code", "words"),
    [
        (REVOKED, "cert.revoked", "đã bị thu hồi"),
        (EXPIRED, "cert.expired", "đã hết hạn"),
        (WRONG_USAGE, "cert.key_usage", "không dùng được để ký văn bản"),
        (UNTRUSTED, "cert.untrusted", "không xác thực được tới tổ chức chứng thực"),
    ],
)
def test_an_unusable_certificate_signs_nothing(
    home: Context, school: School, doc: str, identity: str, code: str, words: str
) -> None:
    # GV004 holding one of the development PKI's broken test certificates: the check reports the
    # certificate's own defect (and, since it was issued to a test person, the name mismatch).
    with pytest.raises(CertificateRejectedError) as rejected:
        sign_document(home, who(school.pki, "GV004", key_of=identity), doc)
    assert code in rejected.value.codes
    assert words in rejected.value.message
    _unchanged(home, doc)


def test_someone_elses_certificate_signs_nothing(home: Context, school: School, doc: str) -> None:
    with pytest.raises(CertificateRejectedError) as rejected:
        sign_document(home, who(school.pki, "GV004", key_of="GV005"), doc)
    assert rejected.value.codes == ("cert.wrong_person",)
    assert "«Dương Đức Thắng» (mã GV004)" in rejected.value.message
    _unchanged(home, doc)


def test_a_wrong_passphrase_signs_nothing(home: Context, school: School, doc: str) -> None:
    backend = p12(school.pki, "GV004")
    backend.passphrase = b"not-the-passphrase"
    with pytest.raises(WrongPassphraseError, match="Mật khẩu không mở được tệp chứng thư số"):
        sign_document(home, SignerIdentity("GV004", backend), doc)
    _unchanged(home, doc)


def test_a_wrong_pin_signs_nothing(
    home: Context, school: School, doc: str, seal_token: TokenInfo
) -> None:
    backend = Pkcs11Backend(
        seal_token.module_path, seal_token.token_label, seal_token.key_label, "000000"
    )
    with pytest.raises(WrongPinError, match="Mã PIN của token «SEAL-SUOI-MAY» không đúng"):
        sign_document(home, SignerIdentity(school.code, backend), doc)
    _unchanged(home, doc)
