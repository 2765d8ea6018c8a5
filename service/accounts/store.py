"""Reading and writing account rows: grants to and from their table, lookups, audit entries."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.errors import UnknownAccount
from service.audit_log import append_entry
from service.authz import Grant, Principal, Role, Scope
from service.db.account_models import AccountRow, GrantRow


def login_name(username: str) -> str:
    """How a typed username is looked up (no validation: an unknown name is just unknown)."""
    return unicodedata.normalize("NFC", username).strip().casefold()


def find_account(session: Session, username: str) -> AccountRow | None:
    return session.scalar(select(AccountRow).where(AccountRow.username == login_name(username)))


def get_account(session: Session, username: str) -> AccountRow:
    row = find_account(session, username)
    if row is None:
        raise UnknownAccount(
            f"Không có tài khoản «{login_name(username)}».",
            hint="Kiểm tra tên đăng nhập (xem danh sách tài khoản của đơn vị).",
        )
    return row


def grant_row(account: AccountRow, grant: Grant, at: datetime, by: str) -> GrantRow:
    s = grant.scope
    return GrantRow(
        account_id=account.id,
        role=grant.role.value,
        province=s.province,
        district=s.district,
        school=s.school,
        year=s.year,
        classes=",".join(sorted(s.classes)),
        subject=s.subject,
        student=s.student,
        person_id=grant.person_id,
        granted_at=at,
        granted_by=by,
    )


def grant_of(row: GrantRow) -> Grant:
    scope = Scope(
        province=row.province,
        district=row.district,
        school=row.school,
        year=row.year,
        classes=frozenset(c for c in row.classes.split(",") if c),
        subject=row.subject,
        student=row.student,
    )
    return Grant(Role(row.role), scope, row.person_id)


def grants_of(session: Session, account: AccountRow) -> tuple[Grant, ...]:
    rows = session.scalars(
        select(GrantRow).where(GrantRow.account_id == account.id).order_by(GrantRow.id)
    )
    return tuple(grant_of(r) for r in rows)


def principal_of(session: Session, account: AccountRow) -> Principal:
    return Principal(account.username, grants_of(session, account))


def audit(
    session: Session, at: datetime, actor: str, action: str, username: str, **detail: Any
) -> None:
    """An entry in the hash-chained audit log, in the caller's transaction. The log refuses detail
    keys that name secrets (service.audit_chain); nothing secret is ever passed here."""
    append_entry(
        session, at=at, actor=actor, action=action, subject=f"account:{username}", detail=detail
    )


def describe_grant(grant: Grant) -> dict[str, Any]:
    """A grant as audit-log detail."""
    return {"role": grant.role.value, "scope": grant.scope.describe(), "person": grant.person_id}
