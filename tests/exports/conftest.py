"""Fixtures: one signed and archived home per database, shared by the module's tests.

archived_template  (from the archive-flow suite) three record books of a small school, signed
                   through their plan and archived in the local store; the dev PKI served
export_home        a copy of it on SQLite or PostgreSQL (module-scoped: building a signed home
                   is the slow part), opened with a fixed clock
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from archive_flow.conftest import Template, archived_template, signed_template
from sqlalchemy import Integer, create_engine, insert, select, text
from support.db import _postgres_database

from records.model import Dataset
from service.authz import Grant, Principal, Role, Scope
from service.clock import FixedClock
from service.context import Context
from service.db.models import Base
from service.signing import SignerIdentity
from signing.backends import Pkcs12Backend

__all__ = ["archived_template", "signed_template"]  # fixtures re-used from the archive flow

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


@dataclass
class ExportHome:
    ctx: Context
    template: Template
    database_url: str

    @property
    def dataset(self) -> Dataset:
        return self.template.dataset

    def student(self, n: int) -> str:
        return self.dataset.classes[0].students[n].student.code

    def principal(
        self, role: Role, *, account: str = "u1", person_id: str | None = None, **narrower: Any
    ) -> Principal:
        """A signed-in account with one grant at this school (``student=…``, ``subject=…``)."""
        ds = self.dataset
        scope = Scope(ds.province.code, ds.district.code, ds.school.code, **narrower)
        return Principal(account, (Grant(role, scope, person_id),))

    def seal(self, person: str | None = None) -> SignerIdentity:
        who = person or self.dataset.school.code
        identity = self.template.pki.identity(who)
        return SignerIdentity(who, Pkcs12Backend(identity.pkcs12_path, identity.passphrase))


def _copy_rows(source_url: str, ctx: Context) -> None:
    """Every row of the template's SQLite database into the (migrated, empty) database of ctx."""
    source = create_engine(source_url)
    with source.connect() as src, ctx.engine.begin() as dst:
        for table in Base.metadata.sorted_tables:
            rows = [dict(r) for r in src.execute(select(table)).mappings()]
            if rows:
                dst.execute(insert(table), rows)
            id_column = table.columns.get("id")
            if ctx.engine.dialect.name == "postgresql" and isinstance(
                getattr(id_column, "type", None), Integer
            ):
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
    source.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def export_home(
    request: pytest.FixtureRequest,
    archived_template: Template,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ExportHome]:
    root = tmp_path_factory.mktemp("exports") / "home"
    if request.param == "sqlite":
        shutil.copytree(archived_template.root, root)
        ctx = Context.open(root, clock=FixedClock(NOW))
        yield ExportHome(ctx, archived_template, f"sqlite:///{root / 'hsdt.db'}")
        ctx.close()
        return
    shutil.copytree(archived_template.root, root, ignore=shutil.ignore_patterns("hsdt.db*"))
    for url in _postgres_database():
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("HSDT_DATABASE_URL", url)
            ctx = Context.open(root, clock=FixedClock(NOW))
        _copy_rows(f"sqlite:///{archived_template.root / 'hsdt.db'}", ctx)
        yield ExportHome(ctx, archived_template, url)
        ctx.close()


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path
