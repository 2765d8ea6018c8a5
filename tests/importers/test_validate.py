"""Semantic checks beyond the one-fixture-per-code table: boundaries, cascades, comparisons."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from records.importers import load_bytes
from records.model import Dataset
from records.validate import validate_dataset

GOOD = Path(__file__).parents[1] / "fixtures" / "good"
THCS: dict[str, Any] = json.loads((GOOD / "minimal-thcs.json").read_text(encoding="utf-8"))
TH: dict[str, Any] = json.loads((GOOD / "minimal-th.json").read_text(encoding="utf-8"))
SMALL: dict[str, Any] = json.loads((GOOD / "small-school.json").read_text(encoding="utf-8"))


def findings(data: dict[str, Any]) -> list[tuple[str, tuple[str | int, ...]]]:
    result = load_bytes(json.dumps(data, ensure_ascii=False).encode(), "t.json")
    return [(f.code, f.location.path[4:]) for f in result.findings]


def student(data: dict[str, Any], i: int = 0) -> dict[str, Any]:
    s: dict[str, Any] = data["classes"][0]["students"][i]
    return s


def edit(base: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(base)


def test_fewer_regular_scores_while_the_term_is_open_is_missing_not_wrong() -> None:
    data = edit(THCS)
    term = student(data)["secondary"]["subjects"]["GDCD"]["term2"]
    term["regular"] = [9]
    del term["final"], term["submitted_average"]
    del student(data)["secondary"]["subjects"]["GDCD"]["submitted_year_average"]
    assert findings(data) == [("result.missing", ("secondary", "subjects", "GDCD"))]


def test_fewer_regular_scores_in_a_closed_term_is_wrong() -> None:
    data = edit(THCS)
    student(data)["secondary"]["subjects"]["GDCD"]["term2"]["regular"] = [9]
    assert findings(data) == [
        ("assessment.regular_count", ("secondary", "subjects", "GDCD", "term2", "regular"))
    ]


def test_a_bad_score_is_not_also_reported_as_a_wrong_average() -> None:
    data = edit(SMALL)
    student(data)["secondary"]["subjects"]["TOAN"]["term1"]["final"] = 93  # meant 9.3
    codes = [code for code, _ in findings(data)]
    assert codes == ["score.out_of_range"]  # no ĐTB, learning-result or title mismatch


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("submitted_title", "Học sinh Xuất sắc", "submitted_title"),
        ("submitted_learning_term1", "Khá", "submitted_learning_term1"),
        ("submitted_promotion", "Không được lên lớp", "submitted_promotion"),
        ("conduct_year", "Khá", "conduct_year"),  # HK I Tốt + HK II Tốt is Tốt (Điều 8)
    ],
)
def test_submitted_results_must_match_the_recomputation(field: str, value: str, where: str) -> None:
    data = edit(SMALL)
    student(data)["secondary"][field] = value
    assert findings(data) == [("submitted.mismatch", ("secondary", where))]


def test_year_averages_and_comment_levels_are_compared() -> None:
    data = edit(SMALL)
    subjects = student(data)["secondary"]["subjects"]
    subjects["TOAN"]["submitted_year_average"] = 9.5
    subjects["GDTC"]["submitted_year_level"] = "CĐ"
    assert findings(data) == [  # in the class's subject order
        ("submitted.mismatch", ("secondary", "subjects", "TOAN", "submitted_year_average")),
        ("submitted.mismatch", ("secondary", "subjects", "GDTC", "submitted_year_level")),
    ]


def test_primary_result_and_scores() -> None:
    data = edit(TH)
    year = student(data)["primary"]
    year["submitted_result"] = "Hoàn thành tốt"
    assert findings(data) == [("submitted.mismatch", ("primary", "submitted_result"))]
    year["submitted_result"] = "Hoàn thành xuất sắc"
    year["points"]["CN"]["subjects"]["TOAN"]["score"] = 0
    assert findings(data) == [
        ("score.out_of_range", ("primary", "points", "CN", "subjects", "TOAN", "score"))
    ]
    year["points"]["CN"]["subjects"]["TOAN"]["score"] = 8.5  # JSON: not an integer
    assert findings(data) == [
        ("score.out_of_range", ("primary", "points", "CN", "subjects", "TOAN", "score"))
    ]


def test_primary_missing_values_at_a_point() -> None:
    data = edit(TH)
    cn = student(data)["primary"]["points"]["CN"]
    del cn["qualities"]["CHAM_CHI"]
    del cn["subjects"]["TOAN"]["score"]
    result = load_bytes(json.dumps(data, ensure_ascii=False).encode(), "t.json")
    [missing] = result.findings
    assert missing.code == "result.missing"
    assert "điểm KTĐK môn Toán" in missing.detail and "phẩm chất Chăm chỉ" in missing.detail


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        (("GDCD", "term1", "midterm"), "tám", "score.not_a_number"),
        (("GDCD", "comment1"), {"level": "Đ"}, "level.on_scored_subject"),
        (("GDTC", "term2"), {"regular": [7]}, "score.on_comment_subject"),
    ],
)
def test_json_values_map_to_specific_codes(path: tuple[str, ...], value: object, code: str) -> None:
    data = edit(THCS)
    node = student(data)["secondary"]["subjects"]
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    assert [c for c, _ in findings(data)] == [code]


def test_absences_and_misplaced_level_blocks() -> None:
    data = edit(THCS)
    student(data)["secondary"]["absences_term2"] = "hai"
    assert findings(data) == [("absences.invalid", ("secondary", "absences_term2"))]
    data = edit(THCS)
    student(data)["primary"] = {"points": {}}
    assert findings(data) == [("schema.invalid", ("primary",))]


def test_duplicate_teacher_and_unknown_principal() -> None:
    data = edit(THCS)
    data["teachers"].append({"id": "GV001", "full_name": "Ai Khác"})
    data["school"]["principal"] = "GV404"
    result = load_bytes(json.dumps(data, ensure_ascii=False).encode(), "t.json")
    assert [(f.code, f.location.path) for f in result.findings] == [
        ("schema.invalid", ("teachers", 2, "id")),
        ("teacher.unknown", ("school", "principal")),
    ]


def test_a_dataset_built_in_code_is_located_by_path() -> None:
    ds = Dataset.model_validate(edit(SMALL))
    assert validate_dataset(ds) == []
    bad = edit(SMALL)
    student(bad)["student"]["national_id"] = "12"
    [finding] = validate_dataset(Dataset.model_validate(bad))
    assert finding.location.file is None and finding.location.student == "1008300001"
    assert finding.location.describe().startswith("$.classes[0].students[0].student.national_id")
