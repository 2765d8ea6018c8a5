"""Validation findings: stable codes, exact locations, and what to do about them.

A finding is data, not an exception: ``hsdt check`` prints every one of them. Codes are stable
(documented in docs/findings.md); messages and hints are Vietnamese for the people who fix the
data, with the code and location for the people who support them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JsonPath = tuple[str | int, ...]


class Severity(StrEnum):
    ERROR = "error"  # stops an import: nothing is stored
    WARNING = "warning"  # stored, but somebody should look


@dataclass(frozen=True)
class Location:
    """Where a finding is: in the source file (sheet/row/column) and in the dataset (path)."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None  # 1-based, as a spreadsheet shows it
    column: str | None = None  # spreadsheet letter or CSV header name
    path: JsonPath = ()  # path into the canonical dataset
    student: str | None = None  # student code
    subject: str | None = None  # subject code
    field: str | None = None

    def describe(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet «{self.sheet}»")
        if self.row is not None:
            parts.append(f"dòng {self.row}")
        if self.column:
            parts.append(f"cột {self.column}")
        if not (self.sheet or self.row is not None) and self.path:
            parts.append(render_path(self.path))
        if self.student:
            parts.append(f"học sinh {self.student}")
        if self.subject:
            parts.append(f"môn {self.subject}")
        return ", ".join(parts) or "(toàn bộ tệp)"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: v
            for k, v in {
                "file": self.file,
                "sheet": self.sheet,
                "row": self.row,
                "column": self.column,
                "student": self.student,
                "subject": self.subject,
                "field": self.field,
            }.items()
            if v is not None
        }
        if self.path:
            out["path"] = render_path(self.path)
        return out


def render_path(path: JsonPath) -> str:
    """``("classes", 0, "students", 3)`` → ``$.classes[0].students[3]`` (JSONPath)."""
    out = "$"
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


@dataclass(frozen=True)
class CodeInfo:
    code: str
    severity: Severity
    title: str  # short Vietnamese description of the problem
    hint: str  # what to do


CODES: dict[str, CodeInfo] = {}


def _code(code: str, severity: Severity, title: str, hint: str) -> str:
    CODES[code] = CodeInfo(code, severity, title, hint)
    return code


E, W = Severity.ERROR, Severity.WARNING

FILE_EMPTY = _code("file.empty", E, "Tệp rỗng", "Chọn đúng tệp dữ liệu đã nhập điểm rồi thử lại.")
FILE_WRONG_TYPE = _code(
    "file.wrong_type",
    E,
    "Không đúng loại tệp",
    "Dùng tệp .json (định dạng chuẩn), .xlsx hoặc .csv theo mẫu do «hsdt template» tạo ra.",
)
FILE_UNREADABLE = _code(
    "file.unreadable",
    E,
    "Không đọc được tệp",
    "Tệp bị hỏng hoặc sai cú pháp; mở lại bằng phần mềm đã tạo ra nó và lưu lại.",
)
SCHEMA_INVALID = _code(
    "schema.invalid",
    E,
    "Sai cấu trúc dữ liệu",
    "Sửa giá trị theo đúng lược đồ JSON trong docs/schema/ hoặc theo mẫu nhập điểm.",
)
SCHEMA_FORMAT = _code(
    "schema.format",
    E,
    "Không phải dữ liệu hsdt hoặc sai phiên bản định dạng",
    'Tệp JSON phải có "format": "hsdt/school-year" và "format_version": 1.',
)
TEMPLATE_HEADER = _code(
    "template.header",
    E,
    "Tiêu đề cột không đúng mẫu",
    "Tạo lại mẫu bằng «hsdt template» và chép dữ liệu vào đúng cột; không đổi tên hay thứ tự cột.",
)
SCORE_RANGE = _code(
    "score.out_of_range",
    E,
    "Điểm nằm ngoài thang điểm",
    "Điểm đánh giá theo thang 10: từ 0 đến 10 (tiểu học: số nguyên từ 1 đến 10).",
)
SCORE_DECIMALS = _code(
    "score.decimals",
    E,
    "Điểm có quá một chữ số thập phân",
    "Điểm được ghi đến một chữ số thập phân (ví dụ 7,5); đối chiếu sổ của giáo viên.",
)
SCORE_NOT_NUMBER = _code(
    "score.not_a_number",
    E,
    "Điểm không phải là số",
    "Nhập điểm bằng số, ví dụ 8 hoặc 8.5.",
)
REGULAR_COUNT = _code(
    "assessment.regular_count",
    E,
    "Sai số lần đánh giá thường xuyên (ĐĐGtx)",
    "Theo Điều 6 khoản 2 điểm b TT22: môn 35 tiết/năm có 2 ĐĐGtx, trên 35 đến 70 tiết có 3, "
    "trên 70 tiết có 4.",
)
RESULT_MISSING = _code(
    "result.missing",
    W,
    "Thiếu kết quả đánh giá",
    "Nhập đủ điểm/mức đánh giá trước khi khoá sổ; hồ sơ thiếu kết quả không thể ký.",
)
STUDENT_DUPLICATE = _code(
    "student.duplicate_code",
    E,
    "Trùng mã học sinh",
    "Mỗi học sinh có một mã duy nhất; kiểm tra lại mã trên CSDL ngành.",
)
SCORE_ON_COMMENT = _code(
    "score.on_comment_subject",
    E,
    "Có điểm số ở môn chỉ đánh giá bằng nhận xét",
    "Môn này chỉ ghi mức Đạt (Đ) hoặc Chưa đạt (CĐ) theo Điều 5 TT22; xoá điểm số.",
)
LEVEL_ON_SCORED = _code(
    "level.on_scored_subject",
    E,
    "Có mức Đ/CĐ ở môn đánh giá bằng điểm số",
    "Môn này đánh giá bằng nhận xét kết hợp điểm số: nhập ĐĐGtx, ĐĐGgk, ĐĐGck.",
)
SUBMITTED_MISMATCH = _code(
    "submitted.mismatch",
    E,
    "Kết quả ghi trong tệp khác kết quả tính lại",
    "Đối chiếu sổ của giáo viên (Điều 11 Quy chế): sửa điểm thành phần hoặc kết quả đã ghi.",
)
TEXT_NFD = _code(
    "text.nfd",
    W,
    "Văn bản ở dạng Unicode tổ hợp (NFD)",
    "Đã tự chuyển sang dạng dựng sẵn (NFC). Nên đặt bộ gõ ở «Unicode dựng sẵn».",
)
TEXT_LEGACY = _code(
    "text.legacy_encoding",
    E,
    "Văn bản dùng bảng mã cũ (TCVN3/ABC hoặc VNI)",
    "Chuyển tệp sang Unicode (ví dụ bằng công cụ chuyển mã của Unikey: TCVN3/VNI → Unicode) "
    "rồi nhập lại.",
)
SUBJECT_UNKNOWN = _code(
    "subject.unknown",
    E,
    "Môn học không có trong chương trình của khối lớp",
    "Dùng mã môn trong danh mục (docs/rules.md) đúng với cấp học và khối lớp.",
)
SUBJECT_NOT_IN_CLASS = _code(
    "subject.not_in_class",
    E,
    "Có kết quả của môn lớp không học",
    "Thêm môn vào danh sách môn của lớp, hoặc xoá kết quả nhập nhầm.",
)
TEACHER_UNKNOWN = _code(
    "teacher.unknown",
    E,
    "Giáo viên không có trong danh sách",
    "Thêm giáo viên vào danh sách giáo viên của trường hoặc sửa mã giáo viên.",
)
NO_RULE_SET = _code(
    "rules.none",
    E,
    "Không có quy định đánh giá cho khối lớp và năm học này",
    "hsdt áp dụng TT22/2021 (THCS, THPT) và TT27/2020 (tiểu học) theo lộ trình; kiểm tra năm học.",
)
LEVEL_MISMATCH = _code(
    "class.level",
    E,
    "Lớp thuộc cấp học trường không có",
    "Kiểm tra khối lớp và cấp học khai báo của trường.",
)
ABSENCE_INVALID = _code(
    "absences.invalid",
    E,
    "Số buổi nghỉ không hợp lệ",
    "Số buổi nghỉ là số nguyên không âm.",
)
PRIMARY_SCORE_UNEXPECTED = _code(
    "score.no_periodic_test",
    E,
    "Có điểm kiểm tra ở môn/thời điểm không có bài kiểm tra định kì",
    "Theo Điều 7 TT27 chỉ một số môn có bài kiểm tra định kì ở từng thời điểm; xoá điểm thừa.",
)
NATIONAL_ID = _code(
    "student.national_id",
    W,
    "Mã định danh cá nhân không đúng 12 chữ số",
    "Kiểm tra mã định danh (số CCCD) của học sinh.",
)
FILE_ENCODING = _code(
    "file.encoding",
    E,
    "Tệp văn bản không ở mã UTF-8",
    "Trong Excel chọn «Lưu thành» → «CSV UTF-8 (phân cách bằng dấu phẩy)». "
    "Văn bản gõ bằng TCVN3/VNI cần chuyển sang Unicode trước (Unikey: Công cụ chuyển mã).",
)
TEMPLATE_SHEET = _code(
    "template.sheet",
    E,
    "Thiếu sheet hoặc có sheet không đúng mẫu",
    "Tạo lại mẫu bằng «hsdt template xlsx»; giữ nguyên tên các sheet, mỗi môn trong sheet «Môn học»"
    " có một sheet điểm.",
)
STUDENT_UNKNOWN = _code(
    "student.unknown",
    E,
    "Mã học sinh không có trong danh sách học sinh của lớp",
    "Thêm học sinh vào sheet «Học sinh» hoặc sửa lại mã học sinh.",
)
STUDENT_NAME_MISMATCH = _code(
    "student.name_mismatch",
    W,
    "Họ tên khác với họ tên trong danh sách học sinh",
    "Kiểm tra dòng này có đúng của học sinh mang mã đó (chép điểm lệch dòng hay gặp lỗi này).",
)
# Hostile input (docs/hostile-inputs.md): limits and content no school data needs.
FILE_TOO_LARGE = _code(
    "file.too_large",
    E,
    "Tệp vượt giới hạn kích thước",
    "Một lớp không cần nhiều đến vậy: tạo lại tệp từ mẫu «hsdt template», chỉ giữ dữ liệu của "
    "lớp (xoá các dòng/cột thừa ở cuối sheet) rồi thử lại.",
)
TEXT_TOO_LONG = _code(
    "text.too_long",
    E,
    "Văn bản quá dài",
    "Rút gọn nội dung ô (họ tên, nơi sinh, nhận xét…); có thể đã dán nhầm cả một đoạn văn bản.",
)
TEXT_CONTROL = _code(
    "text.control",
    E,
    "Văn bản chứa ký tự điều khiển hoặc ký tự ẩn",
    "Gõ lại nội dung ô: ký tự ẩn (NUL, đảo chiều chữ, nửa cặp UTF-16…) thường do dán từ phần mềm "
    "khác và sẽ làm sai hồ sơ.",
)
TEXT_FORMULA = _code(
    "text.formula",
    E,
    "Văn bản có dạng công thức bảng tính",
    "Dữ liệu không được bắt đầu bằng dấu bằng (=), a còng (@), hay dấu cộng/trừ (+, -) đứng "
    "trước tên hàm: xoá ký tự đó hoặc gõ lại nội dung (công thức kiểu này có thể chạy lệnh khi "
    "tệp xuất ra được mở bằng Excel).",
)
CELL_FORMULA = _code(
    "cell.formula",
    E,
    "Ô là công thức không dùng được",
    "Mở tệp bằng Excel và lưu lại để công thức được tính, hoặc thay công thức bằng giá trị "
    "(Dán đặc biệt → Giá trị); không dùng công thức gọi ra ngoài (HYPERLINK, DDE, tệp khác).",
)
CELL_MERGED = _code(
    "cell.merged",
    E,
    "Có ô bị gộp trong vùng dữ liệu",
    "Bỏ gộp ô (Trang đầu → Gộp và căn giữa → Bỏ gộp) và nhập giá trị vào từng ô.",
)


@dataclass(frozen=True)
class Finding:
    code: str
    location: Location
    detail: str  # the specific problem, with the values involved
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def info(self) -> CodeInfo:
        return CODES[self.code]

    @property
    def severity(self) -> Severity:
        return self.info.severity

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "title": self.info.title,
            "detail": self.detail,
            "hint": self.info.hint,
            "location": self.location.to_json(),
            **({"extra": self.extra} if self.extra else {}),
        }

    def describe(self) -> str:
        return f"[{self.code}] {self.location.describe()}: {self.detail} — {self.info.hint}"


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
