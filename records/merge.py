"""Merging partial imports into a stored school year, purely (no I/O).

A class workbook (XLSX) carries one class; a CSV score sheet carries one subject of one class.
Teachers import them one at a time: each merge produces a new whole dataset, which is validated
again as a whole before anything is stored.
"""

from __future__ import annotations

from records.findings import STUDENT_UNKNOWN, Finding, Location
from records.importers.result import SubjectSheet
from records.model import ClassSubject, Dataset, SecondaryStudentYear


class MergeError(ValueError):
    """The partial file does not fit the stored school year (message says why, in Vietnamese)."""


def merge_class_workbook(base: Dataset, incoming: Dataset) -> Dataset:
    """Replace (or add) the incoming workbook's classes; teachers are merged by id."""
    if (base.school.code, base.school_year) != (incoming.school.code, incoming.school_year):
        raise MergeError(
            f"Tệp thuộc trường {incoming.school.code}, năm học {incoming.school_year}; "
            f"dữ liệu đang lưu là trường {base.school.code}, năm học {base.school_year}."
        )
    new_ids = {c.id for c in incoming.classes}
    classes = [c for c in base.classes if c.id not in new_ids] + list(incoming.classes)
    order = {c.id: i for i, c in enumerate(base.classes)}
    classes.sort(key=lambda c: order.get(c.id, len(order)))
    teachers = {t.id: t for t in base.teachers} | {t.id: t for t in incoming.teachers}
    return base.model_copy(update={"classes": classes, "teachers": list(teachers.values())})


def merge_subject_sheet(
    base: Dataset, sheet: SubjectSheet, file: str
) -> tuple[Dataset, list[Finding]]:
    """Put one subject's scores of one class into the stored year; unknown students are findings."""
    if (base.school.code, base.school_year) != (sheet.school_code, sheet.school_year):
        raise MergeError(
            f"Bảng điểm thuộc trường {sheet.school_code}, năm học {sheet.school_year}; "
            f"dữ liệu đang lưu là trường {base.school.code}, năm học {base.school_year}."
        )
    idx = next((i for i, c in enumerate(base.classes) if c.id == sheet.class_id), None)
    if idx is None:
        raise MergeError(
            f"Lớp {sheet.class_id} chưa có trong dữ liệu đang lưu: nhập sổ lớp (tệp .xlsx) trước, "
            "rồi mới nhập bảng điểm từng môn."
        )
    school_class = base.classes[idx]
    rows = {r.code: r for r in sheet.rows}
    findings = [
        Finding(
            STUDENT_UNKNOWN,
            Location(file=file, row=i + 2, student=r.code, subject=sheet.subject),
            f"Học sinh {r.code} ({r.full_name}) không có trong lớp {sheet.class_id}.",
        )
        for i, r in enumerate(sheet.rows)
        if all(cs.student.code != r.code for cs in school_class.students)
    ]
    students = []
    for cs in school_class.students:
        row = rows.get(cs.student.code)
        if row is None:
            students.append(cs)
            continue
        year = cs.secondary or SecondaryStudentYear()
        subjects = {**year.subjects, sheet.subject: row.assessment}
        students.append(
            cs.model_copy(update={"secondary": year.model_copy(update={"subjects": subjects})})
        )
    subjects_of_class = [
        cs.model_copy(update={"periods_per_year": sheet.periods_per_year})
        if cs.code == sheet.subject
        else cs
        for cs in school_class.subjects
    ]
    if all(cs.code != sheet.subject for cs in school_class.subjects):
        subjects_of_class.append(
            ClassSubject(code=sheet.subject, periods_per_year=sheet.periods_per_year, teachers=[])
        )
    merged_class = school_class.model_copy(
        update={"students": students, "subjects": subjects_of_class}
    )
    classes = list(base.classes)
    classes[idx] = merged_class
    return base.model_copy(update={"classes": classes}), findings
