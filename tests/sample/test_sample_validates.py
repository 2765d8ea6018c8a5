"""The sample passes the validator with no findings at all: no errors and no warnings."""

from __future__ import annotations

from records.model import Dataset
from records.sample import generate_school
from records.validate import validate_dataset


def test_the_sample_has_no_findings(school: Dataset) -> None:
    assert [f.describe() for f in validate_dataset(school)] == []


def test_a_pre_reform_year_has_no_findings_either() -> None:
    ds = generate_school(seed=3, primary_classes=2, secondary_classes=2, school_year="2024-2025")
    assert [f.describe() for f in validate_dataset(ds)] == []
