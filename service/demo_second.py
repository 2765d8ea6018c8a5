"""The demo's second school: a small one-class school of the same district whose records wait
for the principal's countersignature, so a newcomer has something to sign in the web app.

    second_school(first, seed) -> Dataset                # pure, deterministic
    run_second_school(story, ctx, first, seed) -> SecondSchool

Played like the first school, by its own people (docs/demo.md): the province administrator
creates the school's administrator, who creates everyone else and binds their development-PKI
certificates; the administrator imports the year; the homeroom teacher confirms the class; the
administrator renders; the subject and homeroom teachers sign — and the demo stops there: the
principal countersigns in the web app (``/ky-duyet``), no seal, no lock. Idempotent: once the
principal has countersigned, a re-run finds nothing to do and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from records.canonical import dataset_from_json, dataset_to_json
from records.check import check_file
from records.model import Dataset
from records.sample import generate_school
from service.accounts import DEFAULT_POLICY, AccountPolicy
from service.authz import Action, require
from service.context import Context
from service.db.models import DocumentRow
from service.demo import _all_rendered, _signing_lines, _Story, _year_ref, as_person
from service.demo_people import DemoPeople, MadeUp, Person, ensure_people
from service.demo_signing import SigningSummary, sign_everything
from service.files import write_atomic
from service.importing import import_file
from service.lifecycle import confirm_class
from service.rendering import render_dataset
from service.signing import ensure_dev_pki
from service.signing_plans import PlanCatalog

STUDENTS = 6  # a small class: the second school costs seconds, not minutes
NAME = "Trường PTDTBT Tiểu học Nậm Pẻn"  # fictional, like the first
TEACHER_PREFIX = "GVB"  # its teachers' ids: the home's PKI and accounts key people by id
# its made-up administrator, clerk and board member (grants are per school: not the first's)
MADE_UP = MadeUp(admin="Sùng A Páo", clerk="Tẩn Thị Mai", board="Lò Văn Khiêm")


@dataclass(frozen=True)
class SecondSchool:
    ds: Dataset
    people: DemoPeople
    principal: Person
    class_id: str
    waiting: int  # records of the class still waiting for the principal's countersignature
    signing: SigningSummary


def second_school(first: Dataset, seed: int) -> Dataset:
    """The first school's neighbour: one primary class of ``STUDENTS`` pupils, its own code,
    name and teacher ids, from the sample generator's next seed (same seed → same school)."""
    ds = generate_school(seed=seed + 1, primary_classes=1, secondary_classes=0)
    cls = ds.classes[0]
    small = cls.model_copy(update={"students": cls.students[:STUDENTS]})  # results are per pupil
    ds = ds.model_copy(update={"classes": [small]})
    # every reference to a teacher is a JSON string "GV###": rename them all at once
    text = re.sub(rb'"GV(\d{3})"', rb'"' + TEACHER_PREFIX.encode() + rb'\1"', dataset_to_json(ds))
    ds = dataset_from_json(text)
    code = f"{first.school.code[:-3]}{(int(first.school.code[-3:]) + 1) % 1000:03d}"
    return ds.model_copy(
        update={
            "school": ds.school.model_copy(update={"code": code, "name": NAME}),
            "school_year": first.school_year,
        }
    )


def run_second_school(
    story: _Story,
    ctx: Context,
    first: Dataset,
    seed: int,
    *,
    policy: AccountPolicy = DEFAULT_POLICY,
) -> SecondSchool:
    ds = second_school(first, seed)
    cls = ds.classes[0]
    story.begin("second.sample")
    path = ctx.home.root / "samples" / f"{ds.school.code}-{ds.school_year}.json"
    canonical = dataset_to_json(ds)
    fresh = not path.is_file() or path.read_bytes() != canonical
    if fresh:
        write_atomic(path, canonical)
    findings = len(check_file(path).findings)
    story.end(
        "second.sample",
        "hsdt",
        f"{ds.school.name}: lớp {cls.id}, {len(cls.students)} học sinh, {findings} ghi nhận",
        changed=fresh,
    )

    story.begin("second.accounts")
    pki = ensure_dev_pki(ctx, ds)  # certificates for this school's teachers and its seal
    people = ensure_people(ctx, ds, pki, policy=policy, made_up=MADE_UP)
    story.end(
        "second.accounts",
        people.admin.who(),
        f"{people.created} tài khoản mới" if people.created else "đã có đủ tài khoản",
        changed=people.created > 0,
    )

    admin = people.admin
    story.begin("second.import")
    require(admin.principal, Action.DATASET_IMPORT, _year_ref(ds))
    imported = import_file(as_person(ctx, admin), path)
    story.end(
        "second.import",
        admin.who(),
        f"bộ dữ liệu số {imported.dataset_id}" + ("" if imported.created else " (đã có)"),
        changed=imported.created,
    )

    story.begin("second.confirm")
    homeroom = people.teacher(cls.homeroom_teacher)
    made = confirm_class(
        as_person(ctx, homeroom),
        homeroom.principal,
        cls.id,
        year=ds.school_year,
        school=ds.school.code,
    )
    story.end(
        "second.confirm",
        homeroom.who(),
        f"xác nhận lớp {cls.id}" if made.created else "lớp đã được xác nhận",
        changed=made.created,
    )

    story.begin("second.render")
    if _all_rendered(ctx, ds):
        story.end("second.render", admin.who(), "hồ sơ đã được kết xuất", changed=False)
    else:
        rendered = render_dataset(
            as_person(ctx, admin), imported.dataset_id, ds, workers=1, principal=admin.principal
        )
        story.end("second.render", admin.who(), f"{sum(rendered.rendered.values())} hồ sơ PDF/A")

    story.begin("second.sign")
    signing = sign_everything(ctx, ds, people, countersign=False)
    _signing_lines(story, signing, "second.sign")

    principal = people.principal
    story.begin("second.waiting")
    waiting = waiting_for(ctx, imported.dataset_id, cls.id, ds.school.principal)
    story.end(
        "second.waiting",
        principal.who(),
        f"{waiting} hồ sơ lớp {cls.id} chờ Hiệu trưởng ký duyệt"
        if waiting
        else f"lớp {cls.id} đã được ký duyệt",
        changed=False,
    )
    return SecondSchool(ds, people, principal, cls.id, waiting, signing)


def waiting_for(ctx: Context, dataset_id: int, class_id: str, person_id: str) -> int:
    """The class's records where ``person_id`` still has a slot to sign (as the web app counts)."""
    catalog = PlanCatalog(ctx)
    with ctx.sessions() as session:
        rows = session.execute(
            select(DocumentRow.document_id, DocumentRow.signed_fields).where(
                DocumentRow.dataset_id == dataset_id, DocumentRow.class_id == class_id
            )
        ).all()
    return sum(
        1
        for document_id, signed in rows
        if any(
            slot.field_name not in signed.split(",")
            for slot in catalog.plan(dataset_id, class_id, document_id).slots_of(person_id)
        )
    )
