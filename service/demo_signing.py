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
from dataclasses import dataclass, field, replace

from cryptography import x509
from sqlalchemy import select

from records.model import Dataset, SchoolClass
from service.accounts import certificate_belongs_to
from service.context import Context
from service.db.models import DatasetRow, DocumentRow
from service.demo_people import DemoPeople, Person
from service.errors import HsdtError
from service.signing import DocumentSelection, SignerIdentity, Status, ensure_dev_pki, sign_batch
from service.worker_pool import forked_map
from signing.appearance import stamp_font
from signing.backends import Pkcs11Backend, Pkcs12Backend
from signing.backends.base import SignerBackend
from signing.devpki import DevPki, load_dev_pki, serve_dev_pki_process
from signing.errors import SigningError

DEMO_TOKEN_PIN = "123456"  # demo only: a throwaway SoftHSM2 token in the home's pki/ folder
DEMO_TOKEN_LABEL = "HSDT-SEAL-DEMO"

Step = Callable[[str, int, int], None]  # (label, done, total)


@dataclass
class SigningSummary:
    signatures: dict[str, int] = field(default_factory=dict)  # step → signatures made
    timings: dict[str, float] = field(default_factory=dict)  # step → seconds, over all workers
    seal_backend: str = ""
    problems: list[str] = field(default_factory=list)  # refused / failed outcomes, Vietnamese
    signed_documents: int = 0  # documents whose plan is complete (B-LTA)
    signers: dict[str, list[Person]] = field(default_factory=dict)  # step → who signed
    seconds: float = 0.0  # the whole signing, start to end (``timings`` add up worker time)


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


WORKERS = 2  # processes signing at once, each taking whole classes (2-core machines)
TASKS_PER_WORKER = 1  # a fresh worker process per class: its memory is one class's (forks take ms)


@dataclass(frozen=True)
class _ClassJob:
    """Everything one worker signs for one class: each step's people in plan order, then the
    school seal and the document timestamp of the class's records."""

    school: str
    class_id: str
    steps: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (step, ((person, username), …))
    seal_by: str | None  # the clerk's username; None: the seal is left for later


@dataclass(frozen=True)
class _ClassResult:
    signatures: dict[str, int]
    seconds: dict[str, float]
    problems: list[str]
    seal_backend: str


def _prepare_seal(ctx: Context, school: str) -> str:
    """In a worker (the parent never loads a PKCS#11 module it then forks): the seal's token
    provisioned once, before the class workers open their own sessions on it."""
    return _seal_backend(ctx, load_dev_pki(ctx.home.pki_dir), school)[1]


def _sign_class(ctx: Context, job: _ClassJob) -> _ClassResult:
    """In a worker: one class through its whole plan, each signature made by its person."""
    pki = load_dev_pki(ctx.home.pki_dir)
    result = _ClassResult({}, {}, [], "")
    selection = DocumentSelection(school=job.school, class_ids=(job.class_id,), ready_only=True)
    signers: list[tuple[str, str, str, SignerBackend]] = []
    for step, people in job.steps:
        for person, username in people:
            identity = pki.identity(person)
            key = Pkcs12Backend(identity.pkcs12_path, identity.passphrase)
            signers.append((step, person, username, key))
    if job.seal_by is not None:
        # SoftHSM2 (like an HSM) and a PKCS#12 file take a session per process; a school's USB
        # token would not, and would sign its seal in one process
        seal, backend_name = _seal_backend(ctx, pki, job.school)
        signers.append(("seal", job.school, job.seal_by, seal))
        result = replace(result, seal_backend=backend_name)
    for step, person, username, backend in signers:
        started = time.perf_counter()
        who = SignerIdentity(person, backend)
        outcome = sign_batch(replace(ctx, actor=username), who, selection)
        result.signatures[step] = result.signatures.get(step, 0) + outcome.signatures
        result.seconds[step] = result.seconds.get(step, 0.0) + time.perf_counter() - started
        result.problems.extend(
            f"{d.document_id}: {d.message}"
            for d in outcome.documents
            if d.status in (Status.REFUSED, Status.FAILED)
        )
    return result


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
    # Each class is one task in a worker process: its subject teachers, then its homeroom
    # teacher, the principal and the seal — every step in plan order, and no step waits for
    # another class. Classes with the most signatures go first, so no worker is left with a big
    # one at the end.
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
    username = {p: people.teacher(p).username for _, ids in people_steps for p in ids}
    jobs = [
        _ClassJob(
            school,
            c.id,
            tuple(
                (step, tuple((p, username[p]) for p in ids if step == "principal" or p in mine))
                for step, ids in people_steps
            ),
            people.clerk.username if countersign else None,
        )
        for c in sorted(classes, key=_weight, reverse=True)
        for mine in [_signers_of(c)]
    ]
    started = time.perf_counter()
    stamp_font()  # subset once, here: the workers forked from here share it, none makes its own
    with serve_dev_pki_process(pki):  # its own process: it answers ~10,000 TSA requests
        if countersign:
            (summary.seal_backend,) = forked_map(ctx, _prepare_seal, [school], workers=1)
        for n, result in enumerate(
            forked_map(ctx, _sign_class, jobs, workers=WORKERS, tasks_per_worker=TASKS_PER_WORKER),
            1,
        ):
            for step, count in result.signatures.items():
                summary.signatures[step] = summary.signatures.get(step, 0) + count
            for step, seconds in result.seconds.items():
                summary.timings[step] = summary.timings.get(step, 0.0) + seconds
            summary.problems += result.problems
            if on_step:
                on_step("classes", n, len(jobs))
    summary.seconds = time.perf_counter() - started
    for step, ids in people_steps:
        summary.signers[step] = [people.teacher(p) for p in ids]
    if countersign:
        summary.signers["seal"] = [people.clerk]
    with ctx.sessions() as session:
        summary.signed_documents = len(
            session.scalars(select(DocumentRow.id).where(DocumentRow.state == "signed")).all()
        )
    return summary


def _signers_of(c: SchoolClass) -> set[str]:
    """Everyone with a slot in the class's records."""
    return {t for s in c.subjects for t in s.teachers} | {c.homeroom_teacher}


def _weight(c: SchoolClass) -> int:
    """Roughly the signatures the class's records need (its students × its subjects)."""
    return len(c.students) * (len(c.subjects) + 2)
