"""A CSV score sheet: one subject of one class, checked on its own.

Columns: the leading ones name the school year, school, class, grade, subject and its periods per
year (the same on every row), then the subject sheet's columns of the XLSX template. UTF-8 with or
without BOM; comma, semicolon or tab separated (taken from the header line). Any other encoding is
a finding: Windows-1258 or TCVN3 bytes cannot be told apart reliably from their bytes alone, and a
wrong guess would put mojibake into permanent records.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import ValidationError

from records import findings as F
from records.findings import Finding, JsonPath, Location
from records.importers import cells, limits
from records.importers.layout import (
    CSV_LEADING,
    Column,
    comment_subject_columns,
    normalise,
    put_path,
    scored_subject_columns,
)
from records.importers.pipeline import is_cascade, scan_text, schema_findings
from records.importers.result import FileKind, ImportResult, SheetRow, SubjectSheet
from records.importers.source_map import SourceMap
from records.model import ClassSubject, SchoolClass, SecondaryStudentYear, SubjectAssessment
from records.rules import AssessmentKind, NoRuleSetError, secondary_rules
from records.text import legacy_encoding
from records.validate import Collector, check_secondary_subject

_IDENTITY = 3  # STT, Mã học sinh, Họ và tên (after the leading columns)


def decode(data: bytes) -> tuple[str | None, Finding | None]:
    """The text of a CSV file, or the finding that says why it is not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, Finding(F.FILE_ENCODING, Location(), "Tệp CSV ở mã UTF-16 («Unicode Text»).")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        latin = data.decode("cp1252", errors="replace")
        encoding = legacy_encoding(latin)
        line = data[: error.start].count(b"\n") + 1
        if encoding is not None:
            return None, Finding(
                F.TEXT_LEGACY,
                Location(row=line),
                f"Tệp CSV được lưu bằng bảng mã {encoding.value}, không phải Unicode UTF-8.",
                {"encoding": encoding.value},
            )
        return None, Finding(
            F.FILE_ENCODING,
            Location(row=line),
            f"Tệp CSV không ở mã UTF-8 (byte 0x{data[error.start]:02X} ở dòng {line}); có thể đã "
            "lưu bằng Windows-1258 hoặc một bảng mã cũ.",
        )


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count)


def read_csv(data: bytes, name: str) -> ImportResult:
    return _Sheet(name).read(data)


class _Sheet:
    def __init__(self, name: str) -> None:
        self.name = name
        self.source = SourceMap(name)
        self.findings: list[Finding] = []
        self.blocked: set[JsonPath] = set()
        self.scored = True  # the header's layout: a scored subject's columns, or a comment one's
        self.subject: str | None = None

    def find(
        self,
        code: str,
        row: int | None,
        column: str | None,
        detail: str,
        student: str | None = None,
        subject: str | None = None,
        path: JsonPath = (),
    ) -> None:
        where = Location(
            self.name,
            row=row,
            column=column,
            path=path,
            student=student,
            subject=subject or self.subject,
        )
        self.findings.append(Finding(code, where, detail))

    def done(self, sheet: SubjectSheet | None = None) -> ImportResult:
        return ImportResult(self.name, FileKind.CSV, None, self.findings, self.source, sheet)

    def read(self, data: bytes) -> ImportResult:
        text, problem = decode(data)
        if text is None:
            assert problem is not None
            self.findings.append(
                Finding(
                    problem.code,
                    Location(self.name, row=problem.location.row),
                    problem.detail,
                    problem.extra,
                )
            )
            return self.done()
        nul = text.find("\x00")
        if nul >= 0:
            line = text.count("\n", 0, nul) + 1
            self.find(
                F.FILE_WRONG_TYPE,
                line,
                None,
                f"Tệp CSV có byte NUL ở dòng {line}: đây là tệp nhị phân hoặc bị hỏng, "
                "không phải văn bản.",
            )
            return self.done()
        lines = text.count("\n") + 1
        if lines > limits.MAX_ROWS:
            self.find(
                F.FILE_TOO_LARGE,
                None,
                None,
                f"Tệp CSV có {lines:,} dòng (giới hạn {limits.MAX_ROWS:,}).".replace(",", "."),
            )
            return self.done()
        reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
        try:
            table = list(reader)
        except csv.Error as error:
            line = reader.line_num
            self.find(
                F.FILE_UNREADABLE,
                line,
                None,
                f"Sai cú pháp CSV ở dòng {line} ({error}): dấu ngoặc kép không đóng, xuống dòng "
                "giữa ô hoặc một ô dài bất thường.",
            )
            return self.done()
        header = table[0] if table else []
        if len(header) > limits.MAX_COLUMNS:
            self.find(
                F.FILE_TOO_LARGE,
                1,
                None,
                f"Dòng tiêu đề có {len(header):,} cột (giới hạn {limits.MAX_COLUMNS}).".replace(
                    ",", "."
                ),
            )
            return self.done()
        columns = self.columns(header)
        if columns is None:
            return self.done()
        rows = [(n, r) for n, r in enumerate(table[1:], start=2) if any(c.strip() for c in r)]
        for number, row in rows:
            if len(row) != len(header):
                self.find(
                    F.SCHEMA_INVALID,
                    number,
                    None,
                    f"Dòng {number} có {len(row)} cột, dòng tiêu đề có {len(header)}: kiểm tra dấu "
                    "phân cách (phẩy/chấm phẩy) và dấu ngoặc kép trên dòng này.",
                )
                return self.done()
        if not rows:
            self.find(
                F.FILE_EMPTY, None, None, "Tệp CSV chỉ có dòng tiêu đề, chưa có học sinh nào."
            )
            return self.done()
        leading = self.leading(rows)
        if leading is None:
            return self.done()
        return self.done(self.students(rows, columns, leading))

    def columns(self, header: list[str]) -> tuple[Column, ...] | None:
        regular = sum(1 for h in header if normalise(h).startswith("hk1 tx"))
        self.scored = regular > 0
        body = scored_subject_columns(regular) if regular else comment_subject_columns()
        expected = (*CSV_LEADING, *body)
        for i, column in enumerate(expected):
            got = header[i] if i < len(header) else ""
            if normalise(got) != normalise(column.header):
                self.find(
                    F.TEMPLATE_HEADER,
                    1,
                    got or f"cột {i + 1}",
                    f"Cột {i + 1} có tiêu đề «{got}», mẫu cần «{column.header}».",
                )
                return None
        extra = [h for h in header[len(expected) :] if h.strip()]
        if extra:
            self.find(F.TEMPLATE_HEADER, 1, extra[0], f"Cột «{extra[0]}» không có trong mẫu.")
            return None
        return expected

    def leading(self, rows: list[tuple[int, list[str]]]) -> dict[str, Any] | None:
        first_number, first = rows[0]
        values: dict[str, Any] = {}
        for i, column in enumerate(CSV_LEADING):
            raw = first[i] if i < len(first) else ""
            try:
                values[str(column.path[0])] = cells.read(column, raw) if raw.strip() else None
            except cells.CellError as error:
                self.find(F.SCHEMA_INVALID, first_number, column.header, error.message)
                return None
            for number, row in rows[1:]:
                other = row[i] if i < len(row) else ""
                if normalise(other) != normalise(raw):
                    self.find(
                        F.SCHEMA_INVALID,
                        number,
                        column.header,
                        f"«{column.header}» phải giống nhau trên mọi dòng: dòng {first_number} "
                        f"ghi «{raw}», dòng này ghi «{other}».",
                    )
                    return None
        missing = [c.header for c in CSV_LEADING if values[str(c.path[0])] in (None, "")]
        if missing:
            self.find(F.SCHEMA_INVALID, first_number, missing[0], f"Thiếu «{missing[0]}».")
            return None
        return values

    def students(
        self,
        rows: list[tuple[int, list[str]]],
        columns: tuple[Column, ...],
        leading: dict[str, Any],
    ) -> SubjectSheet | None:
        code, grade, year = leading["subject"], leading["grade"], leading["school_year"]
        self.subject = code
        periods = leading["periods_per_year"]
        raw_rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        body = columns[len(CSV_LEADING) :]
        for number, row in rows:
            student = row[len(CSV_LEADING) + 1].strip() if len(row) > len(CSV_LEADING) + 1 else ""
            name = row[len(CSV_LEADING) + 2] if len(row) > len(CSV_LEADING) + 2 else ""
            if not student:
                self.find(
                    F.SCHEMA_INVALID,
                    number,
                    "Mã học sinh",
                    "Dòng có dữ liệu nhưng thiếu mã học sinh.",
                )
                continue
            if student in seen:
                self.find(
                    F.STUDENT_DUPLICATE,
                    number,
                    "Mã học sinh",
                    f"Mã học sinh {student} xuất hiện hai lần.",
                    student,
                )
                continue
            seen.add(student)
            base: JsonPath = ("rows", len(raw_rows))
            self.source.add(base, row=number, column="Mã học sinh")
            assessment: dict[str, Any] = {}
            for column, value in zip(
                body[_IDENTITY:], row[len(CSV_LEADING) + _IDENTITY :], strict=False
            ):
                if cells.is_blank(value):
                    continue
                try:
                    value_read = cells.read(column, value)
                except cells.CellError as error:
                    where = (*base, "assessment", *(p for p in column.path if isinstance(p, str)))
                    self.find(error.code, number, column.header, error.message, student, path=where)
                    self.blocked.add(base)
                    continue
                actual = put_path(assessment, column.path, value_read)
                self.source.add((*base, "assessment", *actual), row=number, column=column.header)
                if actual[-1] == 0:  # the ĐĐGtx list as a whole: its first cell
                    where = (*base, "assessment", *actual[:-1])
                    self.source.add(where, row=number, column=column.header)
            raw_rows.append(
                {"code": student, "full_name": " ".join(name.split()), "assessment": assessment}
            )
        scanned, text_findings = scan_text({"rows": raw_rows}, self.source)
        for f in text_findings:
            step = f.location.path[1] if len(f.location.path) > 1 else None
            who = scanned["rows"][step]["code"] if isinstance(step, int) else None
            self.findings.append(
                Finding(
                    f.code,
                    Location(
                        self.name,
                        row=f.location.row,
                        column=f.location.column,
                        path=f.location.path,
                        student=who,
                    ),
                    f.detail,
                    f.extra,
                )
            )
        parsed: list[tuple[int, SheetRow]] = []  # with the row's index in the source map
        for i, r in enumerate(scanned["rows"]):
            try:
                checked = SubjectAssessment.model_validate(r["assessment"])
            except ValidationError as error:
                for f in schema_findings(error, {}, self.source):
                    path = ("rows", i, "assessment", *f.location.path)
                    self.findings.append(Finding(f.code, self.source.locate(path), f.detail))
                continue
            parsed.append((i, SheetRow(r["code"], r["full_name"], checked)))
        return self.validate(leading, code, grade, year, periods, parsed)

    def validate(
        self,
        leading: dict[str, Any],
        code: str,
        grade: int,
        year: str,
        periods: int,
        rows: list[tuple[int, SheetRow]],
    ) -> SubjectSheet:
        sheet = SubjectSheet(
            year,
            str(leading["school_code"]),
            str(leading["class_id"]),
            grade,
            code,
            periods,
            tuple(row for _, row in rows),
        )
        first = self.source.locate(("rows", 0)).row
        try:
            rules = secondary_rules(grade, year)
        except NoRuleSetError as error:
            self.find(F.NO_RULE_SET, first, "Khối", str(error))
            return sheet
        except ValueError as error:
            self.find(
                F.SCHEMA_INVALID, first, "Năm học", f"Năm học «{year}», khối {grade}: {error}."
            )
            return sheet
        spec = rules.subject(code)
        if spec is None or grade not in spec.grades:
            detail = f"Mã môn «{code}» không có trong chương trình khối {grade} ({rules.id})."
            self.find(F.SUBJECT_UNKNOWN, first, "Mã môn", detail, subject=code)
            return sheet
        if (spec.kind is AssessmentKind.SCORED) != self.scored:
            kind = "điểm số" if spec.kind is AssessmentKind.SCORED else "nhận xét (Đ/CĐ)"
            self.find(
                F.TEMPLATE_HEADER,
                1,
                None,
                f"Môn {spec.name} đánh giá bằng {kind}: dùng mẫu CSV của môn này "
                f"(hsdt template csv --subject {code}).",
                subject=code,
            )
            return sheet
        cls = SchoolClass(
            id=sheet.class_id or "?",
            name=sheet.class_id or "?",
            grade=grade,
            homeroom_teacher="",
            subjects=[ClassSubject(code=code, periods_per_year=periods, teachers=[])],
            students=[],
        )
        out = Collector(self.source.locate)
        computed_rows = []
        for i, sheet_row in rows:
            result = rules.compute(cls, SecondaryStudentYear(subjects={code: sheet_row.assessment}))
            computed = result.subjects.get(code)
            check_secondary_subject(
                out,
                rules,
                spec,
                periods,
                sheet_row.assessment,
                computed,
                ("rows", i, "assessment"),
                sheet_row.code,
            )
            computed_rows.append(
                SheetRow(sheet_row.code, sheet_row.full_name, sheet_row.assessment, computed)
            )
        self.findings += [f for f in out.findings if not is_cascade(f, self.blocked)]
        return SubjectSheet(
            sheet.school_year,
            sheet.school_code,
            sheet.class_id,
            grade,
            code,
            periods,
            tuple(computed_rows),
            rules.id,
        )
