"""The score-sheet layout shared by the template writer and the XLSX/CSV readers.

One workbook holds one class. Every sheet has a title in row 1, the column headers in row 2 and one
student (teacher, subject) per row from row 3. A column is a Vietnamese header, a path into the
object one row stands for (a student's ``SubjectAssessment``, ``SecondaryStudentYear``…) and a kind
that says how a cell becomes a value. The writer and the readers are generic over these columns, so
the format is defined once, here, and documented in docs/import-format.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from records import findings as F
from records.model import AssessmentPoint, Gender, Level, Pass, PrimaryLevel, QualityLevel, Rating
from records.results import PrimaryTitle, PrimaryYearResult, PromotionOutcome, Title
from records.rules import PrimaryRuleSet, SubjectSpec
from records.text import nfc

TEMPLATE_NAME = "hsdt/score-sheets"
TEMPLATE_VERSION = 1
TITLE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3

INFO_SHEET = "Thông tin"
TEACHERS_SHEET = "Giáo viên"
STUDENTS_SHEET = "Học sinh"
SUBJECTS_SHEET = "Môn học"
CONDUCT_SHEET = "Rèn luyện"
PRIMARY_YEAR_SHEET = "Tổng hợp năm"
LISTS_SHEET = "Danh mục"  # hidden: the choice lists behind the cells' drop-downs
POINT_SHEETS = {
    AssessmentPoint.GK1: "Giữa kì I",
    AssessmentPoint.CK1: "Cuối kì I",
    AssessmentPoint.GK2: "Giữa kì II",
    AssessmentPoint.CN: "Cuối năm",
}
REGULAR_COLUMNS = 4  # the most ĐĐGtx a term can need (subjects above 70 periods a year)


class Kind(StrEnum):
    TEXT = "text"
    CODE = "code"  # text that must stay text in Excel (leading zeros in codes and ids)
    INFO = "info"  # shown to people, not read back (STT, a name beside a code)
    INT = "int"
    SCORE = "score"  # secondary score: exact decimal
    PRIMARY_SCORE = "primary_score"  # integer 1–10
    DECIMAL = "decimal"
    DATE = "date"
    IDS = "ids"  # comma-separated teacher ids
    LEVELS = "levels"  # comma-separated school levels
    CHOICE = "choice"


@dataclass(frozen=True)
class Choice:
    """A closed list of values, the aliases people type for them, and the blank-but-given value."""

    name: str
    values: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...] = ()
    none_label: str | None = None  # a cell text that means the empty string ("Không")

    def lookup(self) -> dict[str, str]:
        table = {normalise(v): v for v in self.values}
        table |= {normalise(alias): value for alias, value in self.aliases}
        if self.none_label:
            table[normalise(self.none_label)] = ""
        return table


def normalise(text: str) -> str:
    """How headers, labels and choices are compared: NFC, single spaces, case-insensitive."""
    return " ".join(nfc(text).split()).casefold()


GENDER = Choice("Giới tính", tuple(g.value for g in Gender))
PASS = Choice("Đ/CĐ", tuple(p.value for p in Pass), (("Đạt", "Đ"), ("Chưa đạt", "CĐ")))
RATING = Choice(
    "Mức rèn luyện/học tập",
    tuple(r.value for r in Rating),
    (("T", "Tốt"), ("K", "Khá"), ("Đ", "Đạt"), ("CĐ", "Chưa đạt")),
)
PRIMARY_LEVEL = Choice(
    "Mức T/H/C",
    tuple(p.value for p in PrimaryLevel),
    (("Hoàn thành tốt", "T"), ("Hoàn thành", "H"), ("Chưa hoàn thành", "C")),
)
QUALITY = Choice(
    "Mức T/Đ/C",
    tuple(q.value for q in QualityLevel),
    (("Tốt", "T"), ("Đạt", "Đ"), ("Cần cố gắng", "C")),
)
PROMOTION = Choice(
    "Lên lớp", tuple(p.value for p in PromotionOutcome if p is not PromotionOutcome.PENDING)
)
TITLE = Choice("Danh hiệu", tuple(t.value for t in Title), none_label="Không")
PRIMARY_RESULT = Choice("Kết quả giáo dục", tuple(r.value for r in PrimaryYearResult))
PRIMARY_TITLE = Choice(
    "Danh hiệu tiểu học", tuple(t.value for t in PrimaryTitle), none_label="Không"
)
CHOICES = (
    GENDER,
    PASS,
    RATING,
    PRIMARY_LEVEL,
    QUALITY,
    PROMOTION,
    TITLE,
    PRIMARY_RESULT,
    PRIMARY_TITLE,
)

RowPath = tuple[str | int, ...]  # a path inside the object one row stands for


@dataclass(frozen=True)
class Column:
    header: str
    path: RowPath  # into the row's object; an int step appends to a list (ĐĐGtx 1, 2, …)
    kind: Kind = Kind.TEXT
    choice: Choice | None = None
    error: str = F.SCHEMA_INVALID  # the finding code when a cell cannot be read
    required: bool = False  # left to the model to report (the record cannot exist without it)
    width: int = 12


def _c(
    header: str,
    *path: str | int,
    kind: Kind = Kind.TEXT,
    choice: Choice | None = None,
    error: str = F.SCHEMA_INVALID,
    required: bool = False,
    width: int = 12,
) -> Column:
    return Column(header, path, kind, choice, error, required, width)


STT = _c("STT", "_stt", kind=Kind.INFO, width=5)
STUDENT_CODE = _c("Mã học sinh", "_code", kind=Kind.CODE, width=14)
STUDENT_NAME = _c("Họ và tên", "_name", kind=Kind.INFO, width=24)
ROW_IDENTITY = (STT, STUDENT_CODE, STUDENT_NAME)

# Thông tin: label (column A) → value (column B). Paths are into {"province", "district",
# "school", "school_year", "class"}.
INFO_ROWS: tuple[Column, ...] = (
    _c("Mã tỉnh/thành phố", "province", "code", kind=Kind.CODE),
    _c("Tên tỉnh/thành phố", "province", "name"),
    _c("Mã Phòng GD&ĐT", "district", "code", kind=Kind.CODE),
    _c("Tên Phòng GD&ĐT (huyện/thị xã/thành phố)", "district", "name"),
    _c("Mã trường", "school", "code", kind=Kind.CODE),
    _c("Tên trường", "school", "name"),
    _c(
        "Cấp học của trường (TH, THCS, THPT; cách nhau bởi dấu phẩy)",
        "school",
        "levels",
        kind=Kind.LEVELS,
        required=True,
    ),
    _c("Xã/phường nơi trường đóng", "school", "commune"),
    _c("Cơ quan chủ quản", "school", "authority"),
    _c("Hiệu trưởng (mã giáo viên)", "school", "principal", kind=Kind.CODE),
    _c(
        "Phó hiệu trưởng (mã giáo viên, cách nhau bởi dấu phẩy)",
        "school",
        "vice_principals",
        kind=Kind.IDS,
    ),
    _c("Năm học (ví dụ 2025-2026)", "school_year", kind=Kind.CODE),
    _c("Mã lớp", "class", "id", kind=Kind.CODE),
    _c("Tên lớp", "class", "name"),
    _c("Khối lớp", "class", "grade", kind=Kind.INT, required=True),
    _c("Giáo viên chủ nhiệm (mã giáo viên)", "class", "homeroom_teacher", kind=Kind.CODE),
)
INFO_TEACHER_ROWS = ("school", "principal"), ("class", "homeroom_teacher")  # name shown beside

TEACHER_COLUMNS = (
    _c("Mã giáo viên", "id", kind=Kind.CODE, width=14),
    _c("Họ và tên", "full_name", width=26),
    _c("Mã định danh (CCCD)", "national_id", kind=Kind.CODE, width=16),
    _c("Email", "email", width=28),
)

SUBJECT_COLUMNS = (
    _c("STT", "_stt", kind=Kind.INFO, width=5),
    _c("Mã môn", "code", kind=Kind.CODE, width=16),
    _c("Tên môn học/hoạt động giáo dục", "_name", kind=Kind.INFO, width=36),
    _c("Số tiết/năm", "periods_per_year", kind=Kind.INT, required=True, width=12),
    _c("Giáo viên dạy (mã, cách nhau bởi dấu phẩy)", "teachers", kind=Kind.IDS, width=26),
)

STUDENT_COLUMNS = (
    STT,
    _c("Mã học sinh", "student", "code", kind=Kind.CODE, width=14),
    _c("Mã định danh cá nhân", "student", "national_id", kind=Kind.CODE, width=16),
    _c("Họ và tên", "student", "full_name", width=24),
    _c("Giới tính", "student", "gender", kind=Kind.CHOICE, choice=GENDER, required=True, width=9),
    _c("Ngày sinh (dd/mm/yyyy)", "student", "birth_date", kind=Kind.DATE, required=True),
    _c("Nơi sinh", "student", "birth_place", width=24),
    _c("Dân tộc", "student", "ethnicity", width=10),
    _c("Quốc tịch", "student", "nationality", width=10),
    _c("Quê quán", "student", "home_town", width=24),
    _c("Chỗ ở hiện tại", "student", "address", width=28),
    _c("Đối tượng ưu tiên/chính sách", "student", "priority_group", width=16),
    _c("Họ và tên cha", "student", "father_name", width=20),
    _c("Nghề nghiệp của cha", "student", "father_job", width=14),
    _c("Họ và tên mẹ", "student", "mother_name", width=20),
    _c("Nghề nghiệp của mẹ", "student", "mother_job", width=14),
    _c("Họ và tên người giám hộ", "student", "guardian_name", width=20),
    _c("Nghề nghiệp của người giám hộ", "student", "guardian_job", width=14),
    _c("Số đăng bộ", "student", "enrolment_no", kind=Kind.CODE, width=10),
)


def scored_subject_columns(regular: int = REGULAR_COLUMNS) -> tuple[Column, ...]:
    """A scored subject's sheet (TT22): ĐĐGtx, ĐĐGgk, ĐĐGck and the submitted ĐTB per term."""
    cols: list[Column] = list(ROW_IDENTITY)
    for term in (1, 2):
        t = f"term{term}"
        cols += [
            _c(f"HK{term} TX{k + 1}", t, "regular", k, kind=Kind.SCORE, width=7)
            for k in range(regular)
        ]
        cols += [
            _c(f"HK{term} GK", t, "midterm", kind=Kind.SCORE, width=7),
            _c(f"HK{term} CK", t, "final", kind=Kind.SCORE, width=7),
            _c(f"HK{term} ĐTB", t, "submitted_average", kind=Kind.SCORE, width=8),
        ]
    return (
        *cols,
        _c("Cả năm ĐTB", "submitted_year_average", kind=Kind.SCORE, width=9),
        _c("Điểm KT lại", "retest_score", kind=Kind.SCORE, width=9),
        _c("Nhận xét", "comment", width=40),
    )


def comment_subject_columns() -> tuple[Column, ...]:
    """A comment-only subject's sheet (TT22): Đ/CĐ per term, the submitted year level."""
    return (
        *ROW_IDENTITY,
        _c("HK1 mức", "comment1", "level", kind=Kind.CHOICE, choice=PASS, width=9),
        _c("HK1 nhận xét", "comment1", "comment", width=30),
        _c("HK2 mức", "comment2", "level", kind=Kind.CHOICE, choice=PASS, width=9),
        _c("HK2 nhận xét", "comment2", "comment", width=30),
        _c("Cả năm mức", "submitted_year_level", kind=Kind.CHOICE, choice=PASS, width=9),
        _c("Mức đánh giá lại", "retest_level", kind=Kind.CHOICE, choice=PASS, width=9),
        _c("Nhận xét", "comment", width=40),
    )


def _rating(header: str, key: str) -> Column:
    return _c(header, key, kind=Kind.CHOICE, choice=RATING, width=10)


CONDUCT_COLUMNS = (
    *ROW_IDENTITY,
    _rating("Rèn luyện HK1", "conduct_term1"),
    _rating("Rèn luyện HK2", "conduct_term2"),
    _rating("Rèn luyện cả năm", "conduct_year"),
    _rating("Rèn luyện sau hè", "conduct_year_reevaluated"),
    _c("Số buổi nghỉ HK1", "absences_term1", kind=Kind.INT, error=F.ABSENCE_INVALID, width=9),
    _c("Số buổi nghỉ HK2", "absences_term2", kind=Kind.INT, error=F.ABSENCE_INVALID, width=9),
    _rating("Học tập HK1", "submitted_learning_term1"),
    _rating("Học tập HK2", "submitted_learning_term2"),
    _rating("Học tập cả năm", "submitted_learning_year"),
    _c("Lên lớp", "submitted_promotion", kind=Kind.CHOICE, choice=PROMOTION, width=22),
    _c("Danh hiệu", "submitted_title", kind=Kind.CHOICE, choice=TITLE, width=18),
    _c("Khen thưởng", "rewards", width=26),
    _c("Kết quả các cuộc thi", "competitions", width=22),
    _c("Nhận xét của GVCN", "homeroom_comment", width=40),
)

PRIMARY_YEAR_COLUMNS = (
    *ROW_IDENTITY,
    _c("Chiều cao (cm)", "height_cm", kind=Kind.DECIMAL, width=9),
    _c("Cân nặng (kg)", "weight_kg", kind=Kind.DECIMAL, width=9),
    _c("Nghỉ có phép", "absences_excused", kind=Kind.INT, error=F.ABSENCE_INVALID, width=9),
    _c("Nghỉ không phép", "absences_unexcused", kind=Kind.INT, error=F.ABSENCE_INVALID, width=9),
    _c("Khen thưởng", "rewards", width=26),
    _c("Kết quả giáo dục", "submitted_result", kind=Kind.CHOICE, choice=PRIMARY_RESULT, width=20),
    _c("Danh hiệu", "submitted_title", kind=Kind.CHOICE, choice=PRIMARY_TITLE, width=24),
)


def point_columns(
    rules: PrimaryRuleSet, grade: int, subjects: Sequence[str], point: AssessmentPoint
) -> tuple[Column, ...]:
    """A primary assessment point's sheet (TT27): per subject the level, the periodic test score
    where the subject has one at this point, and a comment; then qualities and competences."""
    cols: list[Column] = list(ROW_IDENTITY)
    for code in subjects:
        spec = rules.subject(code)
        name = spec.name if spec else code
        cols.append(
            _c(
                f"{name}: mức",
                "subjects",
                code,
                "level",
                kind=Kind.CHOICE,
                choice=PRIMARY_LEVEL,
                width=8,
            )
        )
        if spec is not None and point in spec.test_points_for(grade):
            cols.append(
                _c(
                    f"{name}: điểm KTĐK",
                    "subjects",
                    code,
                    "score",
                    kind=Kind.PRIMARY_SCORE,
                    width=8,
                )
            )
        cols.append(_c(f"{name}: nhận xét", "subjects", code, "comment", width=24))
    for group, key, specs in (
        ("PC", "qualities", rules.qualities),
        ("NL", "competences", rules.competences),
    ):
        cols += [
            _c(f"{group} {q.name}", key, q.code, kind=Kind.CHOICE, choice=QUALITY, width=8)
            for q in specs
            if grade in q.grades
        ]
    cols.append(_c("Nhận xét chung", "comment", width=40))
    return tuple(cols)


def subject_sheet_name(spec: SubjectSpec | None, code: str) -> str:
    """A scored/comment subject's sheet is named by the subject's short name (e.g. «Toán»)."""
    return spec.short_name if spec else code[:31]


# CSV: one subject of one class. These columns come first on every row (so a CSV stays a plain
# table any tool can filter or concatenate); the subject sheet's columns follow.
CSV_LEADING = (
    _c("Năm học", "school_year", kind=Kind.CODE),
    _c("Mã trường", "school_code", kind=Kind.CODE),
    _c("Mã lớp", "class_id", kind=Kind.CODE),
    _c("Khối", "grade", kind=Kind.INT, required=True),
    _c("Mã môn", "subject", kind=Kind.CODE),
    _c("Số tiết/năm", "periods_per_year", kind=Kind.INT, required=True),
)

LEVELS_HELP = ", ".join(level.value for level in Level)


def get_path(obj: object, path: RowPath) -> object:
    """The value at ``path`` in a model dump (dicts and lists), or None when it is not there."""
    node = obj
    for step in path:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and step < len(node) else None
        else:
            node = node.get(step) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def put_path(obj: dict[str, object], path: RowPath, value: object) -> RowPath:
    """Set ``value`` at ``path`` in a raw tree; an int step appends. Returns the actual path."""
    node: dict[str, object] = obj
    actual: list[str | int] = []
    for i, step in enumerate(path[:-1]):
        assert isinstance(step, str)
        if isinstance(path[i + 1], int):  # a list: ĐĐGtx are kept in order, blanks skipped
            items = node.setdefault(step, [])
            assert isinstance(items, list)
            items.append(value)
            return (*actual, step, len(items) - 1)
        child = node.setdefault(step, {})
        assert isinstance(child, dict)
        node = child
        actual.append(step)
    last = path[-1]
    assert isinstance(last, str)
    node[last] = value
    return (*actual, last)
