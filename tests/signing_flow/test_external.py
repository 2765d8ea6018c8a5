"""Two-phase signing: the hash goes out, the signature comes back later, from another process."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from service.clock import FixedClock
from service.context import Context
from service.signing import (
    PENDING_TTL,
    PendingSignature,
    PendingSignatureError,
    Status,
    finish_external,
    prepare_external,
    sign_document,
)
from signing.backends import load_pkcs12_signer
from signing.devpki import REVOKED, DevPki
from signing.errors import CertificateRejectedError
from signing.external import DocumentChangedError, ExternalSignatureInvalidError
from signing.plans import PlanViolation
from signing.verify import verify_pdf
from signing_flow.conftest import School
from signing_flow.flow import documents, events, pending_count, stored, who

# The CLI in a process of its own, as a user would run it.
HSDT = [sys.executable, "-c", "from api.cli import main; main()"]


def _remote_key(pki: DevPki, person_id: str) -> rsa.RSAPrivateKey:
    """The key a remote signing service holds for the person (here: from the dev PKI)."""
    identity = pki.identity(person_id)
    key, _, _ = pkcs12.load_key_and_certificates(
        identity.pkcs12_path.read_bytes(), identity.passphrase
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _sign_hash(pki: DevPki, person_id: str, digest: bytes) -> bytes:
    """What a remote signing service does with the hash: PKCS#1 v1.5 over SHA-256."""
    return _remote_key(pki, person_id).sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))


def _prepare(home: Context, pki: DevPki, doc: str, field: str, person: str) -> PendingSignature:
    identity = pki.identity(person)
    return prepare_external(home, doc, field, person, identity.certificate, identity.chain)


def _hsdt(home: Context, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HSDT, "--home", str(home.home.root), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_prepare_and_finish_in_two_other_processes(
    home: Context, school: School, tmp_path: Path
) -> None:
    doc = documents(home, "hoc-ba-trung-hoc")[0]
    identity = school.pki.identity("GV004")
    cert_pem = tmp_path / "gv004.pem"
    cert_pem.write_bytes(
        b"".join(c.public_bytes(Encoding.PEM) for c in (identity.certificate, *identity.chain))
    )
    prepare = ["sign", "prepare", doc, "gvbm_TOAN", "--as", "GV004", "--cert", str(cert_pem)]
    prepared = _hsdt(home, *prepare, "--json")
    assert prepared.returncode == 0, prepared.stderr
    request = json.loads(prepared.stdout)
    assert (request["document"], request["field"], request["revision"]) == (doc, "gvbm_TOAN", 0)
    assert stored(home, doc).revision == 0  # phase one writes no revision, only the request

    signature = tmp_path / "signature.bin"
    signature.write_bytes(_sign_hash(school.pki, "GV004", bytes.fromhex(request["digest_hex"])))
    finished = _hsdt(home, "sign", "finish", request["pending_id"], "--signature", str(signature))
    assert finished.returncode == 0, finished.stderr
    assert "Đã ký «Giáo viên bộ môn Toán»" in finished.stdout

    after = stored(home, doc)
    assert (after.revision, after.signed, after.state) == (1, ("gvbm_TOAN",), "signing")
    assert after.file == after.pdf
    assert pending_count(home) == 0
    report = verify_pdf(
        after.pdf, trust_roots=school.pki.trust_roots(), demo_mode=True, require_lta=False
    )
    (signature_report,) = report.signatures
    assert signature_report.field_name == "gvbm_TOAN"
    assert signature_report.ok  # intact, valid, trusted, with its signature timestamp (B-T)
    assert signature_report.revocation_info_embedded  # B-LT
    assert signature_report.certifies  # the record's first signature certifies it

    # The request is spent: a second delivery is refused and writes nothing.
    again = _hsdt(home, "sign", "finish", request["pending_id"], "--signature", str(signature))
    assert again.returncode == 2
    assert "đã được dùng" in again.stderr and "Traceback" not in again.stderr
    assert stored(home, doc) == after


def test_a_full_cms_from_a_signing_app_is_accepted(home: Context, school: School) -> None:
    doc = documents(home, "so-theo-doi")[0]
    pending = _prepare(home, school.pki, doc, "gvbm_NN1", "GV005")
    identity = school.pki.identity("GV005")
    app = load_pkcs12_signer(identity.pkcs12_path, identity.passphrase)
    # The app signs the document hash itself and sends back a CMS without a timestamp.
    cms = asyncio.run(app.async_sign(pending.document_digest, "sha256", use_pades=True)).dump()

    outcome = finish_external(home, pending.id, cms=cms)
    assert (outcome.status, outcome.fields, outcome.revision) == (Status.SIGNED, ("gvbm_NN1",), 1)
    report = verify_pdf(
        stored(home, doc).pdf,
        trust_roots=school.pki.trust_roots(),
        demo_mode=True,
        require_lta=False,
    )
    (signature_report,) = report.signatures
    assert signature_report.ok and signature_report.timestamp is not None


def test_a_stale_hash_is_refused(home: Context, school: School) -> None:
    doc = documents(home, "hoc-ba-trung-hoc")[0]
    pending = _prepare(home, school.pki, doc, "gvbm_TOAN", "GV004")
    # Meanwhile a server-side signer commits another slot: the document moves to revision 1.
    sign_document(home, who(school.pki, "GV005"), doc)
    moved = stored(home, doc)

    signature = _sign_hash(school.pki, "GV004", pending.digest)
    with pytest.raises(DocumentChangedError) as stale:
        finish_external(home, pending.id, signature=signature)
    assert stale.value.message.startswith("Hồ sơ đã thay đổi sau khi lấy mã băm, hãy ký lại")
    assert stored(home, doc) == moved  # GV005's signature kept, nothing else written

    with pytest.raises(PendingSignatureError) as discarded:
        finish_external(home, pending.id, signature=signature)
    assert discarded.value.code == "pending.discarded"
    assert "hồ sơ đã thay đổi sau khi lấy mã băm" in discarded.value.message

    # A fresh hash on the new revision signs fine.
    fresh = _prepare(home, school.pki, doc, "gvbm_TOAN", "GV004")
    assert fresh.revision == 1
    done = finish_external(home, fresh.id, signature=_sign_hash(school.pki, "GV004", fresh.digest))
    assert done.revision == 2
    assert stored(home, doc).signed == ("gvbm_NN1", "gvbm_TOAN")


def test_a_wrong_signature_writes_nothing_and_the_request_stays(
    home: Context, school: School
) -> None:
    doc = documents(home, "hoc-ba-trung-hoc")[0]
    pending = _prepare(home, school.pki, doc, "gvbm_TOAN", "GV004")
    before = stored(home, doc)

    wrong_key = _sign_hash(school.pki, "GV005", pending.digest)  # someone else's key
    with pytest.raises(ExternalSignatureInvalidError, match="không khớp với mã băm đã cấp"):
        finish_external(home, pending.id, signature=wrong_key)
    wrong_hash = _sign_hash(school.pki, "GV004", pending.document_digest)  # the other hash
    with pytest.raises(ExternalSignatureInvalidError):
        finish_external(home, pending.id, signature=wrong_hash)
    identity = school.pki.identity("GV004")
    app = load_pkcs12_signer(identity.pkcs12_path, identity.passphrase)
    other_digest = asyncio.run(app.async_sign(pending.digest, "sha256", use_pades=True)).dump()
    with pytest.raises(ExternalSignatureInvalidError, match="mã băm tài liệu khác"):
        finish_external(home, pending.id, cms=other_digest)
    stranger = school.pki.identity("GV005")
    app = load_pkcs12_signer(stranger.pkcs12_path, stranger.passphrase)
    other_key = asyncio.run(app.async_sign(pending.document_digest, "sha256", use_pades=True))
    with pytest.raises(ExternalSignatureInvalidError, match="chứng thư số khác"):
        finish_external(home, pending.id, cms=other_key.dump())
    with pytest.raises(ExternalSignatureInvalidError, match="không đọc được"):
        finish_external(home, pending.id, cms=b"not a CMS")
    assert stored(home, doc) == before
    assert pending_count(home) == 1

    right = _sign_hash(school.pki, "GV004", pending.digest)
    assert finish_external(home, pending.id, signature=right).status is Status.SIGNED


def test_an_expired_or_unknown_request_is_refused(home: Context, school: School) -> None:
    doc = documents(home, "hoc-ba-trung-hoc")[0]
    pending = _prepare(home, school.pki, doc, "gvbm_TOAN", "GV004")
    later = dataclasses.replace(home, clock=FixedClock(pending.expires_at + timedelta(minutes=1)))
    signature = _sign_hash(school.pki, "GV004", pending.digest)
    with pytest.raises(PendingSignatureError) as expired:
        finish_external(later, pending.id, signature=signature)
    assert expired.value.code == "pending.expired"
    assert f"quá {int(PENDING_TTL.total_seconds() // 3600)} giờ" in expired.value.message
    assert stored(home, doc).revision == 0

    with pytest.raises(PendingSignatureError) as unknown:
        finish_external(home, "0123456789abcdef0123", signature=signature)
    assert unknown.value.code == "pending.unknown"


def test_phase_one_checks_plan_and_certificate_before_storing_anything(
    home: Context, school: School
) -> None:
    doc = documents(home, "hoc-ba-trung-hoc")[0]
    with pytest.raises(PlanViolation) as refused:
        _prepare(home, school.pki, doc, "hieu_truong", "GV001")
    assert refused.value.code == "plan.out_of_order"

    revoked = school.pki.identity(REVOKED)
    with pytest.raises(CertificateRejectedError) as rejected:
        prepare_external(home, doc, "gvbm_TOAN", "GV004", revoked.certificate, revoked.chain)
    assert "cert.revoked" in rejected.value.codes
    assert pending_count(home) == 0
    assert events(home, "signature.prepared") == []
    assert stored(home, doc).revision == 0
