"""Record documents: what each rendered record book contains, as canonical plain data.

A record document is built from a validated dataset and the rule set's computed results only. Its
payload is what the PDF shows *and* what is attached to the PDF/A as the machine-readable record,
so the two can never disagree. Payload values are JSON-ready (str, int, Decimal, bool, None, lists,
dicts); dates are ISO strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from records.model import (
    AssessmentPoint,
    ClassStudent,
    Dataset,
    Level,
    PrimaryStudentYear,
    SchoolClass,
    SecondaryStudentYear,
    Student,
    Teacher,
)
from records.results import PrimaryYearOutcome, SecondaryYearResult
from records.rules import AssessmentKind, primary_rules, secondary_rules
from records.rules.tt27_2020 import TT27

PAYLOAD_SCHEMA = "hsdt/record"
PAYLOAD_VERSION = 1

POINT_LABELS = {
    AssessmentPoint.GK1: "Giữa học kì I",
    AssessmentPoint.CK1: "Cuối học kì I",
    AssessmentPoint.GK2: "Giữa học kì II",
    AssessmentPoint.CN: "Cuối năm học",
}


class RecordType(StrEnum):
    HOC_BA_TRUNG_HOC = "hoc-ba-trung-hoc"  # học bạ THCS/THPT: one student, one year
    HOC_BA_TIEU_HOC = "hoc-ba-tieu-hoc"  # học bạ tiểu học: one student, one year
    BANG_TONG_HOP = "bang-tong-hop"  # primary class summary, one assessment point
    SO_THEO_DOI = "so-theo-doi"  # secondary class score book, one year

    @property
    def display_name(self) -> str:
        return {
            RecordType.HOC_BA_TRUNG_HOC: "Học bạ",
            RecordType.HOC_BA_TIEU_HOC: "Học bạ",
            RecordType.BANG_TONG_HOP: "Bảng tổng hợp kết quả đánh giá giáo dục",
            RecordType.SO_THEO_DOI: "Sổ theo dõi và đánh giá học sinh",
        }[self]


@dataclass(frozen=True)
class RecordDocument:
    """One record book to render: its identity, its payload and who is concerned."""

    document_id: str
    record_type: RecordType
    class_id: str
    student_code: str | None  # for per-student records
    point: AssessmentPoint | None  # for the primary class summary
    payload: dict[str, Any]

    @property
    def file_stem(self) -> str:
        return self.document_id


def document_id(ds: Dataset, record_type: RecordType, *parts: str) -> str:
    """Stable, readable id: the same record always gets the same id (no randomness, no time)."""
    prefix = {
        RecordType.HOC_BA_TRUNG_HOC: "HB",
        RecordType.HOC_BA_TIEU_HOC: "HB",
        RecordType.BANG_TONG_HOP: "BTH",
        RecordType.SO_THEO_DOI: "STD",
    }[record_type]
    return "-".join([prefix, ds.school.code, str(ds.year.start), *parts])


# ------------------------------------------------------------------ building blocks


def _person(t: Teacher | None, fallback_id: str) -> dict[str, Any]:
    return {"id": fallback_id, "full_name": t.full_name if t else fallback_id}


def _header(
    ds: Dataset, record_type: RecordType, doc_id: str, c: SchoolClass, rule_set: str
) -> dict[str, Any]:
    return {
        "schema": PAYLOAD_SCHEMA,
        "schema_version": PAYLOAD_VERSION,
        "record_type": record_type.value,
        "document_id": doc_id,
        "rule_set": rule_set,
        "province": {"code": ds.province.code, "name": ds.province.name},
        "district": {"code": ds.district.code, "name": ds.district.name},
        "school": {
            "code": ds.school.code,
            "name": ds.school.name,
            "commune": ds.school.commune,
            "authority": ds.school.authority,
        },
        "school_year": ds.school_year,
        "class": {
            "id": c.id,
            "name": c.name,
            "grade": c.grade,
            "level": c.level.value,
            "homeroom_teacher": _person(ds.teacher(c.homeroom_teacher), c.homeroom_teacher),
            "size": len(c.students),
        },
        "principal": _person(ds.teacher(ds.school.principal), ds.school.principal),
    }


def _student(s: Student) -> dict[str, Any]:
    data = s.model_dump(mode="python")
    data["birth_date"] = s.birth_date.isoformat()
    data["gender"] = s.gender.value
    return data


def _teachers_of(ds: Dataset, c: SchoolClass, subject: str) -> list[dict[str, Any]]:
    cs = next((x for x in c.subjects if x.code == subject), None)
    return [_person(ds.teacher(t), t) for t in (cs.teachers if cs else [])]


def _val(v: Any) -> Any:
    """Enum → its Vietnamese value; everything else as is."""
    return v.value if isinstance(v, StrEnum) else v


# ------------------------------------------------------------------ secondary


def _secondary_subject_rows(
    ds: Dataset, c: SchoolClass, year: SecondaryStudentYear, result: SecondaryYearResult
) -> list[dict[str, Any]]:
    rules = secondary_rules(c.grade, ds.school_year)
    rows: list[dict[str, Any]] = []
    for spec in rules.subjects:  # catalogue order = the form's row order
        r = result.subjects.get(spec.code)
        if r is None:
            continue
        a = year.subjects.get(spec.code)
        rows.append(
            {
                "code": spec.code,
                "name": spec.name,
                "scored": r.scored,
                "teachers": _teachers_of(ds, c, spec.code),
                "term1": r.term1_average if r.scored else _val(r.term1_level),
                "term2": r.term2_average if r.scored else _val(r.term2_level),
                "year": r.year_average if r.scored else _val(r.year_level),
                "retest": r.retest_score if r.scored else _val(r.retest_level),
                "comment": a.comment if a else "",
            }
        )
    return rows


def _secondary_summary(year: SecondaryStudentYear, result: SecondaryYearResult) -> dict[str, Any]:
    return {
        "conduct": {
            "term1": _val(result.conduct_term1),
            "term2": _val(result.conduct_term2),
            "year": _val(result.conduct_year),
        },
        "learning": {
            "term1": _val(result.learning_term1),
            "term2": _val(result.learning_term2),
            "year": _val(result.learning_year),
        },
        # after the summer re-test / conduct training (TT22 đánh giá lại); None when not applicable
        "reevaluated": {
            "learning": _val(result.learning_year_reevaluated),
            "conduct": _val(result.conduct_year_reevaluated),
            "promoted": result.promoted_after_reevaluation,
        },
        "absences": {
            "term1": year.absences_term1,
            "term2": year.absences_term2,
            "year": result.absences,
        },
        "promotion": _val(result.promotion),
        "title": _val(result.title),
        "notes": list(result.notes),
        "rewards": year.rewards,
        "competitions": year.competitions,
        "homeroom_comment": year.homeroom_comment,
    }


def hoc_ba_trung_hoc(ds: Dataset, c: SchoolClass, cs: ClassStudent) -> RecordDocument:
    year = cs.secondary or SecondaryStudentYear()
    rules = secondary_rules(c.grade, ds.school_year)
    result = rules.compute(c, year)
    doc_id = document_id(ds, RecordType.HOC_BA_TRUNG_HOC, cs.student.code)
    payload = _header(ds, RecordType.HOC_BA_TRUNG_HOC, doc_id, c, rules.id)
    payload["student"] = _student(cs.student)
    payload["subjects"] = _secondary_subject_rows(ds, c, year, result)
    payload["summary"] = _secondary_summary(year, result)
    return RecordDocument(doc_id, RecordType.HOC_BA_TRUNG_HOC, c.id, cs.student.code, None, payload)


def so_theo_doi(ds: Dataset, c: SchoolClass) -> RecordDocument:
    rules = secondary_rules(c.grade, ds.school_year)
    doc_id = document_id(ds, RecordType.SO_THEO_DOI, c.id)
    payload = _header(ds, RecordType.SO_THEO_DOI, doc_id, c, rules.id)
    results = {
        cs.student.code: rules.compute(c, cs.secondary or SecondaryStudentYear())
        for cs in c.students
    }
    subjects: list[dict[str, Any]] = []
    for spec in rules.subjects:
        cls_subject = next((x for x in c.subjects if x.code == spec.code), None)
        if cls_subject is None:
            continue
        entries: list[dict[str, Any]] = []
        for cs in c.students:
            a = (cs.secondary or SecondaryStudentYear()).subjects.get(spec.code)
            r = results[cs.student.code].subjects[spec.code]
            if spec.kind is AssessmentKind.SCORED:
                terms = [a.term1 if a else None, a.term2 if a else None]
                entries.append(
                    {
                        "student": cs.student.code,
                        "terms": [
                            {
                                "regular": list(t.regular) if t else [],
                                "midterm": t.midterm if t else None,
                                "final": t.final if t else None,
                            }
                            for t in terms
                        ],
                        "term1": r.term1_average,
                        "term2": r.term2_average,
                        "year": r.year_average,
                        "retest": r.retest_score,
                    }
                )
            else:
                entries.append(
                    {
                        "student": cs.student.code,
                        "term1": _val(r.term1_level),
                        "term2": _val(r.term2_level),
                        "year": _val(r.year_level),
                        "retest": _val(r.retest_level),
                    }
                )
        subjects.append(
            {
                "code": spec.code,
                "name": spec.name,
                "short_name": spec.short_name,  # column headers of the year summary
                "scored": spec.kind is AssessmentKind.SCORED,
                "periods_per_year": cls_subject.periods_per_year,
                "regular_count": rules.required_regular_count(cls_subject.periods_per_year),
                "teachers": _teachers_of(ds, c, spec.code),
                "entries": entries,
            }
        )
    payload["students"] = [
        {"stt": i + 1, **_student(cs.student)} for i, cs in enumerate(c.students)
    ]
    payload["subjects"] = subjects
    payload["summaries"] = [
        {
            "student": cs.student.code,
            **_secondary_summary(cs.secondary or SecondaryStudentYear(), results[cs.student.code]),
        }
        for cs in c.students
    ]
    return RecordDocument(doc_id, RecordType.SO_THEO_DOI, c.id, None, None, payload)


# ------------------------------------------------------------------ primary


def _primary_catalogue(c: SchoolClass, rules: TT27) -> dict[str, Any]:
    subjects = [
        {
            "code": spec.code,
            "name": spec.name,
            "short_name": spec.short_name,
            "test_points": sorted(p.value for p in spec.test_points_for(c.grade)),
        }
        for spec in rules.subjects
        if any(x.code == spec.code for x in c.subjects)
    ]
    return {
        "subjects": subjects,
        "qualities": [{"code": q.code, "name": q.name} for q in rules.qualities_for(c.grade)],
        "competences": [
            {"code": q.code, "name": q.name, "group": q.group}
            for q in rules.competences_for(c.grade)
        ],
    }


def hoc_ba_tieu_hoc(ds: Dataset, c: SchoolClass, cs: ClassStudent) -> RecordDocument:
    rules = primary_rules(c.grade, ds.school_year)
    assert isinstance(rules, TT27)  # the only primary rule set; its catalogue helpers are used
    year = cs.primary or PrimaryStudentYear()
    outcome: PrimaryYearOutcome = rules.compute(c, year)
    cn = year.points.get(AssessmentPoint.CN)
    doc_id = document_id(ds, RecordType.HOC_BA_TIEU_HOC, cs.student.code)
    payload = _header(ds, RecordType.HOC_BA_TIEU_HOC, doc_id, c, rules.id)
    payload["student"] = _student(cs.student)
    catalogue = _primary_catalogue(c, rules)
    payload["subjects"] = [
        {
            **s,
            "level": _val(outcome.subject_levels.get(s["code"])),
            "score": outcome.year_scores.get(s["code"]),
            "comment": (cn.subjects[s["code"]].comment if cn and s["code"] in cn.subjects else ""),
        }
        for s in catalogue["subjects"]
    ]
    payload["qualities"] = [
        {**q, "level": _val(outcome.qualities.get(q["code"]))} for q in catalogue["qualities"]
    ]
    payload["competences"] = [
        {**q, "level": _val(outcome.competences.get(q["code"]))} for q in catalogue["competences"]
    ]
    payload["summary"] = {
        "height_cm": year.height_cm,
        "weight_kg": year.weight_kg,
        "absences_excused": year.absences_excused,
        "absences_unexcused": year.absences_unexcused,
        "result": _val(outcome.result),
        "title": _val(outcome.title),
        "completes_grade": outcome.completes_grade,
        "rewards": year.rewards,
        "comment": cn.comment if cn else "",
        "notes": list(outcome.notes),
    }
    return RecordDocument(doc_id, RecordType.HOC_BA_TIEU_HOC, c.id, cs.student.code, None, payload)


def bang_tong_hop(ds: Dataset, c: SchoolClass, point: AssessmentPoint) -> RecordDocument:
    rules = primary_rules(c.grade, ds.school_year)
    assert isinstance(rules, TT27)
    doc_id = document_id(ds, RecordType.BANG_TONG_HOP, c.id, point.value)
    payload = _header(ds, RecordType.BANG_TONG_HOP, doc_id, c, rules.id)
    catalogue = _primary_catalogue(c, rules)
    payload["point"] = {"code": point.value, "label": POINT_LABELS[point]}
    payload.update(catalogue)
    rows: list[dict[str, Any]] = []
    for i, cs in enumerate(c.students):
        year = cs.primary or PrimaryStudentYear()
        pa = year.points.get(point)
        row: dict[str, Any] = {
            "stt": i + 1,
            "student": cs.student.code,
            "full_name": cs.student.full_name,
            "gender": cs.student.gender.value,
            "birth_date": cs.student.birth_date.isoformat(),
            "subjects": {
                s["code"]: {
                    "level": _val(pa.subjects[s["code"]].level)
                    if pa and s["code"] in pa.subjects
                    else None,
                    "score": pa.subjects[s["code"]].score
                    if pa and s["code"] in pa.subjects
                    else None,
                }
                for s in catalogue["subjects"]
            },
            "qualities": {
                q["code"]: _val(pa.qualities.get(q["code"])) if pa else None
                for q in catalogue["qualities"]
            },
            "competences": {
                q["code"]: _val(pa.competences.get(q["code"])) if pa else None
                for q in catalogue["competences"]
            },
            "comment": pa.comment if pa else "",
        }
        if point is AssessmentPoint.CN:
            outcome = rules.compute(c, year)
            row["result"] = _val(outcome.result)
            row["title"] = _val(outcome.title)
            row["rewards"] = year.rewards
        rows.append(row)
    payload["rows"] = rows
    return RecordDocument(doc_id, RecordType.BANG_TONG_HOP, c.id, None, point, payload)


# ------------------------------------------------------------------ all records of a dataset


def all_documents(ds: Dataset) -> Iterator[RecordDocument]:
    """Every record book of the dataset, in a stable order (class by class)."""
    for c in ds.classes:
        if c.level is Level.TH:
            for point in AssessmentPoint:
                yield bang_tong_hop(ds, c, point)
            for cs in c.students:
                yield hoc_ba_tieu_hoc(ds, c, cs)
        else:
            yield so_theo_doi(ds, c)
            for cs in c.students:
                yield hoc_ba_trung_hoc(ds, c, cs)


def decimal_text(value: Decimal | None) -> str:
    """Decimal comma for documents: 8.5 → "8,5"."""
    return "" if value is None else f"{value:.1f}".replace(".", ",")
