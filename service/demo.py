"""The main job, played through the service layer as the school's people would (docs/demo.md).

    run_demo(ctx, …) -> DemoResult      # idempotent: a second run changes nothing

sample → check → accounts (province admin → school admin → everyone) → the school admin imports
the year → homeroom teachers confirm their classes → the admin renders → subject teachers,
homeroom teachers, the principal and the clerk's seal sign → the admin locks the year → the clerk
archives → the admin audits the archive → a correction after lock (a subject teacher requests,
the principal approves, a board member and the homeroom teacher witness, the teacher applies;
the admin lifts the year's lock for the re-signing, the new versions are signed through their
plan, the admin locks again, the clerk archives) → the clerk exports the student's bundle → the
public endpoint verifies one PDF of it → a second, small school of the district is played up to
its teachers' signatures and left waiting for its principal's countersignature (in the web app;
service/demo_second.py) → the audit log is anchored and verified.

Every step runs as its person: use cases that take a ``Principal`` get theirs (the permission
matrix decides), the others run with the person's username as the context's actor (the audit
trail names them) after ``require`` for the step's action.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from archive.fixity import AuditReport
from records.canonical import dataset_to_json
from records.check import CheckReport, check_file
from records.documents import all_documents
from records.model import Dataset
from records.sample import generate_school
from service.accounts import DEFAULT_POLICY, AccountPolicy
from service.archiving import archive_signed
from service.archiving_audit import audit_archive
from service.archiving_report import ArchiveRunReport
from service.audit_anchor import AnchorOutcome, anchor_log
from service.audit_verify import AuditVerification, verify_audit_log
from service.authz import Action, RecordState, ResourceRef, Role, require
from service.context import Context
from service.db.models import DocumentRow
from service.demo_correction import (
    CorrectionDone,
    PlannedCorrection,
    choose_correction,
    describe_edits,
)
from service.demo_correction import run_correction as correct
from service.demo_people import DemoPeople, Person, ensure_people
from service.demo_public import (
    ExportDone,
    PublicCheck,
    export_student,
    pdf_in_bundle,
    verify_publicly,
)
from service.demo_signing import SigningSummary, sign_everything
from service.files import write_atomic
from service.importing import ImportOutcome, import_file
from service.lifecycle import confirm_class
from service.locks import LockScope, LockTerm, list_locks, open_lock
from service.rendering import Progress, RenderSummary, render_dataset
from service.signing import ensure_dev_pki

if TYPE_CHECKING:
    from service.demo_second import SecondSchool

Step = Callable[[str], None]
DEMO_LOCK_REASON = "Khoá sổ cuối năm học (chạy thử)"


@dataclass(frozen=True)
class DemoLine:
    """One printed step: what, who did it, what came of it, how long it took."""

    step: str
    who: str
    detail: str
    seconds: float
    changed: bool  # False: nothing to do (already done by an earlier run)


@dataclass
class DemoResult:
    sample_path: Path
    check: CheckReport
    people: DemoPeople | None = None
    teacher: Person | None = None  # the one whose credentials are printed: first class's homeroom
    imported: ImportOutcome | None = None
    rendered: RenderSummary | None = None
    signing: SigningSummary | None = None
    archived: ArchiveRunReport | None = None
    audit: AuditReport | None = None
    planned: PlannedCorrection | None = None
    correction: CorrectionDone | None = None
    resigning: SigningSummary | None = None
    exported: ExportDone | None = None
    public: PublicCheck | None = None
    anchor: AnchorOutcome | None = None
    verification: AuditVerification | None = None
    second: SecondSchool | None = None  # the neighbour school waiting for its countersignature
    lines: list[DemoLine] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # step → seconds

    @property
    def changed(self) -> bool:
        return any(line.changed for line in self.lines)

    def failures(self) -> list[str]:
        """What the demo expected and did not get (Vietnamese); empty when all is well."""
        found: list[str] = []
        if self.public is not None and not (self.public.verdict == "valid" and self.public.current):
            found.append(f"Xác minh công khai: «{self.public.headline}», không phải bản hiện hành.")
        if self.verification is not None and not self.verification.ok:
            found.append("Nhật ký kiểm toán không nguyên vẹn («hsdt audit verify» để xem).")
        if self.audit is not None and not self.audit.ok:
            found.append("Kho lưu trữ không qua kiểm tra toàn vẹn («hsdt archive audit»).")
        second = self.second.signing if self.second is not None else None
        for summary in (self.signing, self.resigning, second):
            if summary is not None and summary.problems:
                found.append(f"Ký số: {len(summary.problems)} hồ sơ bị từ chối hoặc lỗi.")
        return found


class _Story:
    """Runs the steps, timing each and keeping its printed line."""

    def __init__(self, on_step: Step | None) -> None:
        self.on_step = on_step
        self.started = 0.0
        self.lines: list[DemoLine] = []
        self.timings: dict[str, float] = {}
        self.result: DemoResult | None = None

    def begin(self, step: str) -> None:
        if self.on_step:
            self.on_step(step)
        self.started = time.perf_counter()

    def end(self, step: str, who: str, detail: str, *, changed: bool = True) -> None:
        seconds = time.perf_counter() - self.started
        self.timings[step] = self.timings.get(step, 0.0) + seconds
        self.lines.append(DemoLine(step, who, detail, seconds, changed))

    @property
    def changed(self) -> bool:
        return any(line.changed for line in self.lines)


def run_demo(
    ctx: Context,
    *,
    seed: int = 2026,
    primary_classes: int = 1,
    secondary_classes: int = 1,
    workers: int = 2,
    on_step: Step | None = None,
    progress: Progress | None = None,
    sign: bool = True,
    on_signing: Callable[[str, int, int], None] | None = None,
    policy: AccountPolicy = DEFAULT_POLICY,
) -> DemoResult:
    story = _Story(on_step)
    story.begin("sample")
    ds = generate_school(
        seed=seed, primary_classes=primary_classes, secondary_classes=secondary_classes
    )
    sample_path = ctx.home.root / "samples" / f"{ds.school.code}-{ds.school_year}.json"
    canonical = dataset_to_json(ds)
    fresh = not sample_path.is_file() or sample_path.read_bytes() != canonical
    if fresh:
        write_atomic(sample_path, canonical)
    students = sum(len(c.students) for c in ds.classes)
    story.end(
        "sample",
        "hsdt",
        f"{len(ds.classes)} lớp, {students} học sinh — {ds.school.name}",
        changed=fresh,
    )

    story.begin("check")
    check = check_file(sample_path)
    story.end("check", "hsdt", f"{len(check.findings)} ghi nhận", changed=False)
    result = story.result = DemoResult(sample_path, check, lines=story.lines, timings=story.timings)

    story.begin("accounts")
    pki = ensure_dev_pki(ctx, ds)
    people = result.people = ensure_people(ctx, ds, pki, policy=policy)
    story.end(
        "accounts",
        f"{people.province_admin.who()}; {people.admin.who()}",
        f"{people.created} tài khoản mới" if people.created else "đã có đủ tài khoản",
        changed=people.created > 0,
    )

    result.teacher = people.teacher(ds.classes[0].homeroom_teacher)
    admin = people.admin
    story.begin("import")
    require(admin.principal, Action.DATASET_IMPORT, _year_ref(ds))
    imported = result.imported = import_file(as_person(ctx, admin), result.sample_path)
    story.end(
        "import",
        admin.who(),
        f"bộ dữ liệu số {imported.dataset_id}" + ("" if imported.created else " (đã có)"),
        changed=imported.created,
    )

    story.begin("confirm")
    confirmed: list[str] = []
    for c in ds.classes:
        homeroom = people.teacher(c.homeroom_teacher)
        made = confirm_class(
            as_person(ctx, homeroom),
            homeroom.principal,
            c.id,
            year=ds.school_year,
            school=ds.school.code,
        )
        if made.created:
            confirmed.append(c.id)
    homerooms = _names(people.teacher(c.homeroom_teacher) for c in ds.classes)
    story.end(
        "confirm",
        f"Giáo viên chủ nhiệm {homerooms}",
        f"xác nhận {len(confirmed)} lớp" if confirmed else "các lớp đã được xác nhận",
        changed=bool(confirmed),
    )

    story.begin("render")
    if _all_rendered(ctx, ds):
        story.end("render", admin.who(), "hồ sơ đã được kết xuất", changed=False)
    else:
        rendered = result.rendered = render_dataset(
            as_person(ctx, admin),
            imported.dataset_id,
            ds,
            workers=workers,
            progress=progress,
            principal=admin.principal,
        )
        story.end(
            "render",
            admin.who(),
            f"{sum(rendered.rendered.values())} hồ sơ PDF/A-3b, {rendered.pages} trang",
        )
    if not sign:
        return result

    story.begin("sign")
    signing = result.signing = sign_everything(ctx, ds, people, on_step=on_signing)
    _signing_lines(story, signing, "sign")

    story.begin("lock")
    locked = _lock_year(ctx, ds, admin, DEMO_LOCK_REASON)
    story.end(
        "lock",
        admin.who(),
        f"khoá năm học {ds.school_year}: {locked} hồ sơ" if locked is not None else "đã khoá",
        changed=locked is not None,
    )

    _archive(story, ctx, ds, people, "archive")

    if story.changed:  # a re-run that changed nothing leaves the fixity records as they were
        story.begin("audit")
        require(admin.principal, Action.ARCHIVE_AUDIT, _year_ref(ds))
        result.audit = audit_archive(as_person(ctx, admin))
        verdict = "ĐẠT" if result.audit.ok else "KHÔNG ĐẠT"
        story.end("audit", admin.who(), f"{verdict} — {len(result.audit.packages)} gói")

    _correction(story, ctx, ds, people)

    clerk = people.clerk
    story.begin("export")
    # export_bundle authorises the clerk itself, record by record (export.issue)
    exported = result.exported = export_student(ctx, people, people.student_code)
    story.end(
        "export",
        clerk.who(),
        f"{len(exported.documents)} hồ sơ của học sinh {people.student.full_name}"
        + (", ghi sổ xuất" if exported.created else " (đã xuất trước đó)"),
        changed=exported.created,
    )

    story.begin("public")
    planned = result.planned
    assert planned is not None
    public = result.public = verify_publicly(ctx, pdf_in_bundle(exported.path, planned.document_id))
    story.end(
        "public",
        "Người xem (trang xác minh công khai)",
        f"{planned.document_id}: {public.headline} — "
        + ("bản hiện hành" if public.current else public.archive),
        changed=False,
    )

    # the neighbour school, left for the newcomer to countersign in the web app; before the
    # anchor, so that its entries are anchored too
    from service.demo_second import run_second_school  # it builds on this module's steps

    result.second = run_second_school(story, ctx, ds, seed, policy=policy)

    if story.changed:
        story.begin("anchor")
        anchor = result.anchor = anchor_log(as_person(ctx, admin))
        story.end(
            "anchor",
            admin.who(),
            f"mục {anchor.seq} được neo bằng dấu thời gian RFC 3161"
            if anchor.anchored
            else "không có mục mới",
            changed=anchor.anchored,
        )
    story.begin("verify")
    verification = result.verification = verify_audit_log(ctx)
    story.end(
        "verify",
        people.board.who(Role.BOARD_MEMBER),
        f"{'ĐẠT' if verification.ok else 'KHÔNG ĐẠT'} — {verification.entries} mục, "
        f"{len(verification.anchors)} mốc thời gian",
        changed=False,
    )
    return result


def as_person(ctx: Context, person: Person) -> Context:
    """The context acting as ``person``: their username is the actor of every audit entry."""
    return replace(ctx, actor=person.username)


def _year_ref(ds: Dataset, state: RecordState | None = None) -> ResourceRef:
    """The school's year (``state``: of the records the step acts on, where the action needs it)."""
    return ResourceRef(
        ds.province.code, ds.district.code, ds.school.code, year=ds.school_year, state=state
    )


def _names(people: object) -> str:
    return ", ".join(dict.fromkeys(p.full_name for p in people))  # type: ignore[attr-defined]


def _all_rendered(ctx: Context, ds: Dataset) -> bool:
    wanted = {d.document_id for d in all_documents(ds)}
    with ctx.sessions() as session:
        have = set(
            session.scalars(
                select(DocumentRow.document_id).where(DocumentRow.document_id.in_(wanted))
            )
        )
    return have == wanted


_SIGN_STEPS = {
    "teachers": "Giáo viên bộ môn",
    "homeroom": "Giáo viên chủ nhiệm",
    "principal": "Hiệu trưởng",
    "seal": "Văn thư (con dấu số)",
}


def _signing_lines(story: _Story, signing: SigningSummary, step: str) -> None:
    if not signing.signatures:
        story.end(step, "—", "không còn ô ký nào chờ ký", changed=False)
        return
    for key, count in signing.signatures.items():
        signers = signing.signers.get(key, [])
        who = (
            f"{_SIGN_STEPS[key]} {_names(signers)}"
            if len(signers) <= 3
            else (f"{_SIGN_STEPS[key]} ({len(signers)} người)")
        )
        extra = f" — {signing.seal_backend}" if key == "seal" else ""
        story.lines.append(
            DemoLine(
                f"{step}.{key}", who, f"{count} chữ ký{extra}", signing.timings[key], count > 0
            )
        )
    story.timings[step] = story.timings.get(step, 0.0) + signing.seconds


def _lock_year(ctx: Context, ds: Dataset, admin: Person, reason: str) -> int | None:
    """The school admin locks the school's year (once); the number of records it locked."""
    scope = LockScope(ds.province.code, ds.district.code, ds.school.code)
    for window in list_locks(ctx, active_only=True):
        if (window.scope, window.year, window.term) == (scope, ds.school_year, LockTerm.YEAR):
            return None
    window = open_lock(
        as_person(ctx, admin),
        admin.principal,
        scope,
        year=ds.school_year,
        term=LockTerm.YEAR,
        reason=reason,
    )
    return window.documents


def _archive(story: _Story, ctx: Context, ds: Dataset, people: DemoPeople, step: str) -> None:
    clerk = people.clerk
    story.begin(step)
    require(clerk.principal, Action.RECORD_ARCHIVE, _year_ref(ds, RecordState.LOCKED))
    # ingest verifies every signed file again (offline, from what it embeds) before storing it
    report = archive_signed(as_person(ctx, clerk))
    if story.result is not None and story.result.archived is None:
        story.result.archived = report
    done = [d for d in report.documents if d.status.value == "archived"]
    refused = len(report.documents) - len(done)
    copies = sum(1 for d in report.documents if d.replicated)
    detail = f"{len(done)} hồ sơ qua kiểm tra chữ ký, đã lưu" + (
        f" (và {copies} bản sao thứ hai)" if report.replica else ""
    )
    if refused:
        detail += f"; {refused} bị từ chối"
    story.end(
        step,
        clerk.who(),
        detail if report.documents else "không có hồ sơ mới",
        changed=bool(report.documents),
    )


def _correction(story: _Story, ctx: Context, ds: Dataset, people: DemoPeople) -> None:
    result = story.result
    assert result is not None
    story.begin("correction")
    planned = result.planned = choose_correction(ds)
    done = result.correction = correct(ctx, planned, people)
    change = describe_edits(planned.edits)
    for step in done.steps:
        story.end(
            "correction",
            step.who.who(step.role),
            f"đính chính số {done.correction_id} — {step.what}"
            + (f": {change}" if step.what.startswith("đề nghị") else ""),
        )
        story.started = time.perf_counter()
    if not done.steps:
        story.end(
            "correction",
            "—",
            f"đính chính số {done.correction_id} đã {done.state.label.lower()}",
            changed=False,
        )
    states = _new_version_states(ctx, done)
    if any(s in ("rendered", "signing") for s in states):
        # the year's lock window stays open: a correction's new version is the one thing it lets
        # through, and the archive run locks it once its plan is complete (docs/corrections.md)
        story.begin("resign")
        result.resigning = sign_everything(ctx, ds, people, class_ids=(planned.class_id,))
        _signing_lines(story, result.resigning, "resign")
    if all(s == "archived" for s in states):
        return
    _archive(story, ctx, ds, people, "rearchive")


def _new_version_states(ctx: Context, done: CorrectionDone) -> list[str]:
    """The states of the versions the correction made (none before it is applied)."""
    with ctx.sessions() as session:
        return [
            state
            for document_id, version in done.new_versions
            for state in session.scalars(
                select(DocumentRow.state).where(
                    DocumentRow.document_id == document_id, DocumentRow.version == version
                )
            )
        ]
