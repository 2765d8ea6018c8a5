"""The demo's signing step: every rendered record through its full plan, each signature made by
its person, under their own account.

Subject and homeroom teachers sign in batches (one batch per person: one key, one certificate
check, one TSA session; two processes, each on its own half of the documents), the principal
countersigns the whole school, and the clerk applies the school seal last — on a SoftHSM2 PKCS#11
token when SoftHSM2 is installed (as a school's USB token would), otherwise from a PKCS#12 file.
Each batch runs with the person's username as the context's actor (the audit trail names them),
after checking that the key's certificate is bound to their account (as the API does before a
server-side signature); which slots a person may fill is the plan's ``OWN_SLOT`` rule, enforced by
``sign_batch``. Demo mode only: the keys come from the home's development PKI.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography import x509
from sqlalchemy import select

from records.model import Dataset
from service.accounts import certificate_belongs_to
from service.context import Context
from service.db.models import DatasetRow, DocumentRow
from service.demo_people import DemoPeople, Person
from service.errors import HsdtError
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
    signers: dict[str, list[Person]] = field(default_factory=dict)  # step → who signed


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
    people: tuple[tuple[str, str], ...]  # (teacher id, username)
    shard: tuple[int, int] | None
    class_ids: tuple[str, ...] = ()


def _sign_shard(job: _ShardJob) -> tuple[int, list[str]]:
    """One process: every person of a step signs the documents of one shard, as themself."""
    base = Context.open(Path(job.home))
    try:
        pki = load_dev_pki(base.home.pki_dir)
        made, problems = 0, []
        for person, username in job.people:
            identity = pki.identity(person)
            outcome = sign_batch(
                replace(base, actor=username),
                SignerIdentity(person, Pkcs12Backend(identity.pkcs12_path, identity.passphrase)),
                DocumentSelection(
                    school=job.school, class_ids=job.class_ids, ready_only=True, shard=job.shard
                ),
            )
            made += outcome.signatures
            problems += [
                f"{d.document_id}: {d.message}"
                for d in outcome.documents
                if d.status in (Status.REFUSED, Status.FAILED)
            ]
        return made, problems
    finally:
        base.close()


def _require_bound(ctx: Context, person: Person, certificate: x509.Certificate) -> None:
    """Nobody signs with a key whose certificate is not bound to their account (Điều 10)."""
    if not certificate_belongs_to(ctx, person.username, certificate):
        raise HsdtError(
            f"Chứng thư số của {person.full_name} chưa gắn với tài khoản {person.username}: "
            "không ký thay người khác được.",
            hint="Quản trị viên gắn chứng thư số vào tài khoản (bind_certificate) rồi chạy lại.",
        )


def _unfinished(ctx: Context, school: str) -> int:
    """The school's documents still being signed (a demo home holds two schools)."""
    with ctx.sessions() as session:
        return len(
            session.scalars(
                select(DocumentRow.id)
                .join(DatasetRow, DatasetRow.id == DocumentRow.dataset_id)
                .where(
                    DatasetRow.school_code == school,
                    DocumentRow.state.in_(("rendered", "signing")),
                )
            ).all()
        )


def sign_everything(
    ctx: Context,
    ds: Dataset,
    people: DemoPeople,
    *,
    class_ids: tuple[str, ...] = (),
    on_step: Step | None = None,
    countersign: bool = True,
) -> SigningSummary:
    """Every unsigned slot of the school's records (or of ``class_ids``), person by person; the
    persons' steps in plan order. Nothing to sign: returns at once (a re-run).

    ``countersign=False``: the teachers only — the principal's countersignature and the seal are
    left for the principal to give in the web app (the demo's second school)."""
    summary = SigningSummary()
    school = ds.school.code
    if not _unfinished(ctx, school):
        return summary
    pki = ensure_dev_pki(ctx, ds)
    classes = [c for c in ds.classes if not class_ids or c.id in class_ids]
    principal = ds.school.principal
    subject_teachers = sorted({t for c in classes for s in c.subjects for t in s.teachers})
    homeroom = list(dict.fromkeys(c.homeroom_teacher for c in classes))
    # personal keys sign in SHARDS processes, each on its own documents; the seal's token is one
    # device, so the seal signs in this process
    people_steps: list[tuple[str, list[str]]] = [
        # the principal signs their teaching slots with their countersignature (one batch) — or
        # here, when the countersignature is left to them
        ("teachers", [t for t in subject_teachers if t != principal or not countersign]),
        # a second round: homeroom slots open once every subject teacher of the class has signed
        ("homeroom", homeroom),
        *([("principal", [principal])] if countersign else []),
    ]
    for _, ids in people_steps:
        for person in ids:
            _require_bound(ctx, people.teacher(person), pki.identity(person).certificate)
    if countersign:
        _require_bound(ctx, people.clerk, pki.identity(school).certificate)
    home = str(ctx.home.root.resolve())
    shards = 1 if class_ids else SHARDS  # a correction's few documents: one process is faster
    total = len(people_steps) + int(countersign)
    with serve_dev_pki(pki), ProcessPoolExecutor(max_workers=shards) as pool:
        for n, (step, ids) in enumerate(people_steps, 1):
            if on_step:
                on_step(step, n, total)
            started = time.perf_counter()
            pairs = tuple((p, people.teacher(p).username) for p in ids)
            jobs = [
                _ShardJob(home, school, pairs, (k, shards) if shards > 1 else None, class_ids)
                for k in range(shards)
            ]
            made = 0
            for signatures, problems in pool.map(_sign_shard, jobs):
                made += signatures
                summary.problems += problems
            summary.signatures[step] = made
            summary.signers[step] = [people.teacher(p) for p in ids]
            summary.timings[step] = time.perf_counter() - started
        if countersign:
            _seal(ctx, ds, people, pki, class_ids, summary, on_step, total)
    with ctx.sessions() as session:
        summary.signed_documents = len(
            session.scalars(select(DocumentRow.id).where(DocumentRow.state == "signed")).all()
        )
    return summary


def _seal(
    ctx: Context,
    ds: Dataset,
    people: DemoPeople,
    pki: DevPki,
    class_ids: tuple[str, ...],
    summary: SigningSummary,
    on_step: Step | None,
    total: int,
) -> None:
    """The clerk applies the school seal last, in this process (the token is one device)."""
    school = ds.school.code
    seal, summary.seal_backend = _seal_backend(ctx, pki, school)
    if on_step:
        on_step("seal", total, total)
    started = time.perf_counter()
    outcome = sign_batch(
        replace(ctx, actor=people.clerk.username),
        SignerIdentity(school, seal),
        DocumentSelection(school=school, class_ids=class_ids, ready_only=True),
    )
    summary.signatures["seal"] = outcome.signatures
    summary.signers["seal"] = [people.clerk]
    summary.problems += [
        f"{d.document_id}: {d.message}"
        for d in outcome.documents
        if d.status in (Status.REFUSED, Status.FAILED)
    ]
    summary.timings["seal"] = time.perf_counter() - started
