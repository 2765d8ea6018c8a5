"""The demo's signing step: every rendered record through its full plan.

Subject and homeroom teachers sign in batches (one batch per person: one key, one certificate
check, one TSA session; two processes, each on its own half of the documents), the principal
countersigns the whole school, and the school seal signs last — on a SoftHSM2 PKCS#11 token when
SoftHSM2 is installed (as a school's USB token would), otherwise from a PKCS#12 file. Demo mode
only: the keys come from the home's development PKI.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from records.model import Dataset
from service.context import Context
from service.db.models import DocumentRow
from service.signing import DocumentSelection, SignerIdentity, Status, ensure_dev_pki, sign_batch
from signing.backends import Pkcs11Backend, Pkcs12Backend
from signing.backends.base import SignerBackend
from signing.devpki import DevPki, load_dev_pki, serve_dev_pki
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


SHARDS = 2  # processes signing at once; each owns the documents of its shard (no conflicts)


@dataclass(frozen=True)
class _ShardJob:
    home: str
    school: str
    people: tuple[str, ...]
    shard: tuple[int, int]


def _sign_shard(job: _ShardJob) -> tuple[int, list[str]]:
    """One process: every person of a step signs the documents of one shard."""
    ctx = Context.open(Path(job.home))
    try:
        pki = load_dev_pki(ctx.home.pki_dir)
        made, problems = 0, []
        for person in job.people:
            identity = pki.identity(person)
            outcome = sign_batch(
                ctx,
                SignerIdentity(person, Pkcs12Backend(identity.pkcs12_path, identity.passphrase)),
                DocumentSelection(school=job.school, ready_only=True, shard=job.shard),
            )
            made += outcome.signatures
            problems += [
                f"{d.document_id}: {d.message}"
                for d in outcome.documents
                if d.status in (Status.REFUSED, Status.FAILED)
            ]
        return made, problems
    finally:
        ctx.close()


def sign_everything(ctx: Context, ds: Dataset, *, on_step: Step | None = None) -> SigningSummary:
    summary = SigningSummary()
    pki = ensure_dev_pki(ctx, ds)
    teachers = sorted(
        {t for c in ds.classes for s in c.subjects for t in s.teachers}
        | {c.homeroom_teacher for c in ds.classes}
    )
    principal = ds.school.principal
    school = ds.school.code
    seal, summary.seal_backend = _seal_backend(ctx, pki, school)
    # personal keys sign in SHARDS processes, each on its own documents; the seal's token is one
    # device, so the seal signs in this process
    people_steps: list[tuple[str, tuple[str, ...]]] = [
        ("teachers", tuple(t for t in teachers if t != principal)),
        # a second round: homeroom slots open once every subject teacher of the class has signed
        ("homeroom", tuple(dict.fromkeys(c.homeroom_teacher for c in ds.classes))),
        ("principal", (principal,)),
    ]
    home = str(ctx.home.root.resolve())
    with serve_dev_pki(pki), ProcessPoolExecutor(max_workers=SHARDS) as pool:
        for n, (step, people) in enumerate(people_steps, 1):
            if on_step:
                on_step(step, n, len(people_steps) + 1)
            started = time.perf_counter()
            jobs = [_ShardJob(home, school, people, (k, SHARDS)) for k in range(SHARDS)]
            made = 0
            for signatures, problems in pool.map(_sign_shard, jobs):
                made += signatures
                summary.problems += problems
            summary.signatures[step] = made
            summary.timings[step] = time.perf_counter() - started
        if on_step:
            on_step("seal", len(people_steps) + 1, len(people_steps) + 1)
        started = time.perf_counter()
        outcome = sign_batch(
            ctx, SignerIdentity(school, seal), DocumentSelection(school=school, ready_only=True)
        )
        summary.signatures["seal"] = outcome.signatures
        summary.problems += [
            f"{d.document_id}: {d.message}"
            for d in outcome.documents
            if d.status in (Status.REFUSED, Status.FAILED)
        ]
        summary.timings["seal"] = time.perf_counter() - started
    with ctx.sessions() as session:
        summary.signed_documents = len(
            session.scalars(select(DocumentRow.id).where(DocumentRow.state == "signed")).all()
        )
    return summary
