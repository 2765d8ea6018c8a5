"""One class's workbook (the «hsdt template xlsx» layout) → the canonical raw tree → a dataset.

Reading is forgiving where people differ (decimal comma, "Tốt" or "T", codes typed as numbers)
and strict where data would otherwise be lost: a renamed column, a missing sheet, a row whose
student is not on the roster are errors, never silently skipped.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from records import findings as F
from records.findings import Finding, JsonPath, Location
from records.importers import cells, limits
from records.importers.layout import (
    CONDUCT_COLUMNS,
    CONDUCT_SHEET,
    FIRST_ROW,
    HEADER_ROW,
    INFO_ROWS,
    INFO_SHEET,
    LISTS_SHEET,
    POINT_SHEETS,
    PRIMARY_YEAR_COLUMNS,
    PRIMARY_YEAR_SHEET,
    STUDENT_CODE,
    STUDENT_COLUMNS,
    STUDENTS_SHEET,
    SUBJECT_COLUMNS,
    SUBJECTS_SHEET,
    TEACHER_COLUMNS,
    TEACHERS_SHEET,
    Column,
    Kind,
    comment_subject_columns,
    normalise,
    point_columns,
    put_path,
    scored_subject_columns,
    subject_sheet_name,
)
from records.importers.pipeline import build
from records.importers.result import FileKind, ImportResult
from records.importers.source_map import SourceMap
from records.model import FORMAT_NAME, FORMAT_VERSION, Level
from records.rules import (
    TT22,
    TT27,
    AssessmentKind,
    NoRuleSetError,
    PrimaryRuleSet,
    SecondaryRuleSet,
    SubjectSpec,
    primary_rules,
    secondary_rules,
)

Row = tuple[int, tuple[Any, ...]]  # spreadsheet row number, cell values
Raw = dict[str, Any]


def read_xlsx(data: bytes, name: str) -> ImportResult:
    source = SourceMap(name)

    def failed(code: str, detail: str, sheet: str | None = None) -> ImportResult:
        finding = Finding(code, Location(file=name, sheet=sheet), detail)
        return ImportResult(name, FileKind.XLSX, None, [finding], source)

    too_large = limits.zip_too_large(data)
    if too_large is not None:
        return failed(F.FILE_TOO_LARGE, too_large)
    dtd = limits.zip_declares_dtd(data)
    if dtd is not None:
        return failed(F.FILE_UNREADABLE, dtd)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _BROKEN as error:
        return failed(F.FILE_UNREADABLE, f"Không đọc được bảng tính: {_why(error)}.")
    title = None
    try:
        sheets: dict[str, tuple[str, list[Row]]] = {}
        cell_findings: list[Finding] = []
        for ws in book.worksheets:
            title = ws.title
            rows = _bounded_rows(ws)
            sheets[normalise(ws.title)] = (ws.title, rows)
            xml = _sheet_xml(ws)
            cell_findings += _merged_cells(name, ws.title, xml)
            if b"<f>" in xml or b"<f " in xml:
                cell_findings += _formula_cells(name, data, ws.title, rows)
    except _TooLarge as error:
        return failed(F.FILE_TOO_LARGE, str(error), title)
    except _BROKEN as error:
        where = f" (sheet «{title}»)" if title else ""
        return failed(F.FILE_UNREADABLE, f"Không đọc được bảng tính{where}: {_why(error)}.", title)
    finally:
        book.close()
    if cell_findings:  # a merged or uncomputed cell would be read as blank: stop here
        return ImportResult(name, FileKind.XLSX, None, cell_findings, source)
    return _Book(name, source, sheets).read()


# What a damaged or hostile workbook makes the zip/XML layers raise (defusedxml's refusals of
# entities and DTDs are ValueErrors).
_BROKEN = (
    zipfile.BadZipFile,
    zlib.error,
    InvalidFileException,
    KeyError,
    OSError,
    EOFError,
    ValueError,
    TypeError,
    SyntaxError,  # xml.etree's ParseError
)


class _TooLarge(Exception):
    pass


def _why(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if "Entities" in type(error).__name__ or "DTD" in type(error).__name__:
        return "tệp chứa khai báo thực thể XML (DTD/ENTITY) — bảng tính Excel không bao giờ có"
    return limits.shown(text, 200)


def _bounded_rows(ws: Any) -> list[Row]:
    """The rows of ``ws`` by their real numbers, refusing sheets beyond the limits. The
    ``<dimension>`` a file declares is a claim, not a bound: read-only openpyxl would pad up to
    it (a «1 048 576 rows» claim) and drop real rows beyond it: it is checked, then ignored."""
    claimed_rows, claimed_columns = ws.max_row or 0, ws.max_column or 0
    if claimed_rows > limits.MAX_ROWS or claimed_columns > limits.MAX_COLUMNS:
        last = f"{get_column_letter(min(max(claimed_columns, 1), 18278))}{claimed_rows}"
        raise _TooLarge(
            f"Sheet «{ws.title}» khai báo vùng dữ liệu đến ô {last} (giới hạn {limits.MAX_ROWS} "
            f"dòng, {limits.MAX_COLUMNS} cột)."
        )
    ws.reset_dimensions()
    rows: list[Row] = []
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if number > limits.MAX_ROWS:
            raise _TooLarge(
                f"Sheet «{ws.title}» có dữ liệu sau dòng {limits.MAX_ROWS} "
                f"(giới hạn {limits.MAX_ROWS} dòng)."
            )
        if len(values) > limits.MAX_COLUMNS:
            raise _TooLarge(
                f"Sheet «{ws.title}» có dữ liệu ở cột {get_column_letter(len(values))}, dòng "
                f"{number} (giới hạn {limits.MAX_COLUMNS} cột)."
            )
        rows.append((number, tuple(values)))
    return rows


def _sheet_xml(ws: Any) -> bytes:
    # the zip's sizes were checked above: reading one part whole is bounded
    source = ws._get_source()  # openpyxl's own handle on this sheet's part
    try:
        data: bytes = source.read()
    finally:
        source.close()
    return data


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_CALLS_OUT = re.compile(
    r"HYPERLINK|WEBSERVICE|FILTERXML|CALL\(|REGISTER|\||\[\d+\]|!'?[A-Z]:\\", re.I
)


_TEMPLATE_FORMULA = "=IFERROR(VLOOKUP("  # records/template.py writes it, uncomputed


def _merged_cells(name: str, title: str, xml: bytes) -> list[Finding]:
    """Merged cells in the data rows: only the first cell of a merge keeps its value."""
    out = []
    for m in _MERGE.finditer(xml):
        first, last = int(m.group(2)), int(m.group(4) or m.group(2))
        if last < FIRST_ROW:  # a title or header merge holds no data
            continue
        ref = m.group(0).split(b'"')[1].decode()
        detail = f"Các ô {ref} được gộp: chỉ ô đầu giữ giá trị, các ô còn lại sẽ bị đọc là trống."
        where = Location(name, title, first, m.group(1).decode())
        out.append(Finding(F.CELL_MERGED, where, detail))
    return out


def _formula_cells(name: str, data: bytes, title: str, rows: list[Row]) -> list[Finding]:
    """Formulas Excel never computed (no cached value: they would read as blank) and formulas
    that call out (links, DDE, other files). A formula with a computed value is read as that
    value, as the teacher saw it."""
    values = {number: values for number, values in rows}
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    out = []
    try:
        ws = book[title]
        ws.reset_dimensions()
        for number, formulas in enumerate(ws.iter_rows(values_only=True), start=1):
            if number > limits.MAX_ROWS:
                break
            for i, formula in enumerate(formulas):
                if not (isinstance(formula, str) and formula.startswith("=")):
                    continue
                cached = values.get(number, ())
                computed = cached[i] if i < len(cached) else None
                if computed is not None and not _CALLS_OUT.search(formula):
                    continue
                if computed is None and formula.startswith(_TEMPLATE_FORMULA):
                    continue  # the template's own name lookup (informational, never read)
                why = (
                    "gọi ra ngoài tệp"
                    if computed is not None
                    else "chưa được tính (không có giá trị)"
                )
                where = Location(name, title, number, get_column_letter(i + 1))
                detail = f"Ô là công thức «{limits.shown(formula)}» {why}."
                out.append(Finding(F.CELL_FORMULA, where, detail))
    finally:
        book.close()
    return out


class _Book:
    def __init__(self, name: str, source: SourceMap, sheets: dict[str, tuple[str, list[Row]]]):
        self.name, self.source, self.sheets = name, source, sheets
        self.findings: list[Finding] = []
        self.blocked: set[JsonPath] = set()
        self.used = {normalise(LISTS_SHEET)}

    # ------------------------------------------------------------ helpers

    def find(
        self,
        code: str,
        sheet: str | None,
        row: int | None,
        column: int | None,
        detail: str,
        *,
        student: str | None = None,
        subject: str | None = None,
        path: JsonPath = (),
    ) -> None:
        letter = get_column_letter(column + 1) if column is not None else None
        where = Location(self.name, sheet, row, letter, path=path, student=student, subject=subject)
        self.findings.append(Finding(code, where, detail))

    def sheet(self, title: str, required: bool = True) -> list[Row] | None:
        found = self.sheets.get(normalise(title))
        self.used.add(normalise(title))
        if found is None:
            if required:
                self.find(
                    F.TEMPLATE_SHEET,
                    title,
                    None,
                    None,
                    f"Không có sheet «{title}» (mẫu cần sheet này).",
                )
            return None
        return found[1]

    def table(self, title: str, columns: Sequence[Column]) -> list[Row] | None:
        """The data rows of a sheet whose header row matches ``columns``; None when it does not."""
        rows = self.sheet(title)
        if rows is None:
            return None
        header = next((values for number, values in rows if number == HEADER_ROW), ())
        for i, column in enumerate(columns):
            got = header[i] if i < len(header) else None
            if normalise(cells.text(got) if got is not None else "") != normalise(column.header):
                self.find(
                    F.TEMPLATE_HEADER,
                    title,
                    HEADER_ROW,
                    i,
                    f"Cột {get_column_letter(i + 1)} có tiêu đề «{cells.text(got or '')}», "
                    f"mẫu cần «{column.header}».",
                )
                return None
        for i in range(len(columns), len(header)):
            if not cells.is_blank(header[i]):
                self.find(
                    F.TEMPLATE_HEADER,
                    title,
                    HEADER_ROW,
                    i,
                    f"Cột «{cells.text(header[i])}» không có trong mẫu; dữ liệu ở cột này "
                    "sẽ không được đọc. Xoá cột hoặc chép dữ liệu sang đúng cột.",
                )
                return None
        return [
            (number, values + (None,) * (len(columns) - len(values)))
            for number, values in rows
            if number >= FIRST_ROW and not all(cells.is_blank(v) for v in values)
        ]

    def fill(
        self,
        obj: Raw,
        title: str,
        number: int,
        values: tuple[Any, ...],
        columns: Sequence[Column],
        base: JsonPath,
        *,
        block: Callable[[Column], JsonPath] | None = None,
        student: str | None = None,
        subject: str | None = None,
        row_of: bool = False,
    ) -> None:
        """Read one row into ``obj``, whose dataset path is ``base`` (with ``row_of``, ``base``
        itself is located at this row). A cell that cannot be read is a finding, and the path
        ``block(column)`` is then left out of semantic checks."""
        if row_of:
            self.source.add(base, sheet=title, row=number)
        for i, column in enumerate(columns):
            value = values[i] if i < len(values) else None
            if column.kind is Kind.INFO or column.path[0] == "_code" or cells.is_blank(value):
                continue
            of = str(column.path[1]) if column.path[0] == "subjects" else subject
            try:
                parsed = cells.read(column, value)
            except cells.CellError as error:
                if not column.required:
                    where = (*base, *(p for p in column.path if isinstance(p, str)))
                    self.find(
                        error.code,
                        title,
                        number,
                        i,
                        error.message,
                        student=student,
                        subject=of,
                        path=where,
                    )
                    self.blocked.add(block(column) if block else (*base, *column.path[:1]))
                    continue
                parsed = cells.text(value)  # left for the model to report, at this cell
            actual = put_path(obj, column.path, parsed)
            letter = get_column_letter(i + 1)
            self.source.add((*base, *actual), sheet=title, row=number, column=letter)
            if isinstance(actual[-1], int) and actual[-1] == 0:  # the whole list: its first cell
                self.source.add((*base, *actual[:-1]), sheet=title, row=number, column=letter)

    # ------------------------------------------------------------ the workbook

    def read(self) -> ImportResult:
        info = self.sheet(INFO_SHEET)
        teachers = self.table(TEACHERS_SHEET, TEACHER_COLUMNS)
        roster = self.table(STUDENTS_SHEET, STUDENT_COLUMNS)
        subjects = self.table(SUBJECTS_SHEET, SUBJECT_COLUMNS)
        if info is None or teachers is None or roster is None or subjects is None:
            return self.result(None)
        raw = self.info(info)
        if raw is None:
            return self.result(None)
        cls: Raw = raw["classes"][0]
        raw["teachers"] = []
        for number, values in teachers:
            teacher: Raw = {}
            base: JsonPath = ("teachers", len(raw["teachers"]))
            self.fill(teacher, TEACHERS_SHEET, number, values, TEACHER_COLUMNS, base)
            raw["teachers"].append(teacher)
        cls["subjects"] = []
        for number, values in subjects:
            subject: Raw = {}
            base = ("classes", 0, "subjects", len(cls["subjects"]))
            self.fill(subject, SUBJECTS_SHEET, number, values, SUBJECT_COLUMNS, base)
            cls["subjects"].append(subject)
        if not roster:
            self.find(
                F.FILE_EMPTY,
                STUDENTS_SHEET,
                None,
                None,
                "Chưa có học sinh nào trong sheet «Học sinh».",
            )
            return self.result(None)
        grade: int = cls["grade"]
        level = Level.of_grade(grade)
        students = self.roster(roster, level)
        cls["students"] = [s for s, _ in students]
        index: dict[Any, tuple[int, str]] = {}
        for i, (s, name) in enumerate(students):
            index.setdefault(s["student"].get("code"), (i, name))
        codes = [str(s.get("code", "")) for s in cls["subjects"]]
        if level is Level.TH:
            self.primary(cls, index, codes, grade, raw["school_year"])
        else:
            self.secondary(cls, index, codes, raw["school_year"])
        for key, (title, rows) in self.sheets.items():
            header = next((values for number, values in rows if number == HEADER_ROW), ())
            looks_ours = len(header) > 1 and normalise(cells.text(header[1] or "")) == normalise(
                STUDENT_CODE.header
            )
            if key not in self.used and looks_ours:
                self.find(
                    F.TEMPLATE_SHEET,
                    title,
                    None,
                    None,
                    f"Sheet «{title}» có dạng sheet điểm nhưng không ứng với môn nào trong "
                    "sheet «Môn học»: dữ liệu trong đó không được đọc.",
                )
        return self.result(raw)

    def result(self, raw: Raw | None) -> ImportResult:
        if raw is None:
            return ImportResult(self.name, FileKind.XLSX, None, self.findings, self.source)
        dataset, findings = build(raw, self.source, self.findings, self.blocked)
        return ImportResult(self.name, FileKind.XLSX, dataset, findings, self.source)

    def info(self, rows: list[Row]) -> Raw | None:
        labels = {
            normalise(cells.text(v[0])): (n, v) for n, v in rows if v and not cells.is_blank(v[0])
        }
        obj: Raw = {}
        for column in INFO_ROWS:
            found = labels.get(normalise(column.header))
            if found is None:
                self.find(
                    F.TEMPLATE_HEADER, INFO_SHEET, None, 0, f"Thiếu dòng «{column.header}» ở cột A."
                )
                continue
            number, values = found
            path = {"class": ("classes", 0)}.get(str(column.path[0]), column.path[:1])
            dataset_path = (*path, *column.path[1:])
            self.source.add(dataset_path, sheet=INFO_SHEET, row=number, column="B")
            value = values[1] if len(values) > 1 else None
            if cells.is_blank(value):
                continue
            try:
                put_path(obj, column.path, cells.read(column, value))
            except cells.CellError as error:
                self.find(error.code, INFO_SHEET, number, 1, error.message)
        grade = obj.get("class", {}).get("grade")
        if any(f.location.sheet == INFO_SHEET for f in self.findings):
            return None
        if not isinstance(grade, int) or not 1 <= grade <= 12:
            row = self.source.locate(("classes", 0, "grade")).row
            self.find(F.SCHEMA_INVALID, INFO_SHEET, row, 1, "Khối lớp phải là số từ 1 đến 12.")
            return None
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            **{k: v for k, v in obj.items() if k != "class"},
            "classes": [obj["class"]],
        }

    def roster(self, rows: list[Row], level: Level) -> list[tuple[Raw, str]]:
        out: list[tuple[Raw, str]] = []
        key = "primary" if level is Level.TH else "secondary"
        for number, values in rows:
            base: JsonPath = ("classes", 0, "students", len(out))
            student: Raw = {key: {"points": {}} if level is Level.TH else {"subjects": {}}}
            self.fill(student, STUDENTS_SHEET, number, values, STUDENT_COLUMNS, base)
            self.source.add(base, sheet=STUDENTS_SHEET, row=number)
            out.append((student, str(student.get("student", {}).get("full_name", ""))))
        return out

    def rows_by_student(
        self,
        title: str,
        columns: Sequence[Column],
        index: dict[Any, tuple[int, str]],
        each: Callable[[int, int, tuple[Any, ...], str], None],
        blocks: Callable[[int], list[JsonPath]],
    ) -> None:
        """Call ``each(student index, row number, values, code)`` per row of a student sheet.
        A sheet that is missing or has the wrong columns blocks ``blocks(student index)`` for
        every student: its absence is the finding, not each value it would have held."""
        rows = self.table(title, columns)
        if rows is None:
            for si in {i for i, _ in index.values()}:
                self.blocked.update(blocks(si))
            return
        seen: set[str] = set()
        for number, values in rows:
            code = cells.text(values[1]) if not cells.is_blank(values[1]) else ""
            if not code:
                self.find(
                    F.SCHEMA_INVALID, title, number, 1, "Dòng có dữ liệu nhưng thiếu mã học sinh."
                )
                continue
            if code not in index:
                self.find(
                    F.STUDENT_UNKNOWN,
                    title,
                    number,
                    1,
                    f"Mã học sinh {code} không có trong sheet «{STUDENTS_SHEET}».",
                    student=code,
                )
                continue
            if code in seen:
                self.find(
                    F.STUDENT_DUPLICATE,
                    title,
                    number,
                    1,
                    f"Học sinh {code} có hai dòng trong sheet «{title}».",
                    student=code,
                )
                continue
            seen.add(code)
            si, name = index[code]
            typed = values[2]
            if not cells.is_blank(typed) and normalise(cells.text(typed)) != normalise(name):
                self.find(
                    F.STUDENT_NAME_MISMATCH,
                    title,
                    number,
                    2,
                    f"Dòng này ghi «{cells.text(typed)}», sheet «{STUDENTS_SHEET}» ghi mã {code} "
                    f"là «{name}».",
                    student=code,
                )
            each(si, number, values, code)

    # ------------------------------------------------------------ levels

    def secondary(
        self, cls: Raw, index: dict[Any, tuple[int, str]], codes: list[str], year: Any
    ) -> None:
        rules: SecondaryRuleSet
        try:
            rules = secondary_rules(int(cls["grade"]), str(year))
        except (NoRuleSetError, ValueError):
            rules = TT22()  # the catalogue still says which sheet a subject has
        students: list[Raw] = cls["students"]
        for code in dict.fromkeys(codes):
            spec = rules.subject(code)
            if spec is not None:  # else subject.unknown, reported by the validator
                self.subject_sheet(students, index, code, spec)
        self.rows_by_student(
            CONDUCT_SHEET,
            CONDUCT_COLUMNS,
            index,
            lambda si, number, values, student: self.fill(
                students[si]["secondary"],
                CONDUCT_SHEET,
                number,
                values,
                CONDUCT_COLUMNS,
                _student(si, "secondary"),
                student=student,
                row_of=True,
            ),
            lambda si: [_student(si, "secondary", str(c.path[0])) for c in CONDUCT_COLUMNS],
        )

    def subject_sheet(
        self, students: list[Raw], index: dict[Any, tuple[int, str]], code: str, spec: SubjectSpec
    ) -> None:
        title = subject_sheet_name(spec, code)
        if spec.kind is AssessmentKind.SCORED:
            columns = scored_subject_columns(_regular_columns(self.sheet(title)))
        else:
            columns = comment_subject_columns()
        for si in range(len(students)):  # a student without a row: "missing" points at the sheet
            self.source.add(_student(si, "secondary", "subjects", code), sheet=title)

        def each(si: int, number: int, values: tuple[Any, ...], student: str) -> None:
            base = _student(si, "secondary", "subjects", code)
            obj: Raw = {}
            self.fill(
                obj,
                title,
                number,
                values,
                columns,
                base,
                block=lambda _: base,
                student=student,
                subject=code,
                row_of=True,
            )
            if obj:
                students[si]["secondary"]["subjects"][code] = obj

        self.rows_by_student(
            title, columns, index, each, lambda si: [_student(si, "secondary", "subjects", code)]
        )

    def primary(
        self, cls: Raw, index: dict[Any, tuple[int, str]], codes: list[str], grade: int, year: Any
    ) -> None:
        rules: PrimaryRuleSet
        try:
            rules = primary_rules(grade, str(year))
        except (NoRuleSetError, ValueError):
            rules = TT27()
        students: list[Raw] = cls["students"]
        for point, title in POINT_SHEETS.items():
            columns = point_columns(rules, grade, list(dict.fromkeys(codes)), point)
            self.point_sheet(students, index, point.value, title, columns)
        self.rows_by_student(
            PRIMARY_YEAR_SHEET,
            PRIMARY_YEAR_COLUMNS,
            index,
            lambda si, number, values, student: self.fill(
                students[si]["primary"],
                PRIMARY_YEAR_SHEET,
                number,
                values,
                PRIMARY_YEAR_COLUMNS,
                _student(si, "primary"),
                student=student,
                row_of=True,
            ),
            lambda si: [_student(si, "primary", str(c.path[0])) for c in PRIMARY_YEAR_COLUMNS],
        )

    def point_sheet(
        self,
        students: list[Raw],
        index: dict[Any, tuple[int, str]],
        point: str,
        title: str,
        columns: Sequence[Column],
    ) -> None:
        def each(si: int, number: int, values: tuple[Any, ...], student: str) -> None:
            base = _student(si, "primary", "points", point)
            obj: Raw = {}
            # an unreadable cell blocks its subject, or the whole point for a quality
            self.fill(
                obj,
                title,
                number,
                values,
                columns,
                base,
                student=student,
                row_of=True,
                block=lambda c: (*base, *c.path[:2]) if c.path[0] == "subjects" else base,
            )
            if obj:
                students[si]["primary"]["points"][point] = obj

        self.rows_by_student(
            title, columns, index, each, lambda si: [_student(si, "primary", "points", point)]
        )


def _student(si: int, *rest: str) -> JsonPath:
    return ("classes", 0, "students", si, *rest)


def _regular_columns(rows: list[Row] | None) -> int:
    """How many «HK1 TXn» columns a scored subject's sheet has (4 in the template)."""
    header = next((values for number, values in rows or [] if number == HEADER_ROW), ())
    count = sum(1 for v in header if isinstance(v, str) and normalise(v).startswith("hk1 tx"))
    return max(count, 1)
