"""Anchors: an RFC 3161 token over the head from the development TSA, kept in the database and
archived; verification checks each token against the trust roots and against the log as it is
now, so a consistent rewrite of anchored entries is found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from audit_log.helpers import record, rehash_from, sql
from service.audit_anchor import AnchorRefused, AuditAnchorError, anchor_key, anchor_log
from service.audit_verify import verify_audit_log
from service.context import Context
from signing.devpki import DevPki


def codes(ctx: Context) -> list[tuple[str, int | None]]:
    return [(f.code, f.seq) for f in verify_audit_log(ctx).findings]


def test_anchor_timestamps_the_head_and_archives_the_tsa_answer(anchor_ctx: Context) -> None:
    record(anchor_ctx, 10)
    outcome = anchor_log(anchor_ctx)
    assert outcome.anchored and outcome.seq == 10 and outcome.new_entries == 10
    assert outcome.archive_key == anchor_key(10) == "audit/anchors/000000000010.tsr"

    archived = (anchor_ctx.home.objects_dir / outcome.archive_key).read_bytes()
    response = tsp.TimeStampResp.load(archived)
    assert response["status"]["status"].native == "granted"
    tst_info = response["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    imprint = tst_info["message_imprint"]
    assert imprint["hash_algorithm"]["algorithm"].native == "sha256"
    assert imprint["hashed_message"].native.hex() == outcome.entry_hash

    again = anchor_log(anchor_ctx)
    assert not again.anchored and again.seq == 10 and again.new_entries == 0

    report = verify_audit_log(anchor_ctx)
    assert report.ok and report.unanchored == 0
    (anchor,) = report.anchors
    assert (anchor.seq, anchor.in_database, anchor.archived, anchor.ok) == (10, True, True, True)
    assert "DEVELOPMENT TSA" in anchor.tsa_name and report.demo_trust


def test_min_new_entries_defers_the_anchor(anchor_ctx: Context) -> None:
    record(anchor_ctx, 3)
    assert not anchor_log(anchor_ctx, min_new_entries=5).anchored
    record(anchor_ctx, 2)
    assert anchor_log(anchor_ctx, min_new_entries=5).anchored


def test_a_consistent_rewrite_under_an_anchor_is_found(anchor_ctx: Context) -> None:
    record(anchor_ctx, 4)
    anchor_log(anchor_ctx)
    record(anchor_ctx, 6)
    anchor_log(anchor_ctx)
    record(anchor_ctx, 2)
    sql(anchor_ctx.engine, "UPDATE events SET subject = 'HB-khác' WHERE seq = 6")
    rehash_from(anchor_ctx.engine, 6)  # every hash from 6 on, and the head: the chain is "intact"

    report = verify_audit_log(anchor_ctx)
    assert [(f.code, f.seq) for f in report.findings] == [("audit.anchor_mismatch", 10)]
    message = report.findings[0].message
    assert "các mục từ #5 đến #10 đã bị viết lại sau khi gắn mốc" in message
    assert [a.ok for a in report.anchors] == [True, False]


def test_anchoring_refuses_a_log_that_does_not_verify(anchor_ctx: Context) -> None:
    record(anchor_ctx, 5)
    sql(anchor_ctx.engine, "UPDATE events SET action = 'x' WHERE seq = 3")
    with pytest.raises(AnchorRefused, match="Mục số 3"):
        anchor_log(anchor_ctx)
    assert not (anchor_ctx.home.objects_dir / "audit").exists()


def test_a_replaced_or_deleted_anchor_row_is_found_from_the_archive(anchor_ctx: Context) -> None:
    record(anchor_ctx, 3)
    anchor_log(anchor_ctx)
    record(anchor_ctx, 3)
    anchor_log(anchor_ctx)
    with anchor_ctx.engine.begin() as c:
        first = c.exec_driver_sql("SELECT token FROM audit_anchors WHERE seq = 3").scalar_one()
    sql(anchor_ctx.engine, "UPDATE audit_anchors SET token = :t WHERE seq = 6", t=first)
    assert ("audit.anchor_replaced", 6) in codes(anchor_ctx)

    sql(anchor_ctx.engine, "DELETE FROM audit_anchors WHERE seq = 6")
    assert codes(anchor_ctx) == [("audit.anchor_not_in_database", 6)]


def test_an_interrupted_anchor_is_completed_from_the_archive(anchor_ctx: Context) -> None:
    record(anchor_ctx, 3)
    first = anchor_log(anchor_ctx)
    sql(anchor_ctx.engine, "DELETE FROM audit_anchors")  # as if the run stopped after archiving
    assert codes(anchor_ctx) == [("audit.anchor_not_in_database", 3)]

    again = anchor_log(anchor_ctx)
    assert again.anchored and again.tsa_time == first.tsa_time  # the archived token, reused
    assert verify_audit_log(anchor_ctx).ok


def test_a_rewritten_log_cannot_be_anchored_over_its_archived_anchor(anchor_ctx: Context) -> None:
    record(anchor_ctx, 4)
    anchor_log(anchor_ctx)
    sql(anchor_ctx.engine, "UPDATE events SET subject = 'khác' WHERE seq = 1")
    rehash_from(anchor_ctx.engine, 1)
    sql(anchor_ctx.engine, "DELETE FROM audit_anchors")  # and hide the database's anchor
    assert codes(anchor_ctx) == [
        ("audit.anchor_not_in_database", 4),
        ("audit.anchor_mismatch", 4),
    ]
    with pytest.raises(AuditAnchorError, match="hàm băm khác"):
        anchor_log(anchor_ctx)


def test_a_token_from_an_untrusted_tsa_fails_verification(anchor_ctx: Context) -> None:
    record(anchor_ctx, 2)
    anchor_log(anchor_ctx)
    config = anchor_ctx.home.config_path
    config.write_text(
        config.read_text(encoding="utf-8").replace('mode = "demo"', 'mode = "production"'),
        encoding="utf-8",
    )
    report = verify_audit_log(anchor_ctx)
    assert [(f.code, f.seq) for f in report.findings] == [("audit.anchor_untrusted", 2)]
    assert "không thuộc nơi cấp nào được tin cậy" in report.findings[0].message


def test_an_unusable_archive_is_one_finding_and_stops_anchoring(anchor_ctx: Context) -> None:
    record(anchor_ctx, 2)
    anchor_log(anchor_ctx)
    record(anchor_ctx, 1)
    config = anchor_ctx.home.config_path
    local = 'kind = "local"\ndirectory = "objects"'
    config.write_text(
        config.read_text(encoding="utf-8").replace(local, 'kind = "ftp"'), encoding="utf-8"
    )
    report = verify_audit_log(anchor_ctx)
    assert [(f.code, f.seq) for f in report.findings] == [("audit.anchors_unreadable", None)]
    assert 'kind phải là "local" hoặc "s3"' in report.findings[0].message
    with pytest.raises(AuditAnchorError, match="Không lưu được mốc audit/anchors/000000000003"):
        anchor_log(anchor_ctx)
    with anchor_ctx.engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM audit_anchors").scalar_one() == 1


def test_a_token_from_a_tsa_outside_the_trust_roots_is_never_archived(
    anchor_ctx: Context, dev_pki: DevPki
) -> None:
    record(anchor_ctx, 2)
    home = anchor_ctx.home
    (home.root / "other-root.pem").write_bytes(self_signed_root("Một CA khác"))
    config = home.config_path
    text = config.read_text(encoding="utf-8")
    text = text.replace('mode = "demo"\ntrust_roots = []', (
        f'mode = "production"\ntrust_roots = ["other-root.pem"]\ntsa_url = "{dev_pki.tsa_url}"'
    ))  # fmt: skip
    config.write_text(text, encoding="utf-8")

    with pytest.raises(AuditAnchorError, match="không thuộc nơi cấp nào được tin cậy"):
        anchor_log(anchor_ctx)
    assert not (home.objects_dir / "audit").exists()
    with anchor_ctx.engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM audit_anchors").scalar_one() == 0


def self_signed_root(name: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)
