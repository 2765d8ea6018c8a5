"""The signed record every PDF attack starts from: rendered once, signed once per session through
our real signing path (every slot B-LT, then the document timestamp) with the development PKI.
A second copy carries the attacker's shadow document, prepared before anyone signed."""

from __future__ import annotations

import asyncio

import pytest
from pades.conftest import PlanSigner, sign_plan
from pades.documents import SLOTS, rendered_record

from hostile.pdf_attacks import Material, add_shadow_document
from signing.backends import load_pkcs12_signer
from signing.devpki import DevPki


@pytest.fixture(scope="session")
def attack_material(dev_pki: DevPki) -> Material:
    signers = {}
    for slot in SLOTS:
        identity = dev_pki.identity(slot.signer_id)
        signer = load_pkcs12_signer(identity.pkcs12_path, identity.passphrase)
        signers[slot.signer_id] = PlanSigner(signer, identity.full_name)
    unsigned = rendered_record()
    signed = asyncio.run(sign_plan(unsigned, dev_pki, signers))
    shadow = asyncio.run(sign_plan(add_shadow_document(unsigned), dev_pki, signers))
    return Material(dev_pki, unsigned, signed, shadow)
