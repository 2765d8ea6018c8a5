"""Fixtures of the archive tests. ``any_store`` runs a test on both adapters: the local
directory store and S3 over HTTP (moto)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from archive_helpers import MovableClock, StoreUnderTest, local_under_test, s3_under_test

from archive.retention import Retention
from archive.s3_store import S3ObjectStore


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def retention(clock: MovableClock) -> Retention:
    return Retention(clock.now() + timedelta(days=365 * 100))


@pytest.fixture(params=["local", "s3"])
def any_store(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: MovableClock,
    new_s3_store: Callable[..., S3ObjectStore],
    raw_s3: Any,
) -> StoreUnderTest:
    if request.param == "local":
        return local_under_test(tmp_path / "objects", clock)
    return s3_under_test(new_s3_store(now=clock.now), raw_s3)
