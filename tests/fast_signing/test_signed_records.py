"""Records signed through the fast path validate intact/valid/trusted, and were signed by it."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import TimeStamper
from support.pki import validate_only_signature

from signing.backends import CachedKeySigner
from signing.devpki import DevPki
from signing.pades import SigningServices, async_sign_slot
from signing.pyhanko_patches import fast_hex_string_reader_applied
from signing.verify import verify_pdf


def _sign_gvcn(pdf: bytes, pki: DevPki, signer: CachedKeySigner, name: str, level: str) -> bytes:
    async def run() -> bytes:
        async with SigningServices(tsa_url=pki.tsa_url, trust_roots=pki.trust_roots()) as net:
            timestamper: TimeStamper | None = None if level == "B-B" else net.timestamper
            return await async_sign_slot(
                pdf,
                field_name="gvcn",
                signer=signer,
                signer_name=name,
                role_label="Giáo viên chủ nhiệm",
                timestamper=timestamper,  # type: ignore[arg-type]  # None: B-B, benchmarks only
                validation_context=net.validation_context(signer.signing_cert),
                level="B-LT" if level == "B-LT" else "B-T",
            )

    return asyncio.run(run())


def _contents(pdf: bytes) -> bytes:
    """The signature's /Contents as written: the CMS, then zero padding."""
    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
    return bytes(signature.sig_object["/Contents"])


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT"])
def test_each_level_validates_and_is_the_templates_cms(
    level: str,
    primary_record: bytes,
    dev_pki: DevPki,
    field_signers: dict[str, tuple[CachedKeySigner, str]],
) -> None:
    signer, name = field_signers["gvcn"]
    signed = _sign_gvcn(primary_record, dev_pki, signer, name, level)

    status = validate_only_signature(signed, dev_pki)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert (status.timestamp_validity is not None) == (level != "B-B")
    if status.timestamp_validity is not None:
        assert status.timestamp_validity.intact and status.timestamp_validity.trusted

    # The CMS in the file is exactly what the signer's template splices from its parts, so the
    # fast path (not a silent fallback to pyHanko's assembly) produced it.
    template = signer.cms_template("sha256")
    assert template is not None
    contents = _contents(signed)
    info: Any = cms.ContentInfo.load(contents)["content"]["signer_infos"][0]
    unsigned = info["unsigned_attrs"]
    rebuilt = template.content_info(
        info["signed_attrs"].untag().dump(),
        info["signature"].native,
        unsigned.untag().dump() if unsigned.native is not None else None,
    )
    assert contents[: len(rebuilt)] == rebuilt
    assert contents[len(rebuilt) :].strip(b"\0") == b""


def test_whole_record_signed_fast_verifies_as_b_lta(
    signed_primary_record: bytes, dev_pki: DevPki
) -> None:
    assert fast_hex_string_reader_applied()  # later slots were signed with the patched reader

    report = verify_pdf(signed_primary_record, trust_roots=dev_pki.trust_roots(), demo_mode=True)

    assert report.findings == ()
    assert report.bottom_line
    assert [s.field_name for s in report.signatures] == ["gvcn", "hieu_truong", "con_dau"]
    for sig in report.signatures:
        assert sig.intact and sig.valid and sig.trusted and sig.revocation_info_embedded
        assert sig.changes_allowed is True
    assert report.lta.status == "ok"
