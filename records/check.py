"""``hsdt check``: read a file, report every finding and the recomputed results, store nothing.

:func:`check_file` never raises for bad input (wrong type, empty, unreadable, broken workbook):
those are findings. The results are computed by the class's rule set from the raw assessments —
the same numbers the rendered records will show — so a teacher can compare them with their book.
The JSON form (:meth:`CheckReport.to_json`) is documented in docs/import-format.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from records.findings import Finding, Severity
from records.importers import FileKind, ImportResult, SubjectSheet, load
from records.model import Dataset, Level, SchoolClass
from records.results import PrimaryYearOutcome, SecondaryYearResult, SubjectResult
from records.rules import NoRuleSetError, primary_rules, secondary_rules

REPORT_FORMAT = "hsdt/check-report"
REPORT_VERSION = 1


@dataclass(frozen=True)
class StudentResults:
    code: str
    full_name: str
    secondary: SecondaryYearResult | None = None
    primary: PrimaryYearOutcome | None = None


@dataclass(frozen=True)
class ClassResults:
    id: str
    grade: int
    rule_set: str | None  # None: no rule set covers this grade and year (finding rules.none)
    students: tuple[StudentResults, ...]


@dataclass(frozen=True)
class CheckReport:
    file: str
    kind: FileKind | None
    findings: list[Finding]  # errors first, then warnings; each in file order
    dataset: Dataset | None
    sheet: SubjectSheet | None  # a CSV score sheet
    classes: tuple[ClassResults, ...]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """No errors, and something was read: the file may be imported."""
        return not self.errors and (self.dataset is not None or self.sheet is not None)

    def to_json(self) -> dict[str, Any]:
        students = sum(len(c.students) for c in self.classes)
        out: dict[str, Any] = {
            "format": REPORT_FORMAT,
            "format_version": REPORT_VERSION,
            "file": self.file,
            "kind": self.kind.value if self.kind else None,
            "ok": self.ok,
            "counts": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "classes": len(self.classes),
                "students": students if self.sheet is None else len(self.sheet.rows),
            },
            "findings": [f.to_json() for f in self.findings],
            "classes": [_class_json(c) for c in self.classes],
        }
        if self.sheet is not None:
            out["subject_sheet"] = _sheet_json(self.sheet)
        return out


def check_file(path: Path) -> CheckReport:
    """Check one .json, .xlsx or .csv file (see docs/import-format.md)."""
    return report_for(load(path))


def report_for(result: ImportResult) -> CheckReport:
    findings = sorted(result.findings, key=lambda f: f.severity is not Severity.ERROR)
    classes = compute_results(result.dataset) if result.dataset is not None else ()
    return CheckReport(result.file, result.kind, findings, result.dataset, result.sheet, classes)


def compute_results(ds: Dataset) -> tuple[ClassResults, ...]:
    """Every student's results under their class's rule set (none where no rule set applies)."""
    return tuple(_class_results(ds, cls) for cls in ds.classes)


def _class_results(ds: Dataset, cls: SchoolClass) -> ClassResults:
    try:
        if cls.level is Level.TH:
            primary = primary_rules(cls.grade, ds.school_year)
            rows = tuple(
                StudentResults(
                    s.student.code,
                    s.student.full_name,
                    primary=primary.compute(cls, s.primary) if s.primary else None,
                )
                for s in cls.students
            )
            return ClassResults(cls.id, cls.grade, primary.id, rows)
        secondary = secondary_rules(cls.grade, ds.school_year)
    except (NoRuleSetError, ValueError):
        bare = tuple(StudentResults(s.student.code, s.student.full_name) for s in cls.students)
        return ClassResults(cls.id, cls.grade, None, bare)
    rows = tuple(
        StudentResults(
            s.student.code,
            s.student.full_name,
            secondary=secondary.compute(cls, s.secondary) if s.secondary else None,
        )
        for s in cls.students
    )
    return ClassResults(cls.id, cls.grade, secondary.id, rows)


# ---------------------------------------------------------------- JSON


def _plain(value: Any) -> Any:
    """Exact decimals as strings ("8.5"), enums as their Vietnamese values."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _subject_json(r: SubjectResult) -> dict[str, Any]:
    keys = (
        ("term1_average", "term2_average", "year_average")
        if r.scored
        else ("term1_level", "term2_level", "year_level")
    )
    out = {k: _plain(getattr(r, k)) for k in keys}
    for k in ("retest_score", "retest_level"):
        if getattr(r, k) is not None:
            out[k] = _plain(getattr(r, k))
    return {"scored": r.scored, **out}


def _secondary_json(r: SecondaryYearResult) -> dict[str, Any]:
    return {
        "learning": {
            "term1": _plain(r.learning_term1),
            "term2": _plain(r.learning_term2),
            "year": _plain(r.learning_year),
            "year_reevaluated": _plain(r.learning_year_reevaluated),
        },
        "conduct": {
            "term1": _plain(r.conduct_term1),
            "term2": _plain(r.conduct_term2),
            "year": _plain(r.conduct_year),
            "year_reevaluated": _plain(r.conduct_year_reevaluated),
        },
        "absences": r.absences,
        "promotion": _plain(r.promotion),
        "title": _plain(r.title),
        "subjects": {code: _subject_json(s) for code, s in r.subjects.items()},
        "notes": list(r.notes),
    }


def _primary_json(r: PrimaryYearOutcome) -> dict[str, Any]:
    return {
        "result": _plain(r.result),
        "title": _plain(r.title),
        "completes_grade": r.completes_grade,
        "subjects": {code: _plain(level) for code, level in r.subject_levels.items()},
        "year_scores": dict(r.year_scores),
        "qualities": {code: _plain(v) for code, v in r.qualities.items()},
        "competences": {code: _plain(v) for code, v in r.competences.items()},
        "notes": list(r.notes),
    }


def _class_json(c: ClassResults) -> dict[str, Any]:
    students = []
    for s in c.students:
        row: dict[str, Any] = {"code": s.code, "full_name": s.full_name}
        if s.secondary is not None:
            row["secondary"] = _secondary_json(s.secondary)
        if s.primary is not None:
            row["primary"] = _primary_json(s.primary)
        students.append(row)
    return {"id": c.id, "grade": c.grade, "rule_set": c.rule_set, "students": students}


def _sheet_json(sheet: SubjectSheet) -> dict[str, Any]:
    return {
        "school_year": sheet.school_year,
        "school_code": sheet.school_code,
        "class_id": sheet.class_id,
        "grade": sheet.grade,
        "subject": sheet.subject,
        "periods_per_year": sheet.periods_per_year,
        "rule_set": sheet.rule_set,
        "students": [
            {
                "code": r.code,
                "full_name": r.full_name,
                **({"results": _subject_json(r.computed)} if r.computed else {}),
            }
            for r in sheet.rows
        ],
    }
