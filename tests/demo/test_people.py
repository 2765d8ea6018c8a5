"""The demo's people on a home where ``hsdt serve`` already made the demo accounts: the demo keeps
them (same usernames, same passwords), adds only what is missing (the board member's grant, the
student), binds nothing twice, and a second call writes nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from records.sample import generate_school
from service.accounts import AccountPolicy
from service.accounts.policy import Argon2idParameters
from service.audit_log import events_table
from service.authz import Role
from service.context import Context
from service.demo_accounts import CREDENTIALS_FILE, create_demo_accounts
from service.demo_people import ensure_people, read_credentials
from service.signing import ensure_dev_pki

FAST = AccountPolicy(hashing=Argon2idParameters(time_cost=1, memory_kib=1024, parallelism=1))


def entries(ctx: Context) -> int:
    with ctx.sessions() as s:
        return s.scalar(select(func.count()).select_from(events_table)) or 0


def test_people_join_accounts_made_by_serve_and_stay_put(tmp_path: Path) -> None:
    ds = generate_school(seed=2026, primary_classes=1, secondary_classes=0)
    ctx = Context.open(tmp_path / "home")
    try:
        pki = ensure_dev_pki(ctx, ds)
        served = {a.username: a.password for a in create_demo_accounts(ctx, ds, policy=FAST)}

        people = ensure_people(ctx, ds, pki, policy=FAST)

        assert people.created == 1  # the student; everyone else was there
        assert people.admin.username == "vang.thi.dung"
        assert people.admin.password == served["vang.thi.dung"]
        board_roles = {g.role for g in people.board.principal.grants}
        assert Role.BOARD_MEMBER in board_roles and Role.VICE_PRINCIPAL in board_roles
        assert {g.role for g in people.student.principal.grants} == {Role.STUDENT}
        saved = read_credentials(ctx.home.root / CREDENTIALS_FILE)
        assert saved[people.student.username] == people.student.password
        assert all(saved[u] == p for u, p in served.items())
        text = (ctx.home.root / CREDENTIALS_FILE).read_text(encoding="utf-8")
        assert text.startswith("# CHỈ DÙNG CHẠY THỬ (demo only)")

        before = entries(ctx)
        again = ensure_people(ctx, ds, pki, policy=FAST)
        assert again.created == 0 and entries(ctx) == before
        assert again.board.principal == people.board.principal
    finally:
        ctx.close()
