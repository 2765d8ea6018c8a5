"""Migration 0006: the account tables as the models describe them, and a clean downgrade."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from service.context import Context
from service.db.account_models import AccountCertificateRow, AccountRow, GrantRow
from service.db.engine import MIGRATIONS
from service.db.models import Base

TABLES = tuple(
    Base.metadata.tables[m.__tablename__] for m in (AccountRow, GrantRow, AccountCertificateRow)
)


def test_migrated_tables_match_the_models(ctx: Context) -> None:
    found = inspect(ctx.engine)
    for table in TABLES:
        columns = {c["name"]: c["nullable"] for c in found.get_columns(table.name)}
        assert columns == {c.name: c.nullable for c in table.columns}, table.name
    unique = {tuple(u["column_names"]) for u in found.get_unique_constraints("accounts")} | {
        tuple(i["column_names"]) for i in found.get_indexes("accounts") if i["unique"]
    }
    assert {("username",), ("national_id",)} <= unique
    cert_unique = {
        tuple(u["column_names"]) for u in found.get_unique_constraints("account_certificates")
    } | {tuple(i["column_names"]) for i in found.get_indexes("account_certificates") if i["unique"]}
    assert ("sha256",) in cert_unique


def test_downgrade_to_0005_and_back(ctx: Context) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with ctx.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0005")
    assert not {t.name for t in TABLES} & set(inspect(ctx.engine).get_table_names())
    with ctx.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    assert {t.name for t in TABLES} <= set(inspect(ctx.engine).get_table_names())
