"""The published JSON Schema of the canonical format (docs/schema/hsdt-school-year.v1.schema.json).

Generated from the pydantic model, so it cannot drift from what the importer accepts; a test
compares the committed file with a fresh generation. The schema states the *shape* (fields, types,
enumerations, no unknown fields). Rules that need context — a score between 0 and 10 with one
decimal, the number of regular assessments for a subject's periods, results that must match the
recomputation — are checked by ``hsdt check`` and reported as findings with codes
(docs/findings.md); ``multipleOf: 0.1`` is deliberately absent because validators doing binary
floating-point arithmetic reject valid scores such as 8.3 with it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from records.model import FORMAT_NAME, FORMAT_VERSION, Dataset
from records.results import PrimaryTitle, PrimaryYearResult, PromotionOutcome, Title

SCHEMA_ID = "urn:hsdt:schema:school-year:v1"
SCHEMA_FILE = "hsdt-school-year.v1.schema.json"
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "docs" / "schema" / SCHEMA_FILE


def _values(enum: Any) -> str:
    return ", ".join(f"«{e.value}»" for e in enum)


# (definition, property) → description. Vietnamese first (the people who fill the data), with the
# regulation's abbreviations. A test checks every entry still names a real property.
DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("Dataset", "format"): f"Luôn là «{FORMAT_NAME}».",
    ("Dataset", "format_version"): f"Phiên bản định dạng: {FORMAT_VERSION}.",
    ("Dataset", "school_year"): "Năm học, dạng «2025-2026».",
    ("Dataset", "teachers"): "Mọi giáo viên được nhắc tới (hiệu trưởng, GVCN, giáo viên bộ môn).",
    ("Dataset", "classes"): "Các lớp của trường trong năm học.",
    ("Province", "code"): "Mã tỉnh/thành phố trên CSDL ngành.",
    ("District", "code"): "Mã Phòng GD&ĐT.",
    ("School", "code"): "Mã trường trên CSDL ngành.",
    ("School", "levels"): "Các cấp học của trường (trường liên cấp khai nhiều cấp).",
    ("School", "authority"): "Tên cơ quan chủ quản, in hoa, như trên học bạ.",
    ("School", "principal"): "Mã giáo viên của hiệu trưởng (có trong «teachers»).",
    ("School", "vice_principals"): "Mã giáo viên của các phó hiệu trưởng.",
    ("Teacher", "id"): "Mã giáo viên, duy nhất trong trường, ví dụ «GV007».",
    ("Teacher", "national_id"): "Số định danh cá nhân (CCCD), 12 chữ số.",
    ("SchoolClass", "id"): "Mã lớp, ví dụ «8A1».",
    ("SchoolClass", "grade"): "Khối lớp 1–12; quyết định cấp học và quy định đánh giá.",
    ("SchoolClass", "homeroom_teacher"): "Mã giáo viên chủ nhiệm.",
    ("SchoolClass", "subjects"): "Các môn học và hoạt động giáo dục lớp học trong năm.",
    ("ClassSubject", "code"): "Mã môn trong danh mục của quy định (docs/rules.md), ví dụ «TOAN».",
    ("ClassSubject", "periods_per_year"): (
        "Số tiết/năm; quyết định số ĐĐGtx mỗi học kì (TT22: ≤35 tiết: 2; ≤70: 3; >70: 4)."
    ),
    ("ClassSubject", "teachers"): "Mã giáo viên dạy môn (nhiều người khi dạy chung).",
    ("Student", "code"): "Mã học sinh trên CSDL ngành, duy nhất trong bộ dữ liệu.",
    ("Student", "national_id"): "Mã định danh cá nhân, 12 chữ số.",
    ("Student", "birth_date"): "Ngày sinh, ISO 8601 (YYYY-MM-DD).",
    ("Student", "enrolment_no"): "Số đăng bộ.",
    ("ClassStudent", "secondary"): "Đánh giá THCS/THPT (TT22); chỉ dùng cho lớp 6–12.",
    ("ClassStudent", "primary"): "Đánh giá tiểu học (TT27); chỉ dùng cho lớp 1–5.",
    ("SecondaryStudentYear", "subjects"): "Mã môn → đánh giá của môn trong năm học.",
    ("SecondaryStudentYear", "conduct_year"): (
        "Kết quả rèn luyện cả năm; phải khớp mức suy ra từ hai học kì (Điều 8 TT22)."
    ),
    ("SecondaryStudentYear", "conduct_year_reevaluated"): (
        "Kết quả rèn luyện sau khi rèn luyện trong kì nghỉ hè (chỉ khi cả năm Chưa đạt)."
    ),
    ("SecondaryStudentYear", "absences_term1"): "Số buổi nghỉ học kì I (có phép và không phép).",
    ("SecondaryStudentYear", "submitted_learning_year"): (
        "Kết quả học tập cả năm như sổ của giáo viên ghi; được đối chiếu với kết quả tính lại."
    ),
    ("SecondaryStudentYear", "submitted_promotion"): (
        f"Kết quả lên lớp như sổ ghi, một trong: {_values(PromotionOutcome)}; được đối chiếu."
    ),
    ("SecondaryStudentYear", "submitted_title"): (
        f"Danh hiệu như sổ ghi: {_values(Title)}, hoặc «» khi không có; được đối chiếu."
    ),
    ("SubjectAssessment", "term1"): "Điểm học kì I của môn đánh giá bằng điểm số.",
    ("SubjectAssessment", "comment1"): "Mức học kì I của môn chỉ đánh giá bằng nhận xét (Đ/CĐ).",
    ("SubjectAssessment", "submitted_year_average"): (
        "ĐTBmcn như sổ ghi; đối chiếu với (ĐTBmhkI + 2·ĐTBmhkII)/3 làm tròn 0,1."
    ),
    ("SubjectAssessment", "submitted_year_level"): "Mức cả năm như sổ ghi (bằng mức học kì II).",
    ("SubjectAssessment", "retest_score"): "Điểm kiểm tra lại trong hè.",
    ("SubjectAssessment", "retest_level"): "Mức đánh giá lại trong hè (môn nhận xét).",
    (
        "TermScores",
        "regular",
    ): "Các điểm đánh giá thường xuyên (ĐĐGtx), thang 10, một chữ số thập phân.",
    ("TermScores", "midterm"): "Điểm đánh giá giữa kì (ĐĐGgk).",
    ("TermScores", "final"): "Điểm đánh giá cuối kì (ĐĐGck).",
    ("TermScores", "submitted_average"): (
        "ĐTBmhk như sổ ghi; đối chiếu với (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck)/(số ĐĐGtx + 5) làm tròn 0,1."
    ),
    ("PrimaryStudentYear", "points"): "Thời điểm đánh giá (GK1, CK1, GK2, CN) → kết quả.",
    ("PrimaryStudentYear", "submitted_result"): (
        f"Kết quả giáo dục cuối năm như sổ ghi: {_values(PrimaryYearResult)}; được đối chiếu."
    ),
    ("PrimaryStudentYear", "submitted_title"): (
        f"Danh hiệu như sổ ghi: {_values(PrimaryTitle)}, hoặc «» khi không có."
    ),
    ("PrimaryPointAssessment", "subjects"): "Mã môn → mức (T/H/C), điểm KTĐK, nhận xét.",
    ("PrimaryPointAssessment", "qualities"): "Mã phẩm chất → mức (T/Đ/C).",
    ("PrimaryPointAssessment", "competences"): "Mã năng lực → mức (T/Đ/C).",
    ("PrimarySubjectMark", "score"): (
        "Điểm bài kiểm tra định kì, số nguyên 1–10, chỉ ở môn và thời điểm có bài kiểm tra (TT27)."
    ),
}


def _numbers(node: Any) -> Any:
    """Decimals are JSON numbers in our format: drop pydantic's "or a string" alternative."""
    if isinstance(node, list):
        return [_numbers(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _numbers(v) for k, v in node.items()}
    options = node.get("anyOf")
    if (
        isinstance(options, list)
        and {"type": "number"} in options
        and {"type": "string"} in options
    ):
        rest = [o for o in options if o != {"type": "string"}]
        node.pop("anyOf")
        if rest == [{"type": "number"}]:
            node["type"] = "number"
        else:
            node["anyOf"] = rest
    return node


def build_schema() -> dict[str, Any]:
    schema = _numbers(Dataset.model_json_schema(mode="validation"))
    defs = schema["$defs"]
    props = schema["properties"]
    props["format"] = {"const": FORMAT_NAME, "title": "Format"}
    props["format_version"] = {"const": FORMAT_VERSION, "title": "Format Version"}
    schema["required"] = ["format", "format_version", *schema["required"]]
    for (definition, prop), text in DESCRIPTIONS.items():
        target = schema if definition == "Dataset" else defs[definition]
        target["properties"][prop]["description"] = text
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "hsdt — dữ liệu đánh giá học sinh một năm học của một trường",
        "description": (
            "Định dạng chuẩn (canonical JSON) của hsdt: một trường, một năm học. Điểm là số thập "
            "phân viết đúng các chữ số (8.5, 10.0). Lược đồ chỉ kiểm tra cấu trúc; các quy định "
            "(thang điểm, số ĐĐGtx, kết quả phải khớp kết quả tính lại) do «hsdt check» kiểm tra "
            "và báo bằng mã lỗi trong docs/findings.md."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def schema_bytes() -> bytes:
    return (json.dumps(build_schema(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_schema(path: Path = DEFAULT_PATH) -> None:
    """Write the schema (UTF-8 JSON, two-space indent) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(schema_bytes())
