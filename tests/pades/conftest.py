"""Fixtures for the PAdES tests: the rendered record, the plan's signers, the fully signed record.

Signing the whole plan is the slow part (~1 s), so the signed record is built once per session;
tamper tests derive their inputs from it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from pyhanko.sign.signers import Signer

from pades.documents import SLOTS, rendered_record
from signing.backends import load_pkcs12_signer
from signing.devpki import DevPki
from signing.ltv import async_add_document_timestamp
from signing.pades import SigningServices, async_sign_slot


@dataclass(frozen=True)
class PlanSigner:
    signer: Signer
    full_name: str


@pytest.fixture(scope="session")
def record_pdf() -> bytes:
    return rendered_record()


@pytest.fixture(scope="session")
def plan_signers(dev_pki: DevPki) -> dict[str, PlanSigner]:
    out = {}
    for slot in SLOTS:
        identity = dev_pki.identity(slot.signer_id)
        signer = load_pkcs12_signer(identity.pkcs12_path, identity.passphrase)
        out[slot.signer_id] = PlanSigner(signer, identity.full_name)
    return out


async def sign_plan(
    pdf: bytes, pki: DevPki, signers: dict[str, PlanSigner], *, document_timestamp: bool = True
) -> bytes:
    """Every slot in plan order at B-LT, then the document timestamp: the archival record."""
    async with SigningServices(tsa_url=pki.tsa_url, trust_roots=pki.trust_roots()) as services:
        for slot in SLOTS:
            who = signers[slot.signer_id]
            pdf = await async_sign_slot(
                pdf,
                field_name=slot.field_name,
                signer=who.signer,
                signer_name=who.full_name,
                role_label=slot.role_label,
                timestamper=services.timestamper,
                validation_context=services.validation_context(who.signer.signing_cert),
                level="B-LT",
                field_locks=slot.field_locks,
            )
        if document_timestamp:
            pdf = await async_add_document_timestamp(
                pdf,
                timestamper=services.timestamper,
                validation_context=services.validation_context(),
            )
    return pdf


@pytest.fixture(scope="session")
def signed_record(record_pdf: bytes, dev_pki: DevPki, plan_signers: dict[str, PlanSigner]) -> bytes:
    return asyncio.run(sign_plan(record_pdf, dev_pki, plan_signers))
