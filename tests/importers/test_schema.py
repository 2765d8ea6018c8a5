"""The published JSON Schema is the model's, and the fixtures agree with it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]  # no stubs in the pinned set
import pytest

from records.schema import DEFAULT_PATH, build_schema, schema_bytes, write_schema

FIXTURES = Path(__file__).parents[1] / "fixtures"


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_committed_schema_is_the_generated_one() -> None:
    assert DEFAULT_PATH.read_bytes() == schema_bytes(), (
        "docs/schema is stale: run `.venv/bin/python -c 'from records.schema import write_schema; "
        "write_schema()'` and commit the result"
    )


def test_write_schema_writes_what_build_schema_says(tmp_path: Path) -> None:
    out = tmp_path / "s" / "schema.json"
    write_schema(out)
    assert json.loads(out.read_text(encoding="utf-8")) == build_schema()


@pytest.mark.parametrize("name", ["small-school.json", "minimal-thcs.json", "minimal-th.json"])
def test_good_fixtures_validate(name: str) -> None:
    data = json.loads((FIXTURES / "good" / name).read_text(encoding="utf-8"))
    assert list(validator().iter_errors(data)) == []


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("schema.invalid.json", ["classes", 0, "students", 0, "student", "gender"]),
        ("schema.format.json", ["format"]),
    ],
)
def test_shape_errors_are_schema_errors_too(name: str, where: list[object]) -> None:
    data = json.loads((FIXTURES / "bad" / name).read_text(encoding="utf-8"))
    errors = list(validator().iter_errors(data))
    assert [list(e.absolute_path) for e in errors] == [where]


def test_scores_are_numbers_and_fields_are_described() -> None:
    schema = build_schema()
    term = schema["$defs"]["TermScores"]["properties"]
    assert term["regular"]["items"] == {"type": "number"}
    assert term["midterm"]["anyOf"] == [{"type": "number"}, {"type": "null"}]
    assert "ĐĐGgk" in term["midterm"]["description"]
    assert schema["properties"]["format"]["const"] == "hsdt/school-year"
    assert schema["required"][:2] == ["format", "format_version"]
