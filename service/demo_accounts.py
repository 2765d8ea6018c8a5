"""Demo accounts: a personal account for everyone who works on the demo school, with the roles
the dataset gives them and their development-PKI certificate bound, so the API can be tried.

    create_demo_accounts(ctx, dataset) -> list[DemoAccount]    # once per home (first account)

Demo mode only. Passwords are random, shown once and written to ``demo-accounts.txt`` in the
home (mode 0600) — a demo convenience that production never has. Usernames follow each person's
name (accounts are personal, Điều 10); the administrators and the clerk are made-up people.
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from records.model import Dataset
from service.accounts import (
    DEFAULT_POLICY,
    AccountPolicy,
    NewAccount,
    bind_certificate,
    bootstrap_admin,
    create_account,
)
from service.authz import Grant, Principal, Role, Scope
from service.context import Context
from service.errors import HsdtError
from signing.devpki import load_dev_pki

CREDENTIALS_FILE = "demo-accounts.txt"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str = field(repr=False)
    full_name: str
    roles: str  # Vietnamese, for the printed list


def slug(full_name: str) -> str:
    """«Nguyễn Văn An» → «nguyen.van.an»."""
    text = unicodedata.normalize("NFD", full_name.replace("Đ", "D").replace("đ", "d"))
    ascii_ = "".join(c for c in text if unicodedata.category(c) != "Mn").lower()
    return ".".join(w for w in re.split(r"[^a-z0-9]+", ascii_) if w)


def create_demo_accounts(
    ctx: Context, ds: Dataset, *, policy: AccountPolicy = DEFAULT_POLICY
) -> list[DemoAccount]:
    if ctx.settings.pki_mode != "demo":
        raise HsdtError(
            "Tài khoản mẫu chỉ tạo ở chế độ thử (demo).",
            hint="Khi vận hành, quản trị viên tạo tài khoản cho từng người.",
        )
    province, district, school = ds.province.code, ds.district.code, ds.school.code
    year = ds.school_year
    at_school = Scope(province, district, school)
    grants: dict[str, list[Grant]] = defaultdict(list)

    def add(person: str, role: Role, **narrow: object) -> None:
        scope = Scope(province, district, school, **narrow)  # type: ignore[arg-type]
        grants[person].append(Grant(role, scope, person))

    add(ds.school.principal, Role.PRINCIPAL, year=year)
    for vp in ds.school.vice_principals:
        add(vp, Role.VICE_PRINCIPAL, year=year)
    for c in ds.classes:
        add(c.homeroom_teacher, Role.HOMEROOM_TEACHER, year=year, classes=frozenset({c.id}))
        for s in c.subjects:
            for t in s.teachers:
                add(t, Role.SUBJECT_TEACHER, year=year, classes=frozenset({c.id}), subject=s.code)

    made: list[DemoAccount] = []
    serial = iter(range(1, 10_000))

    def new(full_name: str, suffix: str = "") -> NewAccount:
        username = slug(full_name) + (f".{suffix.lower()}" if suffix else "")
        national_id = f"{999_000_000_000 + next(serial):012d}"  # made up: demo people only
        return NewAccount(username, full_name, national_id, secrets.token_urlsafe(9))

    province_admin = new("Hoàng Văn Sơn")
    bootstrap_admin(ctx, province_admin, province, policy=policy)
    made.append(_demo(province_admin, "Quản trị hệ thống cấp Sở"))
    by_province = Principal(province_admin.username, (Grant(Role.PROVINCE_ADMIN, Scope(province)),))
    school_admin = new("Vàng Thị Dung")
    admin_grant = Grant(Role.SCHOOL_ADMIN, at_school)
    create_account(ctx, by_province, school_admin, [admin_grant], policy=policy)
    made.append(_demo(school_admin, "Quản trị hệ thống cấp trường"))
    by_school = Principal(school_admin.username, (admin_grant,))

    pki = load_dev_pki(ctx.home.pki_dir) if (ctx.home.pki_dir / "pki.json").is_file() else None
    known = set(pki.identity_ids()) if pki is not None else set()
    for person, person_grants in grants.items():
        teacher = ds.teacher(person)
        account = new(teacher.full_name if teacher else person, person)
        create_account(ctx, by_school, account, person_grants, policy=policy)
        if pki is not None and person in known:
            bind_certificate(ctx, by_school, account.username, pki.identity(person).certificate)
        made.append(_demo(account, _roles(person_grants)))
    clerk = new("Lường Thị Thu")
    create_account(ctx, by_school, clerk, [Grant(Role.CLERK, at_school)], policy=policy)
    if pki is not None and school in known:  # the clerk keeps the school seal
        bind_certificate(ctx, by_school, clerk.username, pki.identity(school).certificate)
    made.append(_demo(clerk, "Văn thư (giữ con dấu số của trường)"))
    _write(ctx, made)
    return made


def _demo(account: NewAccount, roles: str) -> DemoAccount:
    return DemoAccount(account.username, account.password, account.full_name, roles)


def _roles(grants: list[Grant]) -> str:
    parts = []
    for g in grants:
        where = ", ".join(sorted(g.scope.classes))
        what = f" {g.scope.subject}" if g.scope.subject else ""
        parts.append(f"{g.role.label}{what}" + (f" lớp {where}" if where else ""))
    return "; ".join(parts)


def _write(ctx: Context, accounts: list[DemoAccount]) -> None:
    path = ctx.home.root / CREDENTIALS_FILE
    lines = ["# Tài khoản mẫu (chế độ thử) — tên đăng nhập, mật khẩu, vai trò", ""]
    lines += [f"{a.username}\t{a.password}\t{a.full_name}\t{a.roles}" for a in accounts]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
