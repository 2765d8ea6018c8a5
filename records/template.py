"""Score-sheet templates: one XLSX workbook per class, one CSV per subject of a class.

Blank templates carry the headers, drop-down lists and number checks; given a dataset they are
pre-filled (roster, teachers, subjects, every score), so that dataset → workbook → import gives the
same dataset back. The layout itself lives in :mod:`records.importers.layout`, shared with the
readers; docs/import-format.md describes it for people.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from records.importers.layout import (
    CHOICES,
    CONDUCT_COLUMNS,
    CONDUCT_SHEET,
    CSV_LEADING,
    FIRST_ROW,
    HEADER_ROW,
    INFO_ROWS,
    INFO_SHEET,
    INFO_TEACHER_ROWS,
    LISTS_SHEET,
    POINT_SHEETS,
    PRIMARY_YEAR_COLUMNS,
    PRIMARY_YEAR_SHEET,
    REGULAR_COLUMNS,
    STUDENT_COLUMNS,
    STUDENTS_SHEET,
    SUBJECT_COLUMNS,
    SUBJECTS_SHEET,
    TEACHER_COLUMNS,
    TEACHERS_SHEET,
    TEMPLATE_NAME,
    TEMPLATE_VERSION,
    TITLE_ROW,
    Column,
    Kind,
    comment_subject_columns,
    get_path,
    point_columns,
    scored_subject_columns,
    subject_sheet_name,
)
from records.model import ClassSubject, Dataset, Level, SchoolClass
from records.rules import TT22, TT27, AssessmentKind, PrimaryRuleSet, SecondaryRuleSet, SubjectSpec

BLANK_ROWS = 60  # rows prepared (formats, drop-downs) below the data in a template
_HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
_THIN = Side(style="thin", color="999999")


class TemplateError(ValueError):
    """A template cannot be made as asked (unknown subject, a class that is not there, data the
    sheets have no cell for). The message says what to change."""


# ---------------------------------------------------------------- public API


def write_xlsx_template(
    path: Path,
    *,
    grade: int | None = None,
    subjects: Sequence[str] | None = None,
    school_year: str | None = None,
    dataset: Dataset | None = None,
    class_id: str | None = None,
) -> None:
    """Write one class's workbook to ``path`` (see :func:`xlsx_template_bytes`)."""
    path.write_bytes(
        xlsx_template_bytes(
            grade=grade,
            subjects=subjects,
            school_year=school_year,
            dataset=dataset,
            class_id=class_id,
        )
    )


def xlsx_template_bytes(
    *,
    grade: int | None = None,
    subjects: Sequence[str] | None = None,
    school_year: str | None = None,
    dataset: Dataset | None = None,
    class_id: str | None = None,
) -> bytes:
    """A class workbook. Without ``dataset``: blank, for ``grade`` and ``subjects`` (default: the
    grade's compulsory subjects). With ``dataset``: the class ``class_id`` (or the first class of
    ``grade``, or the first class), pre-filled with everything the dataset holds for it."""
    if dataset is not None:
        cls = _pick_class(dataset, grade, class_id)
        return _Writer(cls, dataset.school_year, dataset).workbook()
    if grade is None:
        raise TemplateError("Cần khối lớp (--grade) để tạo mẫu trống.")
    return _Writer(_blank(grade, subjects), school_year or "").workbook()


def write_csv_template(
    path: Path,
    *,
    grade: int,
    subject: str,
    school_year: str | None = None,
    dataset: Dataset | None = None,
    class_id: str | None = None,
) -> None:
    """Write a CSV score sheet for one subject of one class (see :func:`csv_template_bytes`)."""
    path.write_bytes(
        csv_template_bytes(
            grade=grade,
            subject=subject,
            school_year=school_year,
            dataset=dataset,
            class_id=class_id,
        )
    )


def csv_template_bytes(
    *,
    grade: int,
    subject: str,
    school_year: str | None = None,
    dataset: Dataset | None = None,
    class_id: str | None = None,
) -> bytes:
    """UTF-8 (with BOM, so that Excel shows Vietnamese) CSV: header plus one row per student when
    a dataset is given. Secondary subjects only: primary classes use the XLSX workbook."""
    if Level.of_grade(grade) is Level.TH:
        raise TemplateError("Mẫu CSV dành cho một môn THCS/THPT; tiểu học dùng mẫu XLSX.")
    rules = TT22()
    spec = rules.subject(subject)
    if spec is None or grade not in spec.grades:
        raise TemplateError(
            f"Môn «{subject}» không có trong chương trình khối {grade} (TT22/2021)."
        )
    if dataset is not None:
        cls = _pick_class(dataset, grade, class_id)
        year, school = dataset.school_year, dataset.school.code
    else:
        cls = SchoolClass(
            id="", name="", grade=grade, homeroom_teacher="", subjects=[], students=[]
        )
        year, school = school_year or "", ""
    periods = next((s.periods_per_year for s in cls.subjects if s.code == subject), None)
    columns = _subject_columns(spec, cls)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in (*CSV_LEADING, *columns)])
    leading = {
        "school_year": year,
        "school_code": school,
        "class_id": cls.id,
        "grade": grade,
        "subject": subject,
        "periods_per_year": periods or spec.default_periods,
    }
    for i, cs in enumerate(cls.students):
        row_obj = _row_object(cs.secondary.subjects.get(subject) if cs.secondary else None, i, cs)
        writer.writerow(
            [_csv_cell(c, get_path(leading, c.path)) for c in CSV_LEADING]
            + [_csv_cell(c, get_path(row_obj, c.path)) for c in columns]
        )
    if not cls.students:  # a blank sheet still shows what a row looks like
        writer.writerow([_csv_cell(c, get_path(leading, c.path)) for c in CSV_LEADING])
    return out.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------- choosing what to write


def _pick_class(ds: Dataset, grade: int | None, class_id: str | None) -> SchoolClass:
    for cls in ds.classes:
        if (class_id is None or cls.id == class_id) and (grade is None or cls.grade == grade):
            return cls
    wanted = f"lớp {class_id}" if class_id else f"lớp nào của khối {grade}"
    raise TemplateError(f"Dữ liệu của {ds.school.name} năm học {ds.school_year} không có {wanted}.")


def _blank(grade: int, subjects: Sequence[str] | None) -> SchoolClass:
    if not 1 <= grade <= 12:
        raise TemplateError(f"Khối lớp {grade} không có (1–12).")
    level = Level.of_grade(grade)
    catalogue = _catalogue(level)
    if subjects is None:
        codes = [s.code for s in catalogue.subjects if grade in s.grades and not s.optional]
    else:
        codes = list(subjects)
        for code in codes:
            spec = catalogue.subject(code)
            if spec is None or grade not in spec.grades:
                raise TemplateError(f"Môn «{code}» không có trong chương trình khối {grade}.")
    class_subjects = []
    for code in codes:
        spec = catalogue.subject(code)
        assert spec is not None
        class_subjects.append(
            ClassSubject(code=code, periods_per_year=spec.default_periods, teachers=[])
        )
    return SchoolClass(
        id="", name="", grade=grade, homeroom_teacher="", subjects=class_subjects, students=[]
    )


def _catalogue(level: Level) -> SecondaryRuleSet | PrimaryRuleSet:
    # The newest catalogue; a blank template does not depend on the school year.
    return TT27() if level is Level.TH else TT22()


def _subject_columns(spec: SubjectSpec, cls: SchoolClass) -> tuple[Column, ...]:
    if spec.kind is AssessmentKind.COMMENT:
        return comment_subject_columns()
    most = max(
        (
            len(term.regular)
            for s in cls.students
            if s.secondary and (a := s.secondary.subjects.get(spec.code))
            for term in (a.term1, a.term2)
            if term is not None
        ),
        default=0,
    )
    return scored_subject_columns(max(most, REGULAR_COLUMNS))


def _row_object(obj: Any, i: int, cs: Any) -> dict[str, Any]:
    """A row's values: the model dump plus the identity columns every student sheet starts with."""
    dumped = obj.model_dump(mode="python") if obj is not None else {}
    return {**dumped, "_stt": i + 1, "_code": cs.student.code, "_name": cs.student.full_name}


def _unrepresentable(cls: SchoolClass, catalogue: SecondaryRuleSet | PrimaryRuleSet) -> list[str]:
    """Data the class's sheets have no cell for (it would be lost): refuse rather than drop it."""
    problems: list[str] = []
    codes = {s.code for s in cls.subjects}
    for cs in cls.students:
        who = f"học sinh {cs.student.code}"
        if cs.secondary is not None:
            for code, a in cs.secondary.subjects.items():
                spec = catalogue.subject(code)
                if code not in codes or spec is None:
                    problems.append(f"{who}: môn {code} không có trong danh sách môn của lớp")
                elif spec.kind is AssessmentKind.SCORED and (
                    a.comment1 or a.comment2 or a.submitted_year_level or a.retest_level
                ):
                    problems.append(f"{who}: môn {code} chấm điểm nhưng có mức Đ/CĐ")
                elif spec.kind is AssessmentKind.COMMENT and (
                    a.term1
                    or a.term2
                    or a.submitted_year_average is not None
                    or a.retest_score is not None
                ):
                    problems.append(f"{who}: môn {code} đánh giá bằng nhận xét nhưng có điểm")
        if cs.primary is not None:
            for point, pa in cs.primary.points.items():
                for code, mark in pa.subjects.items():
                    spec = catalogue.subject(code)
                    if code not in codes or spec is None:
                        problems.append(f"{who}: môn {code} không có trong danh sách môn của lớp")
                    elif mark.score is not None and point not in spec.test_points_for(cls.grade):
                        problems.append(f"{who}: môn {code} có điểm KTĐK ở {point.value}")
    return problems


# ---------------------------------------------------------------- cells


def _cell_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind in (Kind.IDS, Kind.LEVELS):
        return ", ".join(str(v.value if isinstance(v, Enum) else v) for v in value) or None
    if column.kind is Kind.CHOICE and value == "" and column.choice and column.choice.none_label:
        return column.choice.none_label
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return value or None
    return value


def _csv_cell(column: Column, value: Any) -> str:
    shown = _cell_value(column, value)
    if shown is None:
        return ""
    if isinstance(shown, date):
        return shown.strftime("%d/%m/%Y")
    return str(shown)


class _Writer:
    def __init__(self, cls: SchoolClass, school_year: str, ds: Dataset | None = None) -> None:
        self.cls, self.school_year, self.ds = cls, school_year, ds
        self.level = cls.level
        self.catalogue = _catalogue(self.level)
        self.lists: dict[str, str] = {}  # choice name → range on the lists sheet
        problems = _unrepresentable(cls, self.catalogue)
        if problems:
            raise TemplateError(
                "Dữ liệu có chỗ mẫu XLSX không có ô để ghi (sửa dữ liệu trước): "
                + "; ".join(problems[:10])
                + (f"; và {len(problems) - 10} chỗ khác" if len(problems) > 10 else "")
            )

    def workbook(self) -> bytes:
        wb = Workbook()
        wb.remove(wb.active)
        wb.properties.title = f"{TEMPLATE_NAME} v{TEMPLATE_VERSION}"
        wb.properties.creator = "hsdt"
        self.lists_sheet(wb)
        self.info(wb.create_sheet(INFO_SHEET, 0))
        cls, ds = self.cls, self.ds
        teachers = [t.model_dump(mode="python") for t in ds.teachers] if ds else []
        self.table(wb, TEACHERS_SHEET, TEACHER_COLUMNS, teachers, "Danh sách giáo viên")
        students = [
            {"student": s.student.model_dump(mode="python"), "_stt": i + 1}
            for i, s in enumerate(cls.students)
        ]
        self.table(wb, STUDENTS_SHEET, STUDENT_COLUMNS, students, "Danh sách học sinh", freeze="E3")
        subjects = []
        for i, s in enumerate(cls.subjects):
            spec = self.catalogue.subject(s.code)
            subjects.append(
                {
                    **s.model_dump(mode="python"),
                    "_stt": i + 1,
                    "_name": spec.name if spec else s.code,
                }
            )
        self.table(
            wb, SUBJECTS_SHEET, SUBJECT_COLUMNS, subjects, "Môn học và hoạt động giáo dục của lớp"
        )
        if self.level is Level.TH:
            self.primary(wb)
        else:
            self.secondary(wb)
        wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    def title(self, text: str) -> str:
        cls = self.cls
        where = f" — Lớp {cls.id}" if cls.id else f" — Khối {cls.grade}"
        year = f" — Năm học {self.school_year}" if self.school_year else ""
        return f"{text.upper()}{where}{year}"

    def lists_sheet(self, wb: Workbook) -> None:
        ws = wb.create_sheet(LISTS_SHEET)
        for i, choice in enumerate(CHOICES, start=1):
            letter = get_column_letter(i)
            values = [*choice.values, *([choice.none_label] if choice.none_label else [])]
            ws.cell(1, i, choice.name).font = Font(bold=True)
            for r, value in enumerate(values, start=2):
                ws.cell(r, i, value)
            self.lists[choice.name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
            ws.column_dimensions[letter].width = max(len(v) for v in values) + 2
        ws.sheet_state = "hidden"

    def info(self, ws: Worksheet) -> None:
        ws.cell(TITLE_ROW, 1, self.title("Thông tin trường, lớp")).font = Font(bold=True, size=13)
        values: dict[str, Any] = {"school_year": self.school_year or None}
        if self.ds is not None:
            values |= self.ds.model_dump(mode="python", include={"province", "district", "school"})
        else:
            values["school"] = {"levels": [self.level]}
        values["class"] = {
            "id": self.cls.id or None,
            "name": self.cls.name or None,
            "grade": self.cls.grade,
            "homeroom_teacher": self.cls.homeroom_teacher or None,
        }
        for r, column in enumerate(INFO_ROWS, start=HEADER_ROW):
            ws.cell(r, 1, column.header).font = Font(bold=True)
            cell = ws.cell(r, 2, _cell_value(column, get_path(values, column.path)))
            if column.kind is Kind.CODE:
                cell.number_format = "@"
            if column.path in INFO_TEACHER_ROWS:  # the teacher's name, for people only
                ws.cell(r, 3, f"=IFERROR(VLOOKUP(B{r},'{TEACHERS_SHEET}'!$A:$B,2,FALSE),\"\")")
        ws.column_dimensions["A"].width = 58
        ws.column_dimensions["B"].width = 40
        ws.column_dimensions["C"].width = 28

    def table(
        self,
        wb: Workbook,
        title: str,
        columns: Sequence[Column],
        rows: Sequence[dict[str, Any]],
        caption: str,
        freeze: str = "A3",
    ) -> Worksheet:
        ws = wb.create_sheet(title)
        ws.cell(TITLE_ROW, 1, self.title(caption)).font = Font(bold=True, size=13)
        for i, column in enumerate(columns, start=1):
            cell = ws.cell(HEADER_ROW, i, column.header)
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            cell.border = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
            ws.column_dimensions[get_column_letter(i)].width = column.width
        ws.row_dimensions[HEADER_ROW].height = 45
        ws.freeze_panes = freeze
        for r, obj in enumerate(rows, start=FIRST_ROW):
            for i, column in enumerate(columns, start=1):
                value = _cell_value(column, get_path(obj, column.path))
                cell = ws.cell(r, i, value)
                if column.kind is Kind.DATE:
                    cell.number_format = "DD/MM/YYYY"
                elif column.kind is Kind.CODE:
                    cell.number_format = "@"
        last = FIRST_ROW + max(len(rows), 0) + BLANK_ROWS - 1
        for i, column in enumerate(columns, start=1):
            self.validate_column(
                ws, column, f"{get_column_letter(i)}{FIRST_ROW}:{get_column_letter(i)}{last}"
            )
            if column.kind is Kind.CODE:
                for r in range(FIRST_ROW + len(rows), last + 1):
                    ws.cell(r, i).number_format = "@"
        return ws

    def validate_column(self, ws: Worksheet, column: Column, cells: str) -> None:
        dv: DataValidation | None = None
        if column.kind is Kind.CHOICE and column.choice is not None:
            dv = DataValidation(
                type="list", formula1=self.lists[column.choice.name], allow_blank=True
            )
            dv.error = f"Chọn một giá trị trong danh sách «{column.choice.name}»."
        elif column.kind is Kind.SCORE:
            dv = DataValidation(
                type="decimal", operator="between", formula1="0", formula2="10", allow_blank=True
            )
            dv.error = "Điểm từ 0 đến 10, một chữ số thập phân (ví dụ 7,5)."
        elif column.kind is Kind.PRIMARY_SCORE:
            dv = DataValidation(
                type="whole", operator="between", formula1="1", formula2="10", allow_blank=True
            )
            dv.error = "Điểm kiểm tra định kì là số nguyên từ 1 đến 10."
        elif column.kind is Kind.INT:
            dv = DataValidation(
                type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
            )
            dv.error = "Nhập số nguyên không âm."
        if dv is not None:
            dv.errorTitle = column.header
            dv.showErrorMessage = True
            ws.add_data_validation(dv)
            dv.add(cells)

    def secondary(self, wb: Workbook) -> None:
        for s in self.cls.subjects:
            spec = self.catalogue.subject(s.code)
            if spec is None:
                continue
            columns = _subject_columns(spec, self.cls)
            rows = [
                _row_object(cs.secondary.subjects.get(s.code) if cs.secondary else None, i, cs)
                for i, cs in enumerate(self.cls.students)
            ]
            need = ""
            if spec.kind is AssessmentKind.SCORED and isinstance(self.catalogue, TT22):
                n = self.catalogue.required_regular_count(s.periods_per_year)
                need = f" ({s.periods_per_year} tiết/năm: {n} ĐĐGtx mỗi học kì)"
            self.table(
                wb, subject_sheet_name(spec, s.code), columns, rows, f"Môn {spec.name}{need}", "D3"
            )
        rows = [
            _row_object(
                cs.secondary.model_copy(update={"subjects": {}}) if cs.secondary else None, i, cs
            )
            for i, cs in enumerate(self.cls.students)
        ]
        self.table(wb, CONDUCT_SHEET, CONDUCT_COLUMNS, rows, "Rèn luyện, học tập, lên lớp", "D3")

    def primary(self, wb: Workbook) -> None:
        assert isinstance(self.catalogue, TT27)
        codes = [s.code for s in self.cls.subjects]
        for point, title in POINT_SHEETS.items():
            columns = point_columns(self.catalogue, self.cls.grade, codes, point)
            rows = [
                _row_object(cs.primary.points.get(point) if cs.primary else None, i, cs)
                for i, cs in enumerate(self.cls.students)
            ]
            self.table(wb, title, columns, rows, f"Đánh giá {title.lower()}", "D3")
        rows = [
            _row_object(cs.primary.model_copy(update={"points": {}}) if cs.primary else None, i, cs)
            for i, cs in enumerate(self.cls.students)
        ]
        self.table(wb, PRIMARY_YEAR_SHEET, PRIMARY_YEAR_COLUMNS, rows, "Tổng hợp cả năm", "D3")


__all__ = [
    "TemplateError",
    "csv_template_bytes",
    "write_csv_template",
    "write_xlsx_template",
    "xlsx_template_bytes",
]
