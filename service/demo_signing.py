"""The demo's signing step: every rendered record through its full plan.

Subject and homeroom teachers sign in batches (one batch per person: one key, one certificate
check, one TSA session), the principal countersigns the whole school in one batch, and the school
seal signs last — on a SoftHSM2 PKCS#11 token when SoftHSM2 is installed (as a school's USB token
would), otherwise from a PKCS#12 file. Demo mode only: the keys come from the home's development
PKI.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from records.model import Dataset
from service.context import Context
from service.db.models import DocumentRow
from service.signing import DocumentSelection, SignerIdentity, Status, ensure_dev_pki, sign_batch
from signing.backends import Pkcs11Backend, Pkcs12Backend
from signing.backends.base import SignerBackend
from signing.devpki import DevPki, serve_dev_pki
from signing.errors import SigningError

DEMO_TOKEN_PIN = "123456"  # demo only: a throwaway SoftHSM2 token in the home's pki/ folder
DEMO_TOKEN_LABEL = "HSDT-SEAL-DEMO"

Step = Callable[[str, int, int], None]  # (label, done, total)


@dataclass
class SigningSummary:
    signatures: dict[str, int] = field(default_factory=dict)  # step → signatures made
    timings: dict[str, float] = field(default_factory=dict)  # step → seconds
    seal_backend: str = ""
    problems: list[str] = field(default_factory=list)  # refused / failed outcomes, Vietnamese
    signed_documents: int = 0  # documents whose plan is complete (B-LTA)


def _seal_backend(ctx: Context, pki: DevPki, school_code: str) -> tuple[SignerBackend, str]:
    """The school seal's key: a SoftHSM2 token if we can have one, else its PKCS#12 file."""
    identity = pki.identity(school_code)
    try:
        from signing.backends.pkcs11 import find_softhsm_module
        from signing.backends.softhsm import provision_softhsm_token, softhsm_environment

        module = find_softhsm_module()
        softhsm_dir = ctx.home.pki_dir / "softhsm"
        marker = softhsm_dir / "token.json"
        if marker.is_file():
            softhsm_environment(softhsm_dir)  # re-point SoftHSM2 at this home (it may have moved)
            key_label = json.loads(marker.read_text(encoding="utf-8"))["key_label"]
        else:
            info = provision_softhsm_token(
                pki,
                school_code,
                token_label=DEMO_TOKEN_LABEL,
                pin=DEMO_TOKEN_PIN,
                so_pin=DEMO_TOKEN_PIN + "0",
                softhsm_dir=softhsm_dir,
            )
            key_label = info.key_label
            marker.write_text(json.dumps({"key_label": key_label}), encoding="utf-8")
        backend = Pkcs11Backend(module, DEMO_TOKEN_LABEL, key_label, DEMO_TOKEN_PIN)
        return backend, "SoftHSM2 (PKCS#11)"
    except (SigningError, OSError, ImportError):
        return Pkcs12Backend(identity.pkcs12_path, identity.passphrase), "PKCS#12"


def sign_everything(ctx: Context, ds: Dataset, *, on_step: Step | None = None) -> SigningSummary:
    summary = SigningSummary()
    pki = ensure_dev_pki(ctx, ds)

    def backend_of(person_id: str) -> SignerBackend:
        identity = pki.identity(person_id)
        return Pkcs12Backend(identity.pkcs12_path, identity.passphrase)

    teachers = sorted(
        {t for c in ds.classes for s in c.subjects for t in s.teachers}
        | {c.homeroom_teacher for c in ds.classes}
    )
    principal = ds.school.principal
    school = ds.school.code
    seal, summary.seal_backend = _seal_backend(ctx, pki, school)
    steps: list[tuple[str, list[tuple[str, SignerBackend]]]] = [
        ("teachers", [(t, backend_of(t)) for t in teachers if t != principal]),
        # a second round: homeroom slots open once every subject teacher of the class has signed
        ("homeroom", [(c.homeroom_teacher, backend_of(c.homeroom_teacher)) for c in ds.classes]),
        ("principal", [(principal, backend_of(principal))]),
        ("seal", [(school, seal)]),
    ]
    with serve_dev_pki(pki):  # TSA, OCSP and CRL for the whole run, not per batch
        for step, signers in steps:
            started = time.perf_counter()
            made = 0
            for i, (person, backend) in enumerate(dict(signers).items(), 1):
                if on_step:
                    on_step(step, i, len(dict(signers)))
                outcome = sign_batch(
                    ctx,
                    SignerIdentity(person, backend),
                    DocumentSelection(school=school, ready_only=True),
                )
                made += outcome.signatures
                summary.problems += [
                    f"{d.document_id}: {d.message}"
                    for d in outcome.documents
                    if d.status in (Status.REFUSED, Status.FAILED)
                ]
            summary.signatures[step] = made
            summary.timings[step] = time.perf_counter() - started
    with ctx.sessions() as session:
        summary.signed_documents = len(
            session.scalars(select(DocumentRow.id).where(DocumentRow.state == "signed")).all()
        )
    return summary
