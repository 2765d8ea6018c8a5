"""What the pages show, read through the service layer and filtered by the permission matrix."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from api.http.resources import RecordInfo, SchoolPlace
from api.web.session import User
from records.model import Dataset, SchoolClass
from records.slots import SignatureSlot, SignerRole
from service.authz import Action, Grant, RecordState, ResourceRef, Role, SlotRef, authorize
from service.context import Context
from service.db.models import DatasetRow
from service.importing import load_dataset
from service.lifecycle import class_state
from service.signing_plans import PlanCatalog
from signing.plans import PlanViolation, check_signature_allowed

RECORD_TITLES = {
    "hoc-ba-trung-hoc": "Học bạ (THCS/THPT)",
    "hoc-ba-tieu-hoc": "Học bạ (tiểu học)",
    "so-theo-doi": "Sổ theo dõi và đánh giá học sinh",
    "bang-tong-hop": "Bảng tổng hợp kết quả đánh giá",
}
STATE_LABELS = {
    "draft": "Nháp",
    "confirmed": "Đã xác nhận",
    "signing": "Đang ký",
    "signed": "Đã ký đủ",
    "locked": "Đã khoá",
    "archived": "Đã lưu trữ",
}
# the slot each signing role fills (as in service.authz.checks)
SLOT_OF_ROLE = {
    Role.SUBJECT_TEACHER: SignerRole.SUBJECT_TEACHER,
    Role.HOMEROOM_TEACHER: SignerRole.HOMEROOM_TEACHER,
    Role.PRINCIPAL: SignerRole.PRINCIPAL,
    Role.VICE_PRINCIPAL: SignerRole.PRINCIPAL,
    Role.CLERK: SignerRole.SCHOOL_SEAL,
}

_cache: dict[tuple[str, int], Dataset] = {}
_lock = threading.Lock()


def dataset(ctx: Context, dataset_id: int) -> Dataset:
    """A stored dataset (immutable once stored: cached per home)."""
    key = (str(ctx.home.root), dataset_id)
    with _lock:
        found = _cache.get(key)
    if found is None:
        _, found = load_dataset(ctx, dataset_id)
        with _lock:
            _cache[key] = found
    return found


def current_datasets(ctx: Context) -> list[int]:
    """Each school's newest dataset of its latest school year (the year being worked on)."""
    with ctx.sessions() as s:
        rows = s.execute(
            select(DatasetRow.id, DatasetRow.school_code, DatasetRow.school_year).order_by(
                DatasetRow.school_code, DatasetRow.school_year.desc(), DatasetRow.id.desc()
            )
        ).all()
    newest: dict[str, int] = {}
    for dataset_id, school, _ in rows:
        newest.setdefault(school, int(dataset_id))
    return list(newest.values())


@dataclass(frozen=True)
class ClassView:
    dataset_id: int
    place: SchoolPlace
    school_name: str
    cls: SchoolClass
    homeroom: bool  # the user is its homeroom teacher
    subjects: tuple[str, ...]  # subject names the user teaches there

    @property
    def id(self) -> str:
        return self.cls.id

    def ref(self, **extra: object) -> ResourceRef:
        p = self.place
        return ResourceRef(
            p.province,
            p.district,
            p.school,
            year=p.year,
            class_id=self.cls.id,
            **extra,  # type: ignore[arg-type]
        )


def _mine(grants: Iterable[Grant], place: SchoolPlace, cls: SchoolClass, role: Role) -> list[Grant]:
    return [
        g
        for g in grants
        if g.role is role
        and g.scope.school in (None, place.school)
        and g.scope.year in (None, place.year)
        and cls.id in g.scope.classes
    ]


def visible_classes(user: User) -> list[ClassView]:
    """The classes whose records the user may view, with what they teach there."""
    found: list[ClassView] = []
    grants = user.principal.grants
    for dataset_id in current_datasets(user.ctx):
        place = user.state.resources.place(dataset_id)
        ds = dataset(user.ctx, dataset_id)
        for cls in ds.classes:
            view = ClassView(dataset_id, place, ds.school.name, cls, False, ())
            if not authorize(user.principal, Action.RECORD_VIEW, view.ref()).allowed:
                continue
            homeroom = bool(_mine(grants, place, cls, Role.HOMEROOM_TEACHER))
            codes = {
                g.scope.subject
                for g in _mine(grants, place, cls, Role.SUBJECT_TEACHER)
                if g.scope.subject
            }
            names = tuple(subject_names(ds).get(c, c) for c in sorted(codes))
            found.append(ClassView(dataset_id, place, ds.school.name, cls, homeroom, names))
    return found


def subject_names(ds: Dataset) -> dict[str, str]:
    """Subject code → name, from the rule sets' catalogues (as the progress report names them)."""
    from service.progress import _subject_names

    return _subject_names(ds)


def find_class(user: User, class_id: str, school: str | None = None) -> ClassView | None:
    """The class among the current datasets, whether or not the user may see it (the caller
    asks the matrix, so a refusal says why)."""
    for dataset_id in current_datasets(user.ctx):
        place = user.state.resources.place(dataset_id)
        if school is not None and place.school != school:
            continue
        ds = dataset(user.ctx, dataset_id)
        for cls in ds.classes:
            if cls.id == class_id:
                homeroom = bool(_mine(user.principal.grants, place, cls, Role.HOMEROOM_TEACHER))
                return ClassView(dataset_id, place, ds.school.name, cls, homeroom, ())
    return None


def data_state(ctx: Context, view: ClassView) -> RecordState:
    """DRAFT or CONFIRMED: the class's data as stored now."""
    ds = dataset(ctx, view.dataset_id)
    with ctx.sessions() as s:
        return class_state(s, view.place.school, view.place.year, view.id, ds)


def signer_ids(user: User, school: str) -> list[str]:
    """Whom the user signs as at a school: their teacher ids, the school code for a clerk."""
    ids: list[str] = []
    for g in user.principal.grants:
        if g.scope.school not in (None, school):
            continue
        if g.person_id is not None and g.role in SLOT_OF_ROLE:
            ids.append(g.person_id)
        elif g.role is Role.CLERK:
            ids.append(school)
    return list(dict.fromkeys(ids))


def slot_ref(slot: SignatureSlot) -> SlotRef:
    return SlotRef(slot.role, slot.signer_id, slot.subject)


def ready(slots: tuple[SignatureSlot, ...], signed: set[str], slot: SignatureSlot) -> bool:
    """The slot's turn has come: every slot that must sign before it has signed."""
    try:
        check_signature_allowed(slots, signed, slot.field_name, slot.signer_id or "")
    except PlanViolation:
        return False
    return True


@dataclass
class RecordRow:
    info: RecordInfo
    title: str
    student: str
    slots: list[tuple[SignatureSlot, bool]] = field(default_factory=list)  # (slot, signed)

    @property
    def unsigned(self) -> list[SignatureSlot]:
        return [s for s, done in self.slots if not done and s.required]

    @property
    def signed_count(self) -> int:
        return sum(1 for _, done in self.slots if done)

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.info.state.value, self.info.state.value)


def record_rows(user: User, view: ClassView) -> list[RecordRow]:
    ds = dataset(user.ctx, view.dataset_id)
    names = {cs.student.code: cs.student.full_name for c in ds.classes for cs in c.students}
    catalog = PlanCatalog(user.ctx)
    rows = []
    infos = user.state.resources.records(
        school=view.place.school, year=view.place.year, class_id=view.id
    )
    for info in infos:
        plan = catalog.plan(info.dataset_id, info.class_id, info.document_id)
        signed = set(info.signed_fields)
        rows.append(
            RecordRow(
                info,
                RECORD_TITLES.get(info.record_type, info.record_type),
                names.get(info.student_code or "", "") if info.student_code else "Cả lớp",
                [(s, s.field_name in signed) for s in plan.slots],
            )
        )
    return rows


@dataclass(frozen=True)
class QueueEntry:
    info: RecordInfo
    slot: SignatureSlot
    title: str


def signing_queue(user: User) -> list[QueueEntry]:
    """The records where one of the user's slots has its turn, in scope of their grants."""
    schools = sorted({g.scope.school for g in user.principal.grants if g.scope.school})
    catalog = PlanCatalog(user.ctx)
    items: list[QueueEntry] = []
    for school in schools:
        people = set(signer_ids(user, school))
        if not people:
            continue
        for info in user.state.resources.records(school=school):
            if info.state not in (RecordState.CONFIRMED, RecordState.SIGNING):
                continue
            plan = catalog.plan(info.dataset_id, info.class_id, info.document_id)
            signed = set(info.signed_fields)
            for slot in plan.slots:
                if slot.signer_id not in people or slot.field_name in signed:
                    continue
                if not ready(plan.slots, signed, slot):
                    continue
                ref = info.resource(slot=slot_ref(slot))
                if authorize(user.principal, Action.RECORD_SIGN, ref).allowed:
                    title = RECORD_TITLES.get(info.record_type, info.record_type)
                    items.append(QueueEntry(info, slot, title))
    return items


def school_refs(user: User) -> list[tuple[int, SchoolPlace, str]]:
    """Each current school (dataset id, place, name) within the reach of one of the user's
    grants (the pages then ask the matrix what they may do there)."""
    found = []
    for dataset_id in current_datasets(user.ctx):
        place = user.state.resources.place(dataset_id)
        if any(
            g.scope.province == place.province
            and g.scope.district in (None, place.district)
            and g.scope.school in (None, place.school)
            for g in user.principal.grants
        ):
            found.append((dataset_id, place, dataset(user.ctx, dataset_id).school.name))
    return found


def school_ref(place: SchoolPlace, *, year: bool = True, **extra: object) -> ResourceRef:
    return ResourceRef(
        place.province,
        place.district,
        place.school,
        year=place.year if year else None,
        **extra,  # type: ignore[arg-type]
    )
