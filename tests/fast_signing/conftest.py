"""Fixtures for the fast-signing tests: a real rendered học bạ and cached-key signers.

The record is the renderer's own output (records.sample → render_document), a 2-page primary
học bạ with three empty signature fields: ``gvcn``, ``hieu_truong``, ``con_dau``.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.signers import SimpleSigner

from signing.backends import CachedKeySigner, load_pkcs12_signer
from signing.devpki import DevPki
from signing.ltv import async_add_document_timestamp
from signing.pades import SigningServices, async_sign_slot

ROOT = Path(__file__).resolve().parents[2]

# Field of the primary học bạ → identity of the test PKI (support.pki.TEST_PEOPLE).
SIGNER_OF_FIELD = {"gvcn": "GV002", "hieu_truong": "HT", "con_dau": "SEAL"}
ROLE_LABELS = {
    "gvcn": "Giáo viên chủ nhiệm",
    "hieu_truong": "Hiệu trưởng",
    "con_dau": "Chữ ký số của nhà trường",
}


_RENDER = """
import sys
from records.documents import RecordType, all_documents
from records.sample import generate_school
from render import render_document
from signing.plans import default_slots

dataset = generate_school(seed=2026, primary_classes=1, secondary_classes=0)
doc = next(d for d in all_documents(dataset) if d.record_type is RecordType.HOC_BA_TIEU_HOC)
result = render_document(doc, default_slots(doc), verify_url="https://hocba.example.edu.vn/xac-minh")
sys.stdout.buffer.write(result.pdf)
"""


@pytest.fixture(scope="session")
def primary_record() -> bytes:
    # Rendered in a child process: rendering registers the renderer's "Spectral" with reportlab
    # for the whole process, and tests/pades/documents.py registers another font under the same
    # name; in one process, rendering before tests/pades changes what later renders produce
    # (tests/render/test_determinism.py fails).
    run = subprocess.run([sys.executable, "-c", _RENDER], cwd=ROOT, capture_output=True, check=True)
    pdf = run.stdout
    fields = [name for name, _, _ in enumerate_sig_fields(PdfFileReader(io.BytesIO(pdf)))]
    assert fields == list(SIGNER_OF_FIELD)
    return pdf


@pytest.fixture(scope="session")
def field_signers(dev_pki: DevPki) -> dict[str, tuple[CachedKeySigner, str]]:
    """Field name → (signer, full name)."""
    out = {}
    for field_name, identity_id in SIGNER_OF_FIELD.items():
        identity = dev_pki.identity(identity_id)
        signer = load_pkcs12_signer(identity.pkcs12_path, identity.passphrase)
        out[field_name] = (signer, identity.full_name)
    return out


def stock_twin(signer: SimpleSigner) -> SimpleSigner:
    """pyHanko's own `SimpleSigner` over the same key, certificate and certificate store."""
    return SimpleSigner(
        signing_cert=signer.signing_cert,
        signing_key=signer.signing_key,
        cert_registry=signer.cert_registry,
    )


async def sign_all_slots(
    pdf: bytes, pki: DevPki, signers: dict[str, tuple[CachedKeySigner, str]]
) -> bytes:
    """Every slot at B-LT in plan order, then the document timestamp (B-LTA)."""
    async with SigningServices(tsa_url=pki.tsa_url, trust_roots=pki.trust_roots()) as services:
        for field_name, (signer, full_name) in signers.items():
            pdf = await async_sign_slot(
                pdf,
                field_name=field_name,
                signer=signer,
                signer_name=full_name,
                role_label=ROLE_LABELS[field_name],
                timestamper=services.timestamper,
                validation_context=services.validation_context(signer.signing_cert),
                level="B-LT",
            )
        return await async_add_document_timestamp(
            pdf, timestamper=services.timestamper, validation_context=services.validation_context()
        )


@pytest.fixture(scope="session")
def signed_primary_record(
    primary_record: bytes, dev_pki: DevPki, field_signers: dict[str, tuple[CachedKeySigner, str]]
) -> bytes:
    return asyncio.run(sign_all_slots(primary_record, dev_pki, field_signers))
