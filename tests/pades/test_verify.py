"""Verification: tampering of every kind is a failure with a reason; honest files pass offline."""

from __future__ import annotations

import asyncio
import io
import json

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import HTTPTimeStamper

from pades.conftest import PlanSigner, sign_plan
from pades.documents import (
    SLOTS,
    append_page_content,
    corrupt_signature_container,
    flip_byte_in_revision,
    remove_signature,
    revision_ends,
    rewrite,
)
from signing.devpki import DevPki
from signing.devpki.pki import UNTRUSTED_ROOT
from signing.ltv import (
    NothingToTimestampError,
    add_document_timestamp,
    archival_timestamp_expiry,
    renew_timestamp,
)
from signing.pades import sign_slot, signing_validation_context
from signing.verify import FindingCode, VerificationReport, verify_pdf


def _verify(pdf: bytes, pki: DevPki, **kwargs: object) -> VerificationReport:
    return verify_pdf(pdf, trust_roots=pki.trust_roots(), demo_mode=True, **kwargs)  # type: ignore[arg-type]


def _codes(report: VerificationReport, field_name: str | None = None) -> set[FindingCode]:
    return {f.code for f in report.findings if field_name is None or f.field_name == field_name}


def test_verification_needs_no_network(signed_record: bytes, dev_pki_offline: DevPki) -> None:
    report = _verify(signed_record, dev_pki_offline)
    assert report.bottom_line, report.findings
    assert report.lta.status == "ok"
    assert report.lta.validated_from_embedded_data


@pytest.mark.parametrize("revision", range(len(SLOTS) + 2))
def test_a_flipped_byte_in_any_revision_is_caught(
    signed_record: bytes, dev_pki: DevPki, revision: int
) -> None:
    assert len(revision_ends(signed_record)) == len(SLOTS) + 2
    report = _verify(flip_byte_in_revision(signed_record, revision), dev_pki)

    assert not report.bottom_line
    # Revision 0 is the rendered record, revision k the k-th signature, the last the timestamp:
    # every signature whose signed range includes the damaged revision is no longer intact.
    for index, slot in enumerate(SLOTS, start=1):
        damaged = FindingCode.SIG_NOT_INTACT in _codes(report, slot.field_name)
        assert damaged == (index >= revision), slot.field_name
    assert FindingCode.TS_NOT_INTACT in _codes(report, "dau_thoi_gian_1")


def test_content_appended_after_the_last_signature_is_caught(
    signed_record: bytes, dev_pki: DevPki
) -> None:
    report = _verify(append_page_content(signed_record), dev_pki)

    assert not report.bottom_line
    for slot in SLOTS:
        assert FindingCode.SIG_MODIFIED_AFTER in _codes(report, slot.field_name)
        (sig,) = [s for s in report.signatures if s.field_name == slot.field_name]
        assert sig.intact and sig.modification_level == "other" and sig.changes_allowed is False
    assert FindingCode.TS_MODIFIED_AFTER in _codes(report, "dau_thoi_gian_1")
    assert FindingCode.LTA_NOT_LAST in _codes(report)
    assert report.lta.status == "broken"


def test_a_removed_signature_is_caught(signed_record: bytes, dev_pki: DevPki) -> None:
    report = _verify(remove_signature(signed_record, "gvcn"), dev_pki)

    assert not report.bottom_line
    assert FindingCode.SIG_REMOVED in _codes(report, "gvcn")
    assert "gvcn" not in {s.field_name for s in report.signatures}
    assert FindingCode.SIG_MODIFIED_AFTER in _codes(report, "gvbm_TOAN")


def test_a_rewritten_file_is_caught(signed_record: bytes, dev_pki: DevPki) -> None:
    rewritten = rewrite(signed_record)
    assert len(revision_ends(rewritten)) == 1
    report = _verify(rewritten, dev_pki)

    assert not report.bottom_line
    for slot in SLOTS:
        codes = _codes(report, slot.field_name)
        assert FindingCode.SIG_NOT_INTACT in codes or FindingCode.SIG_BAD_COVERAGE in codes


def test_an_unreadable_signature_does_not_hide_the_others(
    signed_record: bytes, dev_pki: DevPki
) -> None:
    # The seal's container (the 4th in the file); the three earlier signatures do not cover it.
    report = _verify(corrupt_signature_container(signed_record, 3), dev_pki)

    assert not report.bottom_line
    assert FindingCode.SIG_UNREADABLE in _codes(report, "con_dau")
    assert [s.field_name for s in report.signatures] == [s.field_name for s in SLOTS[:3]]
    assert all(s.intact and s.trusted for s in report.signatures)
    assert FindingCode.TS_NOT_INTACT in _codes(report, "dau_thoi_gian_1")


def test_an_untrusted_root_is_caught(signed_record: bytes, dev_pki: DevPki) -> None:
    other_root = dev_pki.authority_certificate(UNTRUSTED_ROOT)
    report = verify_pdf(signed_record, trust_roots=[other_root], demo_mode=False)

    assert not report.bottom_line
    for slot in SLOTS:
        assert FindingCode.SIG_UNTRUSTED in _codes(report, slot.field_name)
    assert FindingCode.TS_UNTRUSTED in _codes(report, "dau_thoi_gian_1")
    assert all(s.intact and s.valid and not s.trusted for s in report.signatures)


def test_not_a_pdf(dev_pki: DevPki) -> None:
    report = _verify(b"PK\x03\x04 a zip file", dev_pki)
    assert not report.bottom_line
    assert _codes(report) == {FindingCode.DOC_NOT_PDF}


def test_an_unsigned_record_lists_its_empty_slots(record_pdf: bytes, dev_pki: DevPki) -> None:
    report = _verify(record_pdf, dev_pki)
    assert not report.bottom_line
    assert FindingCode.DOC_NO_SIGNATURES in _codes(report)
    assert {f.field_name for f in report.findings if f.code is FindingCode.DOC_UNSIGNED_FIELD} == {
        s.field_name for s in SLOTS
    }


def test_a_record_still_being_signed(
    record_pdf: bytes, dev_pki: DevPki, plan_signers: dict[str, PlanSigner]
) -> None:
    signed = asyncio.run(sign_plan(record_pdf, dev_pki, plan_signers, document_timestamp=False))

    assert _verify(signed, dev_pki, require_lta=False).bottom_line
    report = _verify(signed, dev_pki)
    assert _codes(report) == {FindingCode.LTA_MISSING}
    assert report.lta.status == "missing"


def test_b_t_signatures_get_their_material_with_the_document_timestamp(
    record_pdf: bytes, dev_pki: DevPki, plan_signers: dict[str, PlanSigner]
) -> None:
    slot = SLOTS[0]
    who = plan_signers[slot.signer_id]
    b_t = sign_slot(
        record_pdf,
        field_name=slot.field_name,
        signer=who.signer,
        signer_name=who.full_name,
        role_label=slot.role_label,
        timestamper=HTTPTimeStamper(dev_pki.tsa_url),
        validation_context=None,
        level="B-T",
    )
    (sig,) = _verify(b_t, dev_pki, require_lta=False).signatures
    assert not sig.revocation_info_embedded

    lta = add_document_timestamp(
        b_t,
        timestamper=HTTPTimeStamper(dev_pki.tsa_url),
        validation_context=signing_validation_context(dev_pki.trust_roots()),
    )
    report = _verify(lta, dev_pki)
    assert report.signatures[0].revocation_info_embedded
    assert _codes(report) == {FindingCode.DOC_UNSIGNED_FIELD}  # the other three slots
    assert report.lta.status == "ok"


def test_renewal_extends_the_timestamp_chain(signed_record: bytes, dev_pki: DevPki) -> None:
    renewed = renew_timestamp(
        signed_record,
        timestamper=HTTPTimeStamper(dev_pki.tsa_url),
        validation_context=signing_validation_context(dev_pki.trust_roots()),
    )
    report = _verify(renewed, dev_pki)

    assert report.bottom_line, report.findings
    assert [t.field_name for t in report.timestamps] == ["dau_thoi_gian_1", "dau_thoi_gian_2"]
    first, second = report.timestamps
    assert second.time >= first.time and report.lta.last_timestamp == second.time
    assert first.modification_level == "lta_updates"
    assert archival_timestamp_expiry(renewed) == second.tsa_certificate_expires


def test_renewal_needs_a_document_timestamp(record_pdf: bytes, dev_pki: DevPki) -> None:
    with pytest.raises(NothingToTimestampError):
        renew_timestamp(
            record_pdf,
            timestamper=HTTPTimeStamper(dev_pki.tsa_url),
            validation_context=signing_validation_context(dev_pki.trust_roots()),
        )


def test_report_json_is_serialisable_and_carries_demo_mode(
    signed_record: bytes, dev_pki: DevPki
) -> None:
    # The dev root is recognised: demo mode even if the caller forgot to ask for it.
    report = verify_pdf(signed_record, trust_roots=dev_pki.trust_roots(), demo_mode=False)
    data = json.loads(json.dumps(report.to_json()))
    assert data["bottom_line"] is True and data["demo_mode"] is True
    assert [s["field_name"] for s in data["signatures"]] == [s.field_name for s in SLOTS]
    assert data["signatures"][0]["role"] == "Giáo viên bộ môn Toán"
    assert data["signatures"][0]["certifies"] is True
    assert data["signatures"][0]["changed_fields"] == ["con_dau", "gvcn", "hieu_truong"]
    assert data["lta"]["status"] == "ok"
    reader = PdfFileReader(io.BytesIO(signed_record))
    assert len(data["timestamps"]) == len(reader.embedded_timestamp_signatures)
