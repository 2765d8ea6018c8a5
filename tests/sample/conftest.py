"""Sample schools shared by the sample tests: generated once per session (they are immutable)."""

from __future__ import annotations

import pytest

from records.model import Dataset
from records.sample import generate_school


@pytest.fixture(scope="session")
def default_school() -> Dataset:
    return generate_school()


@pytest.fixture(scope="session")
def large_school() -> Dataset:
    """Ten primary and ten THCS classes, another seed: every grade, shared teachers."""
    return generate_school(seed=11, primary_classes=10, secondary_classes=10)


@pytest.fixture(scope="session", params=["default", "large"])
def school(
    request: pytest.FixtureRequest, default_school: Dataset, large_school: Dataset
) -> Dataset:
    return default_school if request.param == "default" else large_school
