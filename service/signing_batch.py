"""Server-side signing: one person, one key, many documents, each slot by slot through its plan.

One authorisation signs a whole batch (a teacher's classes, a principal's school): the key is
opened once (one passphrase or PIN), the certificate is checked once before anything is signed,
and one :class:`~signing.pades.SigningServices` (one HTTP session, one event loop) serves every
TSA request and revocation lookup. Documents are streamed: only their ids are listed up front and
each PDF is read, signed and committed on its own, so a crash loses nothing already committed and
running the same batch again resumes (slots already signed are skipped as "đã ký").

In each document the person signs every slot of theirs the plan allows now, in plan order, on the
same bytes (a teacher of two subjects who is also the homeroom teacher signs three slots when the
other teachers are done), then — if that completes the plan — the document timestamp (B-LTA), and
commits once by compare-and-swap. When another signer committed first, the document is re-read and
signed again on the new revision, up to ``max_attempts`` times with a growing random pause.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from pyhanko.sign.signers import Signer
from sqlalchemy.orm import Session

from records.slots import SignatureSlot
from service.context import Context
from service.errors import HsdtError
from service.locks import RecordLocked, ensure_document_writable, ensure_row_writable
from service.signing_env import SigningEnvironment, signing_environment
from service.signing_plans import DocumentPlan, PlanCatalog, expected_signer
from service.signing_revisions import (
    DocumentRef,
    Event,
    commit_revision,
    find_documents,
    read_snapshot,
)
from signing.backends import SignerBackend, signer_certificates
from signing.certcheck import CertificateCheck, ExpectedSigner, async_check_signer
from signing.errors import SigningError
from signing.ltv import async_add_document_timestamp
from signing.pades import FieldLocks, Level, SigningServices, async_sign_slot
from signing.plans import PlanError, PlanViolation, check_signature_allowed
from signing.pyhanko_patches import apply_pyhanko_speedups

__all__ = [
    "BatchOutcome",
    "DocumentOutcome",
    "DocumentSelection",
    "Progress",
    "SignerIdentity",
    "Status",
    "async_sign_batch",
    "finish_plan",
    "sign_batch",
    "state_after",
]

DEFAULT_MAX_ATTEMPTS = 8


class Status(StrEnum):
    SIGNED = "signed"
    SKIPPED = "skipped"  # nothing left for this person (already signed)
    REFUSED = "refused"  # the plan does not allow it (out of order, out of scope)
    FAILED = "failed"  # signing itself failed (TSA down, token error, too many conflicts)


@dataclass(frozen=True)
class SignerIdentity:
    """Who signs (teacher id, or the school code for the seal) and where their key is."""

    person_id: str
    backend: SignerBackend


@dataclass(frozen=True)
class DocumentSelection:
    """Which documents a batch covers (newest versions; every given filter applies).

    Explicit ``document_ids`` are all reported, even where the person has no slot (refused);
    otherwise only documents with a slot of the person are. ``ready_only`` keeps just the
    documents where one of the person's slots can be signed right now.
    """

    document_ids: tuple[str, ...] = ()
    class_ids: tuple[str, ...] = ()
    record_types: tuple[str, ...] = ()
    school: str | None = None
    ready_only: bool = False
    # (k, n): only documents whose id hashes to k modulo n, so n processes can share a batch
    # without ever touching the same document
    shard: tuple[int, int] | None = None


@dataclass(frozen=True)
class DocumentOutcome:
    document_id: str
    status: Status
    message: str  # Vietnamese, for the person at the keyboard
    fields: tuple[str, ...] = ()  # signed now, in order
    revision: int | None = None  # the committed revision
    timestamped: bool = False  # the plan completed and the document timestamp (B-LTA) was added
    code: str | None = None  # PlanViolation / SigningError code when refused or failed
    field_name: str | None = None  # the slot a refusal is about
    attempts: int = 0  # compare-and-swap attempts (more than one: another signer came first)
    seconds: float = 0.0
    error: Exception | None = field(default=None, compare=False, repr=False)


@dataclass
class BatchOutcome:
    person_id: str
    documents: list[DocumentOutcome]
    certificate: CertificateCheck | None  # None when there was nothing to sign
    seconds: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for d in self.documents if d.status is status)

    @property
    def signatures(self) -> int:
        return sum(len(d.fields) for d in self.documents)

    @property
    def ok(self) -> bool:
        return not any(d.status in (Status.REFUSED, Status.FAILED) for d in self.documents)


Progress = Callable[[int, int, DocumentOutcome], None]


def state_after(plan: DocumentPlan, signed: Sequence[str]) -> str:
    return "signed" if plan.complete(set(signed)) else "signing"


@dataclass(frozen=True)
class _Work:
    ref: DocumentRef
    plan: DocumentPlan


def sign_batch(
    ctx: Context,
    who: SignerIdentity,
    selection: DocumentSelection = DocumentSelection(),
    *,
    field_name: str | None = None,
    level: Level = "B-LT",
    progress: Progress | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> BatchOutcome:
    """Sign, as ``who``, every selected document's slots that the plan allows now.

    ``field_name`` restricts signing to that one slot. Raises before writing anything when the
    key cannot be opened (wrong passphrase/PIN, missing token) or the certificate is rejected;
    per-document problems become outcomes. Exceptions other than ours (a crash) propagate:
    documents committed before it stay signed.
    """
    apply_pyhanko_speedups()  # every signer (PKCS#11 tokens too) reads earlier signatures fast
    with signing_environment(ctx) as environment:
        return asyncio.run(
            async_sign_batch(
                ctx,
                who,
                selection,
                environment=environment,
                field_name=field_name,
                level=level,
                progress=progress,
                max_attempts=max_attempts,
            )
        )


async def async_sign_batch(
    ctx: Context,
    who: SignerIdentity,
    selection: DocumentSelection,
    *,
    environment: SigningEnvironment,
    field_name: str | None = None,
    level: Level = "B-LT",
    progress: Progress | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> BatchOutcome:
    started = time.perf_counter()
    catalog = PlanCatalog(ctx)
    work = _select(ctx, catalog, who.person_id, selection, field_name)
    with who.backend.open_signer() as signer:  # wrong passphrase/PIN: raised here, nothing done
        expected = _expected(who.person_id, work)
        if expected is None:  # no slot of theirs in any document: each is refused below
            check = None
        else:
            certificate, chain = signer_certificates(signer)
            check = await async_check_signer(
                certificate,
                chain,
                trust_roots=environment.trust_roots,
                at=ctx.clock.now(),
                expected=expected,
            )
            check.raise_if_failed()
        outcomes: list[DocumentOutcome] = []
        async with environment.services() as services:
            engine = _Engine(ctx, who.person_id, signer, services, level, max_attempts, check)
            for item in work:
                outcome = await engine.sign(item, field_name)
                outcomes.append(outcome)
                if progress is not None:
                    progress(len(outcomes), len(work), outcome)
    return BatchOutcome(who.person_id, outcomes, check, time.perf_counter() - started)


def shard_of(document_id: str, shards: int) -> int:
    """A document's shard: stable across processes and runs (not Python's salted hash)."""
    return int(hashlib.sha256(document_id.encode()).hexdigest()[:8], 16) % shards


def _select(
    ctx: Context,
    catalog: PlanCatalog,
    person_id: str,
    selection: DocumentSelection,
    field_name: str | None,
) -> list[_Work]:
    refs = find_documents(
        ctx,
        document_ids=selection.document_ids,
        class_ids=selection.class_ids,
        record_types=selection.record_types,
        school=selection.school,
    )
    if selection.shard is not None:
        k, n = selection.shard
        refs = [r for r in refs if shard_of(r.document_id, n) == k]
    work: list[_Work] = []
    for ref in refs:
        plan = catalog.plan(ref.dataset_id, ref.class_id, ref.document_id)
        if not selection.document_ids:
            mine = plan.slots_of(person_id)
            if field_name is not None:
                mine = tuple(s for s in mine if s.field_name == field_name)
            if not mine:
                continue
            if selection.ready_only and _next_slot(plan, ref.signed, person_id, field_name) is None:
                continue
        work.append(_Work(ref, plan))
    return work


def _expected(person_id: str, work: Sequence[_Work]) -> ExpectedSigner | None:
    found = {expected_signer(s) for w in work for s in w.plan.slots_of(person_id)}
    if len(found) > 1:
        names = "; ".join(sorted(e.full_name for e in found))
        raise HsdtError(
            f"Mã người ký {person_id} ứng với nhiều người khác nhau trong các hồ sơ đã chọn "
            f"({names}).",
            hint="Chọn một trường (--school) hoặc lớp (--class) để chỉ còn một người.",
        )
    return next(iter(found), None)


def _next_slot(
    plan: DocumentPlan, signed: Sequence[str], person_id: str, field_name: str | None
) -> SignatureSlot | None:
    """The person's next slot the plan allows now; None when none (quietly)."""
    try:
        return _required_next_slot(plan, signed, person_id, field_name)
    except PlanViolation:
        return None


def _required_next_slot(
    plan: DocumentPlan, signed: Sequence[str], person_id: str, field_name: str | None
) -> SignatureSlot | None:
    """The person's next slot the plan allows now; None when all of theirs are signed.

    Raises PlanViolation naming the slot and the reason when theirs cannot be signed yet (or
    ``field_name`` is not theirs).
    """
    done = set(signed)
    if field_name is not None:
        named = plan.slot(field_name)
        if named is not None and named.signer_id == person_id and field_name in done:
            return None  # theirs and signed (a resumed batch): nothing left
        return check_signature_allowed(plan.slots, done, field_name, person_id)
    mine = plan.slots_of(person_id)
    if not mine:
        raise PlanViolation(
            "",
            "plan.out_of_scope",
            f"Hồ sơ {plan.document_id} không có ô ký nào dành cho {person_id}.",
        )
    first: PlanViolation | None = None
    for slot in mine:
        if slot.field_name in done:
            continue
        try:
            return check_signature_allowed(plan.slots, done, slot.field_name, person_id)
        except PlanViolation as violation:
            first = first or violation
    if first is not None:
        raise first
    return None


class _Engine:
    """Signs one document after another for one signer, inside one event loop."""

    def __init__(
        self,
        ctx: Context,
        person_id: str,
        signer: Signer,
        services: SigningServices,
        level: Level,
        max_attempts: int,
        check: CertificateCheck | None,
    ) -> None:
        self.ctx, self.person_id, self.signer, self.services = ctx, person_id, signer, services
        self.level, self.max_attempts = level, max_attempts
        self.serial = check.serial_number if check is not None else None
        self.rng = random.Random()

    async def sign(self, item: _Work, field_name: str | None) -> DocumentOutcome:
        started = time.perf_counter()
        doc_id = item.ref.document_id
        try:
            outcome = await self._sign(item, field_name)
        except PlanViolation as violation:
            outcome = _refused(doc_id, violation)
        except RecordLocked as locked:  # a lock window: refused, nothing written
            outcome = DocumentOutcome(
                doc_id, Status.REFUSED, str(locked), code=locked.code, error=locked
            )
        except (SigningError, HsdtError, PlanError) as error:
            code = getattr(error, "code", type(error).__name__)
            outcome = DocumentOutcome(doc_id, Status.FAILED, str(error), code=code, error=error)
        return replace(outcome, seconds=time.perf_counter() - started)

    def _still_writable(self, row_id: int) -> Callable[[Session], None]:
        # checked again in the committing transaction: a window may have opened while signing
        return lambda session: ensure_row_writable(session, row_id, now=self.ctx.clock.now())

    async def _sign(self, item: _Work, field_name: str | None) -> DocumentOutcome:
        plan, doc_id = item.plan, item.ref.document_id
        for attempt in range(1, self.max_attempts + 1):
            snapshot = read_snapshot(self.ctx, item.ref.row_id)
            if not snapshot.newest:
                return DocumentOutcome(
                    doc_id,
                    Status.REFUSED,
                    f"Hồ sơ {doc_id} vừa được kết xuất thành phiên bản mới; phiên bản cũ không "
                    "ký tiếp được. Hãy chạy lại lệnh ký để ký phiên bản mới.",
                    code="document.superseded",
                    attempts=attempt,
                )
            signed = list(snapshot.signed)
            slot = _required_next_slot(plan, signed, self.person_id, field_name)
            if slot is None:
                mine = ", ".join(f"«{s.label}»" for s in plan.slots_of(self.person_id))
                return DocumentOutcome(doc_id, Status.SKIPPED, f"Đã ký ({mine}).", attempts=attempt)
            ensure_document_writable(self.ctx, item.ref.row_id)  # before any signing work
            pdf, fields = snapshot.pdf, []
            while slot is not None:
                pdf = await async_sign_slot(
                    pdf,
                    field_name=slot.field_name,
                    signer=self.signer,
                    signer_name=slot.signer_name,
                    role_label=slot.label,
                    timestamper=self.services.timestamper,
                    validation_context=self.services.validation_context(self.signer.signing_cert),
                    level=self.level,
                    field_locks=FieldLocks(slot.locks),
                    signing_time=self.ctx.clock.now(),
                )
                signed.append(slot.field_name)
                fields.append(slot)
                slot = None if field_name else _next_slot(plan, signed, self.person_id, None)
            pdf, timestamped = await finish_plan(pdf, plan, signed, self.services)
            events: list[Event] = [
                (
                    "document.signed",
                    {
                        "field": s.field_name,
                        "signer": self.person_id,
                        "role": s.role.value,
                        "certificate_serial": self.serial,
                        "revision": snapshot.revision + 1,
                    },
                )
                for s in fields
            ]
            if timestamped:
                events.append(("document.timestamped", {"revision": snapshot.revision + 1}))
            revision = commit_revision(
                self.ctx,
                snapshot,
                pdf,
                signed,
                state=state_after(plan, signed),
                events=events,
                also=self._still_writable(item.ref.row_id),
            )
            if revision is not None:
                names = ", ".join(f"«{s.label}»" for s in fields)
                done = " và thêm dấu thời gian lưu trữ (B-LTA)" if timestamped else ""
                return DocumentOutcome(
                    doc_id,
                    Status.SIGNED,
                    f"Đã ký {names}{done}.",
                    fields=tuple(s.field_name for s in fields),
                    revision=revision,
                    timestamped=timestamped,
                    attempts=attempt,
                )
            # Another signer committed first: pause a little (longer each time) and re-sign.
            await asyncio.sleep(self.rng.uniform(0.01, 0.05) * attempt)
        return DocumentOutcome(
            doc_id,
            Status.FAILED,
            f"Hồ sơ {doc_id} đang được nhiều người ký cùng lúc; sau {self.max_attempts} lần thử "
            "vẫn chưa ghi được chữ ký. Hãy chạy lại lệnh ký (các hồ sơ đã ký sẽ được bỏ qua).",
            code="document.busy",
            attempts=self.max_attempts,
        )


async def finish_plan(
    pdf: bytes, plan: DocumentPlan, signed: Sequence[str], services: SigningServices
) -> tuple[bytes, bool]:
    """After the plan's last required signature: the document timestamp (B-LTA)."""
    if not (plan.document_timestamp and plan.complete(set(signed))):
        return pdf, False
    stamped = await async_add_document_timestamp(
        pdf, timestamper=services.timestamper, validation_context=services.validation_context()
    )
    return stamped, True


def _refused(document_id: str, violation: PlanViolation) -> DocumentOutcome:
    status = Status.SKIPPED if violation.code == "plan.already_signed" else Status.REFUSED
    return DocumentOutcome(
        document_id,
        status,
        violation.message,
        code=violation.code,
        field_name=violation.field_name or None,
        error=violation if status is Status.REFUSED else None,
    )
