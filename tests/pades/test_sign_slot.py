"""Signing slots: the PAdES profile, the refusals, the stamp, and PDF/A after signing."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
from datetime import UTC, datetime

import pikepdf
import pikepdf.pdfa
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import read_certification_data

from pades.conftest import PlanSigner
from pades.documents import SLOTS, Slot, first_revision, rendered_record
from signing.backends import load_pkcs12_signer
from signing.devpki import REVOKED, DevPki
from signing.pades import (
    CertificateNotUsableError,
    CertifyOrderError,
    FieldLocks,
    LockMismatchError,
    NotAPdfError,
    SigningServices,
    SlotAlreadySignedError,
    SlotNotFoundError,
    TimestampUnavailableError,
    async_sign_slot,
    sign_slot,
    signing_validation_context,
)
from signing.verify import verify_pdf


def _sign(
    pdf: bytes,
    slot: Slot,
    pki: DevPki,
    signers: dict[str, PlanSigner],
    **overrides: object,
) -> bytes:
    who = signers[slot.signer_id]
    kwargs: dict[str, object] = {
        "field_name": slot.field_name,
        "signer": who.signer,
        "signer_name": who.full_name,
        "role_label": slot.role_label,
        "timestamper": HTTPTimeStamper(pki.tsa_url),
        "validation_context": signing_validation_context(pki.trust_roots()),
        "level": "B-LT",
    }
    kwargs.update(overrides)
    return sign_slot(pdf, **kwargs)  # type: ignore[arg-type]


def test_the_whole_plan_verifies_as_b_lta(signed_record: bytes, dev_pki: DevPki) -> None:
    report = verify_pdf(signed_record, trust_roots=dev_pki.trust_roots(), demo_mode=True)

    assert report.findings == ()
    assert report.bottom_line
    assert [s.field_name for s in report.signatures] == [s.field_name for s in SLOTS]
    assert [s.role for s in report.signatures] == [s.role_label for s in SLOTS]
    assert [s.signer_name for s in report.signatures] == [
        "Nguyễn Văn An",
        "Giàng Thị Mai",
        "Trần Thị Hoa",
        "Trường PTDTBT TH và THCS Bản Xèo",
    ]
    for sig in report.signatures:
        assert sig.intact and sig.valid and sig.trusted and sig.revocation_info_embedded
        assert sig.timestamp is not None and sig.timestamp.trusted
        assert sig.changes_allowed is True
    assert report.lta.status == "ok" and report.lta.covers_whole_file
    assert len(report.timestamps) == 1


def test_first_signature_certifies_fill_forms_and_later_ones_approve(signed_record: bytes) -> None:
    reader = PdfFileReader(io.BytesIO(signed_record))
    certification = read_certification_data(reader)
    assert certification is not None and certification.permission == MDPPerm.FILL_FORMS
    first, *later = reader.embedded_regular_signatures
    assert first.docmdp_level == MDPPerm.FILL_FORMS
    assert all(sig.docmdp_level is None for sig in later)


def test_principal_signature_locks_the_fields_the_renderer_declared(signed_record: bytes) -> None:
    reader = PdfFileReader(io.BytesIO(signed_record))
    by_name = {sig.field_name: sig for sig in reader.embedded_regular_signatures}
    lock = by_name["hieu_truong"].fieldmdp
    assert lock is not None and set(lock.fields or ()) == {"gvbm_TOAN", "gvcn"}
    assert by_name["gvcn"].fieldmdp is None


def test_role_is_stored_in_reason_and_dss_lives_in_the_signature_revision(
    signed_record: bytes,
) -> None:
    reader = PdfFileReader(io.BytesIO(signed_record))
    sigs = reader.embedded_regular_signatures
    assert [str(s.sig_object["/Reason"]) for s in sigs] == [s.role_label for s in SLOTS]
    # One revision per signature (DSS written with it), one for the document timestamp.
    assert reader.xrefs.total_revisions == 1 + len(SLOTS) + 1
    assert "/DSS" in reader.get_historical_root(1)


def test_pdfsig_accepts_every_cms_signature(signed_record: bytes, tmp_path: object) -> None:
    path = tmp_path / "signed.pdf"  # type: ignore[operator]
    path.write_bytes(signed_record)
    # -nocert: poppler has no NSS database with the development root; -no-ocsp: offline.
    run = subprocess.run(
        ["pdfsig", "-nocert", "-no-ocsp", str(path)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    verdicts = re.findall(r"Signature Validation: (.+)", run.stdout)
    # Four CMS signatures valid; poppler cannot validate the RFC 3161 document timestamp.
    assert verdicts[:4] == ["Signature is Valid."] * 4
    assert verdicts[4] == "Signature has not yet been verified."


def test_stamp_shows_name_role_and_vietnam_time(
    record_pdf: bytes, dev_pki: DevPki, plan_signers: dict[str, PlanSigner], tmp_path: object
) -> None:
    at = datetime(2025, 11, 28, 8, 7, tzinfo=UTC)
    signed = _sign(record_pdf, SLOTS[0], dev_pki, plan_signers, signing_time=at)
    path = tmp_path / "one.pdf"  # type: ignore[operator]
    path.write_bytes(signed)
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Nguyễn Văn An" in text
    assert "Giáo viên bộ môn Toán" in text
    assert "Ký ngày 28/11/2025 15:07" in text  # 08:07 UTC is 15:07 in Vietnam
    reader = PdfFileReader(io.BytesIO(signed))
    (sig,) = reader.embedded_regular_signatures
    assert sig.self_reported_timestamp == at
    widget = sig.sig_field
    assert int(widget["/F"]) & 4  # printable
    assert not int(widget["/F"]) & 0b100011  # not invisible, hidden or no-view


def test_every_font_is_embedded_and_the_stamp_font_only_once(
    signed_record: bytes, tmp_path: object
) -> None:
    path = tmp_path / "signed.pdf"  # type: ignore[operator]
    path.write_bytes(signed_record)
    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert listing, "no fonts listed"
    for line in listing:
        name, emb = line.split()[0], line.split()[-4]
        assert emb == "yes", f"{name} not embedded"
    assert sum("HSDTVN+Spectral-Regular" in line for line in listing) == 1


def test_first_revision_is_still_the_rendered_pdfa(record_pdf: bytes, signed_record: bytes) -> None:
    assert first_revision(signed_record) == record_pdf


def test_pdfa_checker_finds_no_violation_before_or_after_signing(
    record_pdf: bytes, signed_record: bytes
) -> None:
    before = pikepdf.pdfa.validate_written(io.BytesIO(record_pdf), "3b")
    after = pikepdf.pdfa.validate_written(io.BytesIO(signed_record), "3b")
    assert before.violations == () and after.violations == (), after.summary()

    # pikepdf's allow-list validator does not check interactive forms, permissions or the DSS,
    # so a signed file can only be "not checked" — and those three catalogue entries are all it
    # skips. (veraPDF cannot be installed here; see docs/signing.md.)
    def skipped(report: pikepdf.pdfa.Report) -> set[str]:
        assert all("(Catalog)" in f.where for f in report.unsupported), report.summary()
        return {key for f in report.unsupported for key in re.findall(r"/[A-Za-z]+", f.message)}

    assert skipped(before) == {"/AcroForm"}
    assert skipped(after) == {"/AcroForm", "/Perms", "/DSS"}


def test_signature_annotations_are_printable_in_the_signed_file(signed_record: bytes) -> None:
    with pikepdf.open(io.BytesIO(signed_record)) as pdf:
        widgets = [
            annot
            for page in pdf.pages
            for annot in page.get("/Annots", [])
            if annot.get("/Subtype") == "/Widget"
        ]
    assert len(widgets) == len(SLOTS) + 1  # the document timestamp's widget too
    assert all(int(w.F) & 4 for w in widgets)


def test_missing_field_is_refused(
    record_pdf: bytes, dev_pki: DevPki, plan_signers: dict[str, PlanSigner]
) -> None:
    with pytest.raises(SlotNotFoundError, match="gvbm_VAN"):
        _sign(record_pdf, SLOTS[0], dev_pki, plan_signers, field_name="gvbm_VAN")


def test_invisible_field_is_refused(dev_pki: DevPki, plan_signers: dict[str, PlanSigner]) -> None:
    invisible = rendered_record((Slot("gvbm_TOAN", 0, (0, 0, 0, 0), "Giáo viên", "GV001"),))
    with pytest.raises(SlotNotFoundError, match="không hiển thị"):
        _sign(invisible, SLOTS[0], dev_pki, plan_signers)


def test_signed_field_is_refused(
    signed_record: bytes, dev_pki: DevPki, plan_signers: dict[str, PlanSigner]
) -> None:
    with pytest.raises(SlotAlreadySignedError, match="gvcn"):
        _sign(signed_record, SLOTS[1], dev_pki, plan_signers)


def test_certification_is_only_for_the_first_signature(
    record_pdf: bytes, dev_pki: DevPki, plan_signers: dict[str, PlanSigner]
) -> None:
    with pytest.raises(CertifyOrderError):
        _sign(record_pdf, SLOTS[0], dev_pki, plan_signers, certify=False)
    once = _sign(record_pdf, SLOTS[0], dev_pki, plan_signers, level="B-T", validation_context=None)
    with pytest.raises(CertifyOrderError):
        _sign(
            once,
            SLOTS[1],
            dev_pki,
            plan_signers,
            certify=True,
            level="B-T",
            validation_context=None,
        )


def test_locks_that_differ_from_the_field_are_refused(
    record_pdf: bytes, dev_pki: DevPki, plan_signers: dict[str, PlanSigner]
) -> None:
    with pytest.raises(LockMismatchError, match="hieu_truong"):
        _sign(record_pdf, SLOTS[2], dev_pki, plan_signers, field_locks=FieldLocks(("gvcn",)))


def test_not_a_pdf_is_refused(dev_pki: DevPki, plan_signers: dict[str, PlanSigner]) -> None:
    with pytest.raises(NotAPdfError):
        _sign(b"GIF89a not a pdf", SLOTS[0], dev_pki, plan_signers)


def test_revoked_certificate_cannot_sign(record_pdf: bytes, dev_pki: DevPki) -> None:
    identity = dev_pki.identity(REVOKED)
    revoked = PlanSigner(
        load_pkcs12_signer(identity.pkcs12_path, identity.passphrase), identity.full_name
    )
    with pytest.raises(CertificateNotUsableError, match=identity.full_name):
        _sign(record_pdf, SLOTS[0], dev_pki, {"GV001": revoked})


def test_tsa_outage_is_reported(
    record_pdf: bytes, dev_pki_offline: DevPki, plan_signers: dict[str, PlanSigner]
) -> None:
    with pytest.raises(TimestampUnavailableError, match="TSA"):
        _sign(
            record_pdf,
            SLOTS[0],
            dev_pki_offline,
            plan_signers,
            level="B-T",
            validation_context=None,
        )


def test_batch_signing_shares_one_session_and_per_signer_contexts(
    dev_pki: DevPki, plan_signers: dict[str, PlanSigner]
) -> None:
    records = [rendered_record(SLOTS[:1]) for _ in range(3)]
    who = plan_signers["GV001"]

    async def batch() -> list[bytes]:
        async with SigningServices(
            tsa_url=dev_pki.tsa_url, trust_roots=dev_pki.trust_roots()
        ) as services:
            context = services.validation_context(who.signer.signing_cert)
            assert services.validation_context(who.signer.signing_cert) is context
            assert services.validation_context() is not context
            return [
                await async_sign_slot(
                    pdf,
                    field_name="gvbm_TOAN",
                    signer=who.signer,
                    signer_name=who.full_name,
                    role_label="Giáo viên bộ môn Toán",
                    timestamper=services.timestamper,
                    validation_context=context,
                )
                for pdf in records
            ]

    for signed in asyncio.run(batch()):
        report = verify_pdf(
            signed, trust_roots=dev_pki.trust_roots(), demo_mode=True, require_lta=False
        )
        assert report.bottom_line, report.findings
