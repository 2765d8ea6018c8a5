"""The demo's correction after lock (Điều 11.4), on one student's record book (học bạ).

    choose_correction(ds) -> PlannedCorrection              # pure: which score, by whom
    run_correction(ctx, planned, people) -> CorrectionDone   # request → … → apply; resumes

The score: in the first class, the first student's score in a subject taught by someone who is
neither the class's homeroom teacher nor a school leader (the homeroom teacher witnesses, so
cannot request: separation of duties), raised or lowered by one step. When the change moves
values the teacher's book wrote down (averages "as submitted"), those change in the same request
— exactly what the validation asks a real teacher to do. Only changes inside the teacher's own
subject are chosen (a subject teacher may request nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from records.model import Dataset, SchoolClass
from service.authz import Role
from service.context import Context
from service.corrections import (
    CorrectionState,
    FieldEdit,
    InvalidCorrection,
    WitnessPart,
    affected_documents,
    apply_correction,
    apply_edits,
    approve_correction,
    list_corrections,
    request_correction,
    show_correction,
    witness_correction,
)
from service.demo_people import DemoPeople, Person
from service.errors import HsdtError

REASON = "Nhập nhầm điểm khi chép từ sổ điểm cá nhân (chạy thử)"
APPROVAL_NOTE = "Đã đối chiếu bài kiểm tra gốc"
_MAX_FIXES = 4  # rounds of "the submitted averages change too"


@dataclass(frozen=True)
class PlannedCorrection:
    document_id: str  # the học bạ
    class_id: str
    student: str
    subject: str
    teacher_id: str  # the subject teacher who requests it
    edits: tuple[FieldEdit, ...]


@dataclass(frozen=True)
class Step:
    what: str  # Vietnamese
    who: Person
    role: Role  # the part they play in it


@dataclass
class CorrectionDone:
    correction_id: int
    state: CorrectionState
    steps: list[Step]  # done by this call (empty on a re-run)
    new_versions: tuple[tuple[str, int], ...]


_FIELDS = {  # how the books name what a demo correction changes
    "score": "điểm bài kiểm tra định kì",
    "term1.final": "ĐĐGck học kì I",
    "term2.final": "ĐĐGck học kì II",
    "term1.submitted_average": "ĐTBmhk I",
    "term2.submitted_average": "ĐTBmhk II",
    "submitted_year_average": "ĐTBmcn",
}


def describe_edits(edits: tuple[FieldEdit, ...]) -> str:
    """«môn NN1, điểm bài kiểm tra định kì (CN) 5 → 6» — for the printed line."""
    parts = [
        f"{_FIELDS.get(e.field, e.field)}{f' ({e.point})' if e.point else ''} {e.old} → {e.new}"
        for e in edits
    ]
    subject = edits[0].subject if edits else None
    return (f"môn {subject}, " if subject else "") + "; ".join(parts)


def hoc_ba_id(ds: Dataset, student: str) -> str:
    return f"HB-{ds.school.code}-{ds.year.start}-{student}"


def choose_correction(ds: Dataset) -> PlannedCorrection:
    cls = ds.classes[0]
    student = cls.students[0].student.code
    document_id = hoc_ba_id(ds, student)
    leaders = {ds.school.principal, *ds.school.vice_principals}
    for subject in cls.subjects:
        if len(subject.teachers) != 1:
            continue
        (teacher,) = subject.teachers
        if teacher == cls.homeroom_teacher or teacher in leaders:
            continue
        for first in _candidates(cls, student, subject.code):
            edits = _with_fixes(ds, cls, student, subject.code, first)
            if edits is None:
                continue
            after = apply_edits(ds, cls.id, edits, student=student)
            changed = {d.document_id for d in affected_documents(ds, after, cls.id)}
            if document_id in changed:
                return PlannedCorrection(document_id, cls.id, student, subject.code, teacher, edits)
    raise HsdtError(
        f"Không tìm được điểm nào để chạy thử đính chính ở lớp {cls.id}.",
        hint="Chạy lại với trường mẫu khác (--seed) hoặc thêm lớp.",
    )


def _candidates(cls: SchoolClass, student: str, subject: str) -> list[FieldEdit]:
    enrolled = next(s for s in cls.students if s.student.code == student)
    found: list[FieldEdit] = []
    if enrolled.primary is not None:
        for point in ("CN", "CK1"):
            result = enrolled.primary.points[point].subjects.get(subject)  # type: ignore[index]
            score = result.score if result is not None else None
            if score is None:
                continue
            for delta in (1, -1):
                if 0 <= score + delta <= 10:
                    found.append(
                        FieldEdit(student, "score", str(score), str(score + delta), subject, point)
                    )
    elif enrolled.secondary is not None:
        assessed = enrolled.secondary.subjects.get(subject)
        terms = [] if assessed is None else [("term2", assessed.term2), ("term1", assessed.term1)]
        for name, term in terms:
            final = getattr(term, "final", None)
            if final is None:
                continue
            for step in ("1", "-1", "0.5"):
                new = final + Decimal(step)
                if 0 <= new <= 10:
                    found.append(FieldEdit(student, f"{name}.final", str(final), str(new), subject))
    return found


def _with_fixes(
    ds: Dataset, cls: SchoolClass, student: str, subject: str, first: FieldEdit
) -> tuple[FieldEdit, ...] | None:
    """The edit, plus the submitted values the rules recompute differently; None when that
    reaches beyond the subject (a subject teacher cannot request it)."""
    edits = [first]
    for _ in range(_MAX_FIXES):
        try:
            apply_edits(ds, cls.id, tuple(edits), student=student)
            return tuple(edits)
        except InvalidCorrection as refused:
            fixes = [_fix(f.location.path, f.extra, student, subject) for f in refused.findings]
            if not refused.findings or any(fix is None for fix in fixes):
                return None
            edits += [fix for fix in fixes if fix is not None]
    return None


def _fix(
    path: tuple[str | int, ...], extra: dict[str, object], student: str, subject: str
) -> FieldEdit | None:
    parts = [str(p) for p in path]
    if "submitted" not in extra or "computed" not in extra or "subjects" not in parts:
        return None
    at = parts.index("subjects")
    if parts[at + 1 : at + 2] != [subject]:
        return None
    return FieldEdit(
        student, ".".join(parts[at + 2 :]), str(extra["submitted"]), str(extra["computed"]), subject
    )


def run_correction(ctx: Context, planned: PlannedCorrection, people: DemoPeople) -> CorrectionDone:
    """Request, approve, witness (board, homeroom), apply — as each person; resumes a correction
    the demo started before, and does nothing once it is applied."""
    teacher = people.teacher(planned.teacher_id)
    homeroom = people.teacher(_homeroom_of(ctx, planned, people))
    steps: list[Step] = []
    existing = list_corrections(ctx, document_id=planned.document_id)
    if existing:
        correction_id = existing[-1].id
    else:
        correction_id = request_correction(
            ctx, teacher.principal, planned.document_id, reason=REASON, edits=planned.edits
        )
        steps.append(Step("đề nghị đính chính", teacher, Role.SUBJECT_TEACHER))
    state = show_correction(ctx, correction_id).state
    if state is CorrectionState.REQUESTED:
        approve_correction(ctx, people.principal.principal, correction_id, note=APPROVAL_NOTE)
        steps.append(Step("phê duyệt", people.principal, Role.PRINCIPAL))
    view = show_correction(ctx, correction_id)
    witnessed = {s.role for s in view.steps if s.step == "witness"}
    for part, person in ((WitnessPart.BOARD, people.board), (WitnessPart.HOMEROOM, homeroom)):
        if view.state is CorrectionState.APPROVED and part.value not in witnessed:
            witness_correction(ctx, person.principal, correction_id, part=part)
            steps.append(Step("chứng kiến", person, part.role))
    if show_correction(ctx, correction_id).state is CorrectionState.WITNESSED:
        apply_correction(ctx, teacher.principal, correction_id)
        steps.append(Step("áp dụng: phiên bản mới được kết xuất", teacher, Role.SUBJECT_TEACHER))
    view = show_correction(ctx, correction_id)
    return CorrectionDone(correction_id, view.state, steps, view.new_versions)


def _homeroom_of(ctx: Context, planned: PlannedCorrection, people: DemoPeople) -> str:
    for person_id, person in people.teachers.items():
        for grant in person.principal.grants:
            if grant.role is Role.HOMEROOM_TEACHER and planned.class_id in grant.scope.classes:
                return person_id
    raise HsdtError(f"Lớp {planned.class_id} không có giáo viên chủ nhiệm trong tài khoản mẫu.")
