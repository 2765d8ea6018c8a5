"""Administrators' account pages: create a personal account, add and revoke grants, bind and
unbind signing certificates, reset the password or the second factor; and the schools of the
administrator's scope.

Every change goes through ``service.accounts``, which checks ``account.manage`` over each grant
concerned with the acting administrator's Principal (their tier and scope; never their own
account: ``deny.sod.self``). A new or reset password is shown once, on the answer page only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from cryptography import x509
from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from api.http.problems import ApiProblem
from api.web import data
from api.web.menu import can
from api.web.pages_admin import _manages, _require_manage
from api.web.render import WebRoute, page
from api.web.session import User, UserDep, check_csrf
from service.accounts import (
    NewAccount,
    add_grant,
    bind_certificate,
    certificates_of,
    create_account,
    reset_password,
    reset_second_factor,
    revoke_grant,
    unbind_certificate,
)
from service.accounts.lockout import as_utc
from service.accounts.store import grants_of
from service.authz import ROLE_SPECS, Action, Dim, Forbidden, Grant, ResourceRef, Role, Scope
from service.authz import authorize as authz_authorize
from service.db.account_models import AccountRow
from service.errors import HsdtError
from service.locks import list_locks

router = APIRouter(route_class=WebRoute)
CsrfField = Annotated[str, Form(max_length=64)]
Text = Annotated[str, Form(max_length=200)]
MAX_CERTIFICATE = 64 * 1024

NOTICES = {
    "vai-tro": "Đã giao vai trò.",
    "thu-hoi": "Đã thu hồi vai trò.",
    "chung-thu": "Đã gắn chứng thư số.",
    "go-chung-thu": "Đã gỡ chứng thư số (các chữ ký đã có vẫn được ghi nhận).",
    "totp": "Đã xoá xác thực hai bước: người dùng đăng ký lại khi đăng nhập.",
}


@dataclass(frozen=True)
class GrantForm:
    """The grant fields of a form, as typed (kept to refill the form after a refusal)."""

    role: str = ""
    school: str = ""
    year: str = ""
    classes: str = ""
    subject: str = ""
    student: str = ""
    person_id: str = ""


def _roles_for(user: User) -> list[tuple[str, str]]:
    """Roles an administrator may hand out: the school-level ones and learners (the matrix
    decides per grant; province/district administrators are made by the tier above)."""
    return [
        (role.value, spec.label)
        for role, spec in ROLE_SPECS.items()
        if role not in (Role.PROVINCE_ADMIN, Role.DISTRICT_ADMIN)
    ]


def build_grant(user: User, form: GrantForm) -> Grant:
    """A grant from the form; ``InvalidGrant`` (Vietnamese) when its scope does not fit the role."""
    try:
        role = Role(form.role)
    except ValueError:
        raise HsdtError(
            f"Vai trò «{form.role}» không có.", hint="Chọn vai trò từ danh sách."
        ) from None
    found = [s for s in data.school_refs(user) if s[1].school == form.school.strip()]
    if not found:
        raise HsdtError(
            f"Không có trường «{form.school}» trong phạm vi của bạn.",
            hint="Chọn trường từ danh sách.",
        )
    place = found[0][1]
    classes = frozenset(c.strip() for c in form.classes.replace(";", ",").split(",") if c.strip())
    scope = Scope(
        place.province,
        place.district,
        place.school,
        year=form.year.strip() or None,
        classes=classes,
        subject=form.subject.strip().upper() or None,
        student=form.student.strip() or None,
    )
    person = form.person_id.strip().upper() or None
    return Grant(role, scope, person)


def _form_values(
    role: str, school: str, year: str, classes: str, subject: str, student: str, person_id: str
) -> GrantForm:
    return GrantForm(role, school, year, classes, subject, student, person_id)


def _new_form(user: User, *, status: int = 200, **extra: object) -> Response:
    return page(
        "account_new.html",
        user,
        status=status,
        roles=_roles_for(user),
        schools=data.school_refs(user),
        dims=Dim,
        specs=ROLE_SPECS,
        **extra,
    )


@router.get("/quan-tri/tao-tai-khoan")
def new_account_form(user: UserDep) -> Response:
    _require_manage(user)
    return _new_form(user, form=GrantForm(), account={})


@router.post("/quan-tri/tao-tai-khoan")
def new_account(
    user: UserDep,
    username: Text,
    full_name: Text,
    national_id: Annotated[str, Form(max_length=20)],
    role: Text,
    school: Text,
    password: Annotated[str, Form(max_length=256)] = "",
    year: Text = "",
    classes: Text = "",
    subject: Text = "",
    student: Text = "",
    person_id: Text = "",
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    _require_manage(user)
    form = _form_values(role, school, year, classes, subject, student, person_id)
    account = {"username": username, "full_name": full_name, "national_id": national_id}
    generated = not password
    # the initial password: the administrator's, or a random one shown once (16 characters)
    initial = password or secrets.token_urlsafe(12)
    try:
        grant = build_grant(user, form)
        made = create_account(
            user.ctx,
            user.principal,
            NewAccount(username, full_name, national_id, initial),
            [grant],
            policy=user.state.settings.policy,
        )
    except Forbidden:
        raise  # a 403 page with the matrix's reason
    except HsdtError as exc:  # the form comes back with the reason in place, nothing stored
        return _new_form(user, status=422, form=form, account=account, error=exc)
    return page(
        "account_created.html",
        user,
        username=made,
        full_name=full_name,
        password=initial if generated else None,
        grant=grant,
    )


# ---------------------------------------------------------------------------- one account


def _account(user: User, username: str) -> tuple[AccountRow, tuple[Grant, ...]]:
    with user.ctx.sessions() as s:
        row = s.scalar(select(AccountRow).where(AccountRow.username == username))
        if row is None:
            raise ApiProblem(404, "account.unknown", f"Không có tài khoản «{username}».")
        grants = grants_of(s, row)
        s.expunge(row)
    if username == user.username or not _manages(user, username, grants):
        # the matrix's own reason (separation of duties, or out of the administrator's scope)
        for g in grants or (None,):
            ref = ResourceRef(
                g.scope.province if g else "",
                g.scope.district if g else None,
                g.scope.school if g else None,
                year=g.scope.year if g else None,
                account=username,
            )
            decision = authz_authorize(user.principal, Action.ACCOUNT_MANAGE, ref)
            if not decision.allowed:
                raise Forbidden(decision)
    return row, grants


def _account_page(user: User, username: str, *, status: int = 200, **extra: object) -> Response:
    row, grants = _account(user, username)
    now = user.ctx.clock.now()
    return page(
        "account.html",
        user,
        status=status,
        account=row,
        grants=[(i, g, grant_key(g)) for i, g in enumerate(grants)],
        certificates=certificates_of(user.ctx, username),
        locked=row.locked_until is not None and as_utc(row.locked_until) > now,
        roles=_roles_for(user),
        schools=data.school_refs(user),
        form=extra.pop("form", GrantForm()),
        **extra,
    )


@router.get("/quan-tri/tai-khoan/{username}")
def account_page(user: UserDep, username: str, tb: str | None = None) -> Response:
    _require_manage(user)
    return _account_page(user, username, notice=NOTICES.get(tb or ""))


@router.post("/quan-tri/tai-khoan/{username}/vai-tro")
def grant_role(
    user: UserDep,
    username: str,
    role: Text,
    school: Text,
    year: Text = "",
    classes: Text = "",
    subject: Text = "",
    student: Text = "",
    person_id: Text = "",
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    _account(user, username)
    form = _form_values(role, school, year, classes, subject, student, person_id)
    try:
        grant = build_grant(user, form)
    except Forbidden:
        raise
    except HsdtError as exc:  # InvalidGrant: the reason next to the form, nothing stored
        return _account_page(user, username, status=422, form=form, error=exc)
    add_grant(user.ctx, user.principal, username, grant)
    return RedirectResponse(f"/quan-tri/tai-khoan/{username}?tb=vai-tro", status_code=303)


def grant_key(grant: Grant) -> str:
    """What the page saw of a grant: revoking checks it is still the one at that position."""
    return f"{grant.role.value}|{grant.scope.describe()}|{grant.person_id or ''}"


@router.post("/quan-tri/tai-khoan/{username}/thu-hoi")
def revoke_role(
    user: UserDep,
    username: str,
    index: Annotated[int, Form()],
    key: Annotated[str, Form(max_length=500)] = "",
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    _, grants = _account(user, username)
    if not 0 <= index < len(grants) or grant_key(grants[index]) != key:
        raise HsdtError(
            "Danh sách vai trò của tài khoản đã thay đổi từ lúc mở trang: không thu hồi gì.",
            hint="Tải lại trang tài khoản rồi thao tác lại.",
        )
    revoke_grant(user.ctx, user.principal, username, grants[index])
    return RedirectResponse(f"/quan-tri/tai-khoan/{username}?tb=thu-hoi", status_code=303)


@router.post("/quan-tri/tai-khoan/{username}/chung-thu")
def bind(
    user: UserDep,
    username: str,
    certificate: Annotated[UploadFile, File()],
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    _account(user, username)
    raw = certificate.file.read(MAX_CERTIFICATE + 1)
    if len(raw) > MAX_CERTIFICATE:
        raise HsdtError("Tệp chứng thư số quá lớn (tối đa 64 KB).")
    try:
        parsed = (
            x509.load_pem_x509_certificate(raw)
            if raw.lstrip().startswith(b"-----BEGIN")
            else x509.load_der_x509_certificate(raw)
        )
    except ValueError:
        raise HsdtError(
            f"Tệp «{certificate.filename or '(không tên)'}» không phải chứng thư số X.509 "
            "(PEM hoặc DER).",
            hint="Xuất chứng thư số của người dùng từ token (.cer, .crt hoặc .pem) rồi tải lên.",
        ) from None
    bind_certificate(user.ctx, user.principal, username, parsed)
    return RedirectResponse(f"/quan-tri/tai-khoan/{username}?tb=chung-thu", status_code=303)


@router.post("/quan-tri/tai-khoan/{username}/go-chung-thu")
def unbind(
    user: UserDep,
    username: str,
    sha256: Annotated[str, Form(max_length=64)],
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    _account(user, username)
    unbind_certificate(user.ctx, user.principal, username, sha256)
    return RedirectResponse(f"/quan-tri/tai-khoan/{username}?tb=go-chung-thu", status_code=303)


@router.post("/quan-tri/tai-khoan/{username}/mat-khau")
def new_password(
    user: UserDep,
    username: str,
    password: Annotated[str, Form(max_length=256)] = "",
    csrf: CsrfField = "",
) -> Response:
    check_csrf(user, csrf)
    _account(user, username)
    chosen = password or secrets.token_urlsafe(12)
    reset_password(user.ctx, user.principal, username, chosen, policy=user.state.settings.policy)
    return _account_page(
        user,
        username,
        notice="Đã đặt lại mật khẩu; mọi phiên làm việc của tài khoản đã kết thúc.",
        new_password=None if password else chosen,
    )


@router.post("/quan-tri/tai-khoan/{username}/totp")
def reset_totp(user: UserDep, username: str, csrf: CsrfField = "") -> Response:
    check_csrf(user, csrf)
    _account(user, username)
    reset_second_factor(user.ctx, user.principal, username)
    return RedirectResponse(f"/quan-tri/tai-khoan/{username}?tb=totp", status_code=303)


# ---------------------------------------------------------------------------- schools


@dataclass(frozen=True)
class SchoolView:
    name: str
    code: str
    year: str
    classes: list[str]
    locks: list[str]  # the open lock windows covering the school's current year


@router.get("/quan-tri/truong")
def schools(user: UserDep) -> Response:
    if not (can(user, Action.ACCOUNT_MANAGE) or can(user, Action.RECORD_LOCK)):
        _require_manage(user)
    windows = list_locks(user.ctx, user.principal, active_only=True)
    shown = []
    for dataset_id, place, name in data.school_refs(user):
        ds = data.dataset(user.ctx, dataset_id)
        covering = [
            f"{w.term.label} (số {w.id}, từ {w.opened_at:%d/%m/%Y})"
            for w in windows
            if w.year == place.year
            and w.scope.province == place.province
            and w.scope.district in (None, place.district)
            and w.scope.school in (None, place.school)
        ]
        shown.append(
            SchoolView(name, place.school, place.year, sorted(c.id for c in ds.classes), covering)
        )
    return page("schools.html", user, schools=shown)
