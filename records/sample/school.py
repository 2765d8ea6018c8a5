"""Assemble the sample school: classes, students, staff and a full year of assessments.

Randomness comes only from ``random.Random`` instances seeded from the options, one stream per
concern (identifiers, staff, each class), so the same options always give the same dataset and a
change in one class's generation does not reshuffle the others.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from records.model import (
    ClassStudent,
    ClassSubject,
    Dataset,
    Level,
    School,
    SchoolClass,
    SchoolYear,
    Student,
)
from records.rules import primary_rules, secondary_rules
from records.sample import places, primary, secondary
from records.sample.curriculum import ClassPlan, plan_classes, subjects_for
from records.sample.edge_cases import (
    PRIMARY_EDGE_GRADE,
    PRIMARY_EDGES,
    SECONDARY_EDGE_GRADE,
    SECONDARY_EDGES,
    primary_edge_year,
    secondary_edge_year,
)
from records.sample.names import KINH, roll_order_key
from records.sample.outcomes import with_primary_results, with_secondary_results
from records.sample.staff import Staffing, staff_school
from records.sample.students import IdentityRegistry, make_student

CLASS_SIZE = (35, 45)
MAX_CLASSES_PER_LEVEL = 60


@dataclass(frozen=True)
class SampleOptions:
    seed: int = 2026
    primary_classes: int = 1
    secondary_classes: int = 1
    school_year: str = "2025-2026"

    def __post_init__(self) -> None:
        for name, n in (("primary", self.primary_classes), ("secondary", self.secondary_classes)):
            if not 0 <= n <= MAX_CLASSES_PER_LEVEL:
                raise ValueError(
                    f"Số lớp {'tiểu học' if name == 'primary' else 'THCS'} phải từ 0 đến "
                    f"{MAX_CLASSES_PER_LEVEL} (đang là {n})."
                )
        if self.primary_classes + self.secondary_classes == 0:
            raise ValueError("Trường mẫu cần ít nhất một lớp (tiểu học hoặc THCS).")
        SchoolYear.parse(self.school_year)  # says what a school year looks like

    def stream(self, part: str) -> random.Random:
        """An independent random stream for one part of the school (str seeds are stable)."""
        return random.Random(f"hsdt-sample/{self.seed}/{part}")


def generate_school(
    *,
    seed: int = 2026,
    primary_classes: int = 1,
    secondary_classes: int = 1,
    school_year: str = "2025-2026",
) -> Dataset:
    """A realistic, seeded sample school whose submitted results match the rule sets.

    Raises ``ValueError`` for impossible options and ``NoRuleSetError`` for a school year before
    TT22/TT27 reached the classes' grades (e.g. grade 8 before 2023-2024).
    """
    return generate(SampleOptions(seed, primary_classes, secondary_classes, school_year))


def generate(options: SampleOptions) -> Dataset:
    year = SchoolYear.parse(options.school_year)
    plans = plan_classes(options.primary_classes, options.secondary_classes)
    for plan in plans:  # fail before any work if no rule set covers a grade this year
        subjects_for(plan.grade, options.school_year)
    ids = IdentityRegistry(options.stream("ids"))
    staff = staff_school(options.stream("staff"), ids, year, plans)
    edge_classes = {
        next(p.class_id for p in plans if p.grade == grade)
        for grade in (PRIMARY_EDGE_GRADE, SECONDARY_EDGE_GRADE)
        if any(p.grade == grade for p in plans)
    }
    classes = [
        _make_class(options, year, ids, staff, plan, with_edges=plan.class_id in edge_classes)
        for plan in plans
    ]
    levels = [level for level in Level if any(c.level is level for c in classes)]
    school_rng = options.stream("school")
    return Dataset(
        province=places.PROVINCE,
        district=places.DISTRICT,
        school=School(
            code=f"{places.PROVINCE.code}{places.DISTRICT.code}{school_rng.randrange(1000):03d}",
            name=_school_name(levels),
            levels=levels,
            commune=places.COMMUNE,
            authority=places.authority(year),
            principal=staff.principal,
            vice_principals=staff.vice_principals,
        ),
        school_year=options.school_year,
        teachers=staff.teachers,
        classes=classes,
    )


def _school_name(levels: list[Level]) -> str:
    # PTDTBT: phổ thông dân tộc bán trú, the semi-boarding ethnic schools of mountain communes
    kind = {
        (Level.TH,): "Tiểu học",
        (Level.THCS,): "THCS",
        (Level.TH, Level.THCS): "Tiểu học và THCS",
    }[tuple(levels)]
    return f"Trường PTDTBT {kind} {places.SCHOOL_PLACE_NAME}"


def _make_class(
    options: SampleOptions,
    year: SchoolYear,
    ids: IdentityRegistry,
    staff: Staffing,
    plan: ClassPlan,
    *,
    with_edges: bool,
) -> SchoolClass:
    rng = options.stream(f"class/{plan.class_id}")
    subjects = [
        ClassSubject(
            code=spec.code, periods_per_year=periods, teachers=staff.teachers_of(plan, spec.code)
        )
        for spec, periods in subjects_for(plan.grade, options.school_year)
    ]
    size = rng.randint(*CLASS_SIZE)
    roll = sorted(
        (make_student(rng, ids, grade=plan.grade, year=year) for _ in range(size)),
        key=lambda s: roll_order_key(s.full_name),
    )
    bare = SchoolClass(
        id=plan.class_id,
        name=plan.class_id,
        grade=plan.grade,
        homeroom_teacher=staff.homeroom[plan.class_id],
        subjects=subjects,
        students=[],
    )
    if plan.level is Level.TH:
        return _with_primary_years(rng, year, bare, roll, with_edges=with_edges)
    return _with_secondary_years(rng, options.school_year, bare, roll, with_edges=with_edges)


def _with_secondary_years(
    rng: random.Random,
    school_year: str,
    bare: SchoolClass,
    roll: list[Student],
    *,
    with_edges: bool,
) -> SchoolClass:
    rules = secondary_rules(bare.grade, school_year)
    edges = {e.roll_no: e for e in SECONDARY_EDGES.values()} if with_edges else {}
    students = []
    for roll_no, student in enumerate(roll, start=1):
        edge = edges.get(roll_no)
        year = (
            secondary_edge_year(edge, rng, rules, bare.subjects)
            if edge is not None
            else secondary.random_year(rng, rules, bare.subjects, secondary.draw_learner(rng))
        )
        students.append(ClassStudent(student=student, secondary=year))
    return with_secondary_results(rules, bare.model_copy(update={"students": students}))


def _with_primary_years(
    rng: random.Random,
    year: SchoolYear,
    bare: SchoolClass,
    roll: list[Student],
    *,
    with_edges: bool,
) -> SchoolClass:
    rules = primary_rules(bare.grade, year.label)
    edges = {e.roll_no: e for e in PRIMARY_EDGES.values()} if with_edges else {}
    students = []
    for roll_no, student in enumerate(roll, start=1):
        edge = edges.get(roll_no)
        assessed = (
            primary_edge_year(edge, rng, rules, bare.grade, bare.subjects)
            if edge is not None
            else primary.random_year(rng, rules, bare.grade, bare.subjects, primary.draw_pupil(rng))
        )
        # age at the end of the school year (late May), for the growth measures
        age = year.start + 1 - student.birth_date.year - (student.birth_date.month - 5.5) / 12
        height, weight = primary.body_measures(
            rng, student.gender, age, minority=student.ethnicity != KINH.ethnicity
        )
        students.append(
            ClassStudent(
                student=student,
                primary=assessed.model_copy(update={"height_cm": height, "weight_kg": weight}),
            )
        )
    return with_primary_results(rng, rules, bare.model_copy(update={"students": students}))
