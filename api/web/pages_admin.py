"""Administrators' pages: accounts (roles, certificates, lockouts), lock windows, the audit log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from api.web import data
from api.web.menu import can
from api.web.render import WebRoute, page
from api.web.session import User, UserDep, check_csrf
from service.accounts import (
    BoundCertificate,
    certificates_of,
    disable_account,
    unlock_account,
)
from service.accounts.lockout import as_utc
from service.accounts.store import grants_of
from service.audit_verify import verify_audit_log
from service.authz import Action, Forbidden, Grant, ResourceRef, authorize
from service.db.account_models import AccountRow
from service.db.models import EventRow
from service.errors import HsdtError
from service.locks import LockScope, LockTerm, close_lock, list_locks, open_lock

router = APIRouter(route_class=WebRoute)
CsrfField = Annotated[str, Form(max_length=64)]
AUDIT_PAGE = 100


@dataclass(frozen=True)
class AccountView:
    username: str
    full_name: str
    grants: tuple[Grant, ...]
    certificates: list[BoundCertificate]
    locked: bool
    disabled: bool


def _manages(user: User, username: str, grants: tuple[Grant, ...]) -> bool:
    """Every grant of the account is within the user's account.manage scope."""
    if not grants:
        return can(user, Action.ACCOUNT_MANAGE)
    return all(
        authorize(
            user.principal,
            Action.ACCOUNT_MANAGE,
            ResourceRef(g.scope.province, g.scope.district, g.scope.school, account=username),
        ).allowed
        for g in grants
    )


def _require_manage(user: User) -> None:
    if not can(user, Action.ACCOUNT_MANAGE):
        raise Forbidden(authorize(user.principal, Action.ACCOUNT_MANAGE, _any_ref(user)))


def _any_ref(user: User) -> ResourceRef:
    g = user.principal.grants[0] if user.principal.grants else None
    return ResourceRef(g.scope.province if g else "", g.scope.district if g else None)


@router.get("/quan-tri/tai-khoan")
def accounts(user: UserDep) -> Response:
    _require_manage(user)
    now = user.ctx.clock.now()
    shown = []
    with user.ctx.sessions() as s:
        rows = s.scalars(select(AccountRow).order_by(AccountRow.username)).all()
        found = [(r, grants_of(s, r)) for r in rows]
    for row, grants in found:
        if row.username == user.username or not _manages(user, row.username, grants):
            continue
        locked = row.locked_until is not None and as_utc(row.locked_until) > now
        shown.append(
            AccountView(
                row.username,
                row.full_name,
                grants,
                certificates_of(user.ctx, row.username),
                locked,
                row.disabled_at is not None,
            )
        )
    return page("accounts.html", user, accounts=shown, schools=data.school_refs(user))


@router.post("/quan-tri/tai-khoan/{username}")
def account_action(
    user: UserDep,
    username: str,
    action: Annotated[str, Form(max_length=16)],
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    if action == "mo-khoa":
        unlock_account(user.ctx, user.principal, username)
    elif action == "vo-hieu":
        disable_account(user.ctx, user.principal, username)
    else:
        raise HsdtError(f"Không rõ thao tác «{action}».")
    return RedirectResponse("/quan-tri/tai-khoan", status_code=303)


# ---------------------------------------------------------------------------- lock windows


@router.get("/quan-tri/khoa-so")
def locks(user: UserDep) -> Response:
    windows = list_locks(user.ctx, user.principal)
    schools = [
        s
        for s in data.school_refs(user)
        if authorize(user.principal, Action.RECORD_LOCK, data.school_ref(s[1])).allowed
    ]
    return page("locks.html", user, windows=windows, schools=schools, terms=list(LockTerm))


@router.post("/quan-tri/khoa-so")
def open_window(
    user: UserDep,
    school: Annotated[str, Form(max_length=32)],
    term: Annotated[str, Form(max_length=8)],
    reason: Annotated[str, Form(max_length=500)] = "",
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    found = [s for s in data.school_refs(user) if s[1].school == school]
    if not found:
        raise HsdtError(f"Không có trường «{school}» trong phạm vi của bạn.")
    place = found[0][1]
    try:
        chosen = LockTerm(term)
    except ValueError:
        raise HsdtError(f"Kì khoá «{term}» không hợp lệ: chọn HK1, HK2 hoặc cả năm.") from None
    open_lock(
        user.ctx,
        user.principal,
        LockScope(place.province, place.district, place.school),
        year=place.year,
        term=chosen,
        reason=reason,
    )
    return RedirectResponse("/quan-tri/khoa-so", status_code=303)


@router.post("/quan-tri/khoa-so/{window_id}/dong")
def close_window(
    user: UserDep,
    window_id: int,
    reason: Annotated[str, Form(max_length=500)] = "",
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    close_lock(user.ctx, user.principal, window_id, reason=reason)
    return RedirectResponse("/quan-tri/khoa-so", status_code=303)


# ---------------------------------------------------------------------------- audit log


@router.get("/quan-tri/nhat-ky")
def audit_log(user: UserDep, kiem_tra: int = 0) -> Response:
    resource = user.state.resources.installation()
    require_audit = authorize(user.principal, Action.AUDIT_VERIFY, resource)
    if not require_audit.allowed:
        raise Forbidden(require_audit)
    with user.ctx.sessions() as s:
        total = s.scalar(select(func.count()).select_from(EventRow)) or 0
        rows = s.scalars(select(EventRow).order_by(EventRow.id.desc()).limit(AUDIT_PAGE)).all()
        entries = [(r.at, r.actor, r.action, r.subject, _detail(r.detail)) for r in rows]
    verification = verify_audit_log(user.ctx) if kiem_tra else None
    return page("audit.html", user, entries=entries, total=total, verification=verification)


def _detail(raw: str | None) -> str:
    try:
        parsed = json.loads(raw or "{}")
    except ValueError:
        return ""
    if not isinstance(parsed, dict):
        return str(parsed)
    return ", ".join(f"{k}={v}" for k, v in list(parsed.items())[:6])
