"""Progress reports (Article 11.3): entered, confirmed, signed and archived, per school, class,
teacher or subject.

The entries come from the dataset (``records.progress``); the rest from the newest version of each
record book the dataset should have. A record book not rendered yet counts as expected but not
confirmed, signed or archived, and its slots (rebuilt from the dataset) as unsigned, so the
denominators do not move as rendering goes on. Definitions in docs/progress.md:

* confirmed — the homeroom teacher confirmed the class's current data (``service.lifecycle``), or
  a version of the record was rendered (rendering needs confirmed data);
* signed — every required slot of the record's plan is signed;
* archived — the record is in the permanent archive (state "archived");
* teacher's signatures — the share of slots assigned to the teacher(s) that are signed.

``progress_report`` is the one entry point for the CLI and the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import select

from records.documents import RecordType, document_id
from records.model import AssessmentPoint, Dataset, Level
from records.progress import SubjectEntries, Term, entry_progress
from records.rules import primary_rules, secondary_rules
from service.context import Context
from service.db.models import DocumentRow
from service.errors import HsdtError
from service.importing import load_dataset
from service.lifecycle import stored_class_digest, valid_confirmation
from service.signing_plans import PlanCatalog

# = service.archiving.ARCHIVED_STATE, not imported: that module pulls in the whole archive stack
ARCHIVED_STATE = "archived"
_T = TypeVar("_T")
_CHUNK = 500  # document ids per IN (...) query, well under every database's parameter limit


class GroupBy(StrEnum):
    SCHOOL = "school"
    CLASS = "class"
    TEACHER = "teacher"
    SUBJECT = "subject"

    @property
    def label(self) -> str:
        return {
            GroupBy.SCHOOL: "Trường",
            GroupBy.CLASS: "Lớp",
            GroupBy.TEACHER: "Giáo viên",
            GroupBy.SUBJECT: "Môn học",
        }[self]


@dataclass(frozen=True)
class SlotStatus:
    field_name: str
    signer_id: str | None
    subject: str | None
    signed: bool


@dataclass(frozen=True)
class DocumentStatus:
    """The signing state of the newest version of one record book (``version`` None: not yet
    rendered)."""

    document_id: str
    class_id: str
    point: AssessmentPoint | None  # primary class summary; None for yearly records
    version: int | None
    confirmed: bool
    signed: bool
    archived: bool
    slots: tuple[SlotStatus, ...]

    def in_term(self, term: Term) -> bool:
        # yearly records are signed at the end of the year, i.e. with the second term's checks
        if self.point is None:
            return term is not Term.TERM1
        return self.point in term.primary_points


@dataclass(frozen=True)
class Share:
    done: int
    total: int

    @property
    def percent(self) -> int | None:
        """Rounded down, so 100 % means every single one; None when nothing is expected."""
        return 100 * self.done // self.total if self.total else None

    def to_json(self) -> dict[str, int | None]:
        return {"done": self.done, "total": self.total, "percent": self.percent}


@dataclass(frozen=True)
class ProgressRow:
    key: str  # school code, class id, teacher id or subject code
    label: str  # what a person reads: class name, teacher's full name, subject name
    entered: Share  # assessments
    confirmed: Share  # record books
    signed: Share  # record books
    archived: Share  # record books
    signatures: Share  # slots

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "entered": self.entered.to_json(),
            "confirmed": self.confirmed.to_json(),
            "signed": self.signed.to_json(),
            "archived": self.archived.to_json(),
            "signatures": self.signatures.to_json(),
        }


@dataclass(frozen=True)
class ProgressReport:
    dataset_id: int
    school: str  # school name
    school_year: str
    term: Term
    by: GroupBy
    rows: tuple[ProgressRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset_id": self.dataset_id,
            "school": self.school,
            "school_year": self.school_year,
            "term": self.term.value,
            "by": self.by.value,
            "rows": [r.to_json() for r in self.rows],
        }


def progress_report(
    ctx: Context,
    *,
    dataset_id: int | None = None,
    term: Term = Term.YEAR,
    by: GroupBy = GroupBy.CLASS,
    class_id: str | None = None,
    teacher_id: str | None = None,
) -> ProgressReport:
    """Progress of a stored dataset (the newest when no id is given), optionally of one class
    and/or one teacher. Raises :class:`HsdtError` for an unknown dataset, class or teacher."""
    ds_id, ds = load_dataset(ctx, dataset_id)
    _check_filters(ds, ds_id, class_id, teacher_id)
    classes = {class_id} if class_id else None
    entries = entry_progress(ds, term)
    documents = [d for d in document_statuses(ctx, ds_id, ds, classes) if d.in_term(term)]
    rows = summarize(ds, entries, documents, by, class_id=class_id, teacher_id=teacher_id)
    return ProgressReport(ds_id, ds.school.name, ds.school_year, term, by, tuple(rows))


def document_statuses(
    ctx: Context, dataset_id: int, ds: Dataset, classes: set[str] | None = None
) -> list[DocumentStatus]:
    """Every record book the dataset should have (of ``classes``, default all), with the state
    of its newest stored version."""
    expected = [d for d in expected_documents(ds) if classes is None or d.class_id in classes]
    newest = _newest_rows([d.document_id for d in expected], ctx)
    catalog = PlanCatalog(ctx)
    confirmed_classes = _confirmed_classes(ctx, dataset_id, ds, {d.class_id for d in expected})
    result: list[DocumentStatus] = []
    for doc in expected:
        row = newest.get(doc.document_id)
        # a rendered record carries the slots of the dataset it was rendered from
        plan = catalog.plan(row.dataset_id if row else dataset_id, doc.class_id, doc.document_id)
        signed = set(row.signed) if row else set()
        archived = row is not None and row.state == ARCHIVED_STATE
        slots = tuple(
            SlotStatus(s.field_name, s.signer_id, s.subject, s.field_name in signed)
            for s in plan.slots
        )
        result.append(
            DocumentStatus(
                document_id=doc.document_id,
                class_id=doc.class_id,
                point=doc.point,
                version=row.version if row else None,
                # rendering needs confirmed data: a stored version was confirmed when made
                confirmed=row is not None or doc.class_id in confirmed_classes,
                signed=row is not None and plan.complete(signed),
                archived=archived,
                slots=slots,
            )
        )
    return result


def _confirmed_classes(ctx: Context, dataset_id: int, ds: Dataset, classes: set[str]) -> set[str]:
    """The classes whose current data the homeroom teacher has confirmed (service.lifecycle)."""
    with ctx.sessions() as session:
        return {
            c
            for c in classes
            if valid_confirmation(
                session,
                ds.school.code,
                ds.school_year,
                c,
                stored_class_digest(session, dataset_id, ds, c),
            )
            is not None
        }


@dataclass(frozen=True)
class ExpectedDocument:
    document_id: str
    class_id: str
    point: AssessmentPoint | None


def expected_documents(ds: Dataset) -> list[ExpectedDocument]:
    """The ids of ``records.documents.all_documents``, in its order, without building payloads
    (which computes every student's results: half the report's time on a large school)."""
    result: list[ExpectedDocument] = []
    for c in ds.classes:
        if c.level is Level.TH:
            for point in AssessmentPoint:
                doc_id = document_id(ds, RecordType.BANG_TONG_HOP, c.id, point.value)
                result.append(ExpectedDocument(doc_id, c.id, point))
            per_student = RecordType.HOC_BA_TIEU_HOC
        else:
            result.append(
                ExpectedDocument(document_id(ds, RecordType.SO_THEO_DOI, c.id), c.id, None)
            )
            per_student = RecordType.HOC_BA_TRUNG_HOC
        for cs in c.students:
            doc_id = document_id(ds, per_student, cs.student.code)
            result.append(ExpectedDocument(doc_id, c.id, None))
    return result


@dataclass(frozen=True)
class _Stored:
    version: int
    dataset_id: int
    state: str
    signed: frozenset[str]


def _newest_rows(document_ids: Sequence[str], ctx: Context) -> dict[str, _Stored]:
    # only the columns needed: a whole row would load every record's current PDF bytes
    columns = (
        DocumentRow.document_id,
        DocumentRow.version,
        DocumentRow.dataset_id,
        DocumentRow.state,
        DocumentRow.signed_fields,
    )
    newest: dict[str, _Stored] = {}
    with ctx.sessions() as session:
        for i in range(0, len(document_ids), _CHUNK):
            chunk = document_ids[i : i + _CHUNK]
            query = (
                select(*columns)
                .where(DocumentRow.document_id.in_(chunk))
                .order_by(DocumentRow.version)
            )
            for doc_id, version, ds_id, state, signed in session.execute(query):
                # ascending versions: the last one wins
                fields = frozenset(filter(None, signed.split(",")))
                newest[doc_id] = _Stored(version, ds_id, state, fields)
    return newest


def summarize(
    ds: Dataset,
    entries: Sequence[SubjectEntries],
    documents: Sequence[DocumentStatus],
    by: GroupBy,
    *,
    class_id: str | None = None,
    teacher_id: str | None = None,
) -> list[ProgressRow]:
    """Group entries and record books into report rows (pure).

    A teacher's (subject's) row covers the subjects they teach (that subject), the records on
    which they (it) have a slot, and those slots. With ``teacher_id`` every row counts only that
    teacher's subjects, records and slots; with ``class_id`` only that class.
    """
    if class_id is not None:
        entries = [e for e in entries if e.class_id == class_id]
        documents = [d for d in documents if d.class_id == class_id]
    allowed = _everything if teacher_id is None else _signer(teacher_id)
    if teacher_id is not None:
        entries = [e for e in entries if teacher_id in e.teachers]
        documents = [d for d in documents if _has_slot(d, allowed)]

    def row(key: str, label: str, scope: _Scope) -> ProgressRow:
        es = [e for e in entries if scope.entry(e)]
        docs = [d for d in documents if scope.document(d)]
        slots = [s for d in docs for s in d.slots if scope.slot(s) and allowed(s)]
        return ProgressRow(
            key,
            label,
            entered=Share(sum(e.entered for e in es), sum(e.expected for e in es)),
            confirmed=_count(docs, lambda d: d.confirmed),
            signed=_count(docs, lambda d: d.signed),
            archived=_count(docs, lambda d: d.archived),
            signatures=_count(slots, lambda s: s.signed),
        )

    if by is GroupBy.SCHOOL:
        return [row(ds.school.code, ds.school.name, _Scope.all())]
    if by is GroupBy.CLASS:
        return [
            row(c.id, c.name, _Scope.of_class(c.id))
            for c in ds.classes
            if class_id is None or c.id == class_id
        ]
    if by is GroupBy.SUBJECT:
        names = _subject_names(ds)
        slot_subjects = [s.subject for d in documents for s in d.slots if s.subject]
        codes = _unique([*(e.subject for e in entries), *slot_subjects])
        return [row(code, names.get(code, code), _Scope.of_subject(code)) for code in codes]
    involved = {t for e in entries for t in e.teachers}
    involved |= {s.signer_id for d in documents for s in d.slots if s.signer_id}
    return [
        row(t.id, t.full_name, _Scope.of_teacher(t.id))
        for t in ds.teachers
        if t.id in involved and (teacher_id is None or t.id == teacher_id)
    ]


@dataclass(frozen=True)
class _Scope:
    """What one report row counts: which entries, which records, which of their slots."""

    entry: Callable[[SubjectEntries], bool]
    document: Callable[[DocumentStatus], bool]
    slot: Callable[[SlotStatus], bool]

    @staticmethod
    def all() -> _Scope:
        return _Scope(_everything, _everything, _everything)

    @staticmethod
    def of_class(class_id: str) -> _Scope:
        return _Scope(
            lambda e: e.class_id == class_id, lambda d: d.class_id == class_id, _everything
        )

    @staticmethod
    def of_subject(code: str) -> _Scope:
        def slot(s: SlotStatus) -> bool:
            return s.subject == code

        return _Scope(lambda e: e.subject == code, lambda d: _has_slot(d, slot), slot)

    @staticmethod
    def of_teacher(teacher_id: str) -> _Scope:
        slot = _signer(teacher_id)
        return _Scope(lambda e: teacher_id in e.teachers, lambda d: _has_slot(d, slot), slot)


def _everything(_: object) -> bool:
    return True


def _signer(teacher_id: str) -> Callable[[SlotStatus], bool]:
    return lambda s: s.signer_id == teacher_id


def _has_slot(d: DocumentStatus, slot: Callable[[SlotStatus], bool]) -> bool:
    return any(slot(s) for s in d.slots)


def _count(items: Iterable[_T], done: Callable[[_T], bool]) -> Share:
    listed = list(items)
    return Share(sum(1 for i in listed if done(i)), len(listed))


def _unique(codes: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(codes))


def _subject_names(ds: Dataset) -> dict[str, str]:
    names: dict[str, str] = {}
    for c in ds.classes:
        catalogue = (
            primary_rules(c.grade, ds.school_year).subjects
            if c.level is Level.TH
            else secondary_rules(c.grade, ds.school_year).subjects
        )
        for spec in catalogue:
            names.setdefault(spec.code, spec.name)
    return names


def _check_filters(ds: Dataset, ds_id: int, class_id: str | None, teacher_id: str | None) -> None:
    if class_id is not None and all(c.id != class_id for c in ds.classes):
        raise HsdtError(
            f"Không có lớp «{class_id}» trong bộ dữ liệu số {ds_id}.",
            hint="Các lớp có trong dữ liệu: " + ", ".join(c.id for c in ds.classes) + ".",
        )
    if teacher_id is not None and ds.teacher(teacher_id) is None:
        raise HsdtError(
            f"Không có giáo viên mã «{teacher_id}» trong bộ dữ liệu số {ds_id}.",
            hint="Dùng mã giáo viên như trong danh sách giáo viên của trường, ví dụ GV001.",
        )
