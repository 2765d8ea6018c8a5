"""Fixtures: a home on the parametrized database (SQLite and PostgreSQL) with a settable clock,
and the same home with its first accounts.

    ctx        Context on ``database_url``, clock fixed at T0 (move it with helpers.advance)
    school     ctx plus a province admin (bootstrap), a school admin and a subject teacher
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts.helpers import (
    FAST,
    PROVINCE_ADMIN,
    SCHOOL_ADMIN,
    SCHOOL_ADMIN_GRANT,
    T0,
    TEACHER,
    TEACHER_GRANT,
    signed_in,
)
from service.accounts import bootstrap_admin, create_account
from service.authz import Principal
from service.clock import FixedClock
from service.context import Context


@pytest.fixture
def ctx(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    context = Context.open(tmp_path / "home", clock=FixedClock(T0))
    yield context
    context.close()


@dataclass
class School:
    ctx: Context
    province_admin: Principal
    school_admin: Principal


@pytest.fixture
def school(ctx: Context) -> School:
    bootstrap_admin(ctx, PROVINCE_ADMIN, "LC", policy=FAST)
    province_admin = signed_in(ctx, PROVINCE_ADMIN)
    create_account(ctx, province_admin, SCHOOL_ADMIN, [SCHOOL_ADMIN_GRANT], policy=FAST)
    school_admin = signed_in(ctx, SCHOOL_ADMIN)
    create_account(ctx, school_admin, TEACHER, [TEACHER_GRANT], policy=FAST)
    return School(ctx, province_admin, school_admin)
