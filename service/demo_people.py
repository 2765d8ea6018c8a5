"""The demo school's people: one personal account each, with the grants their work needs and
their development-PKI certificate bound, so every step of the demo runs as a real person.

    ensure_people(ctx, dataset) -> DemoPeople     # creates what is missing; idempotent

Who: a province administrator (the first account) creates the school administrator, who creates
everyone else — the principal, a board member (the first vice principal, who sits on the school's
records board), every homeroom and subject teacher with their classes and subjects, the clerk who
keeps the school seal, and one student. Usernames follow the people's names (accounts are
personal, Điều 10) and are the ones ``service.demo_accounts`` gives (``hsdt serve`` on a home
without accounts), so both work on the same home.

Demo mode only. Passwords are random, shown by the demo and kept in ``demo-accounts.txt`` in the
home (mode 0600, labelled "demo only"); the database holds only their argon2 hashes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from records.model import Dataset
from service.accounts import (
    DEFAULT_POLICY,
    AccountPolicy,
    NewAccount,
    add_grant,
    bind_certificate,
    bootstrap_admin,
    certificate_belongs_to,
    create_account,
)
from service.accounts.store import get_account, grants_of
from service.authz import Grant, Principal, Role, Scope
from service.context import Context
from service.db.account_models import AccountRow
from service.demo_accounts import CREDENTIALS_FILE, slug
from service.errors import HsdtError
from signing.devpki import DevPki

# Made-up people: the Sở's and the school's administrators, the clerk (as service.demo_accounts)
PROVINCE_ADMIN = "Hoàng Văn Sơn"
SCHOOL_ADMIN = "Vàng Thị Dung"
CLERK = "Lường Thị Thu"
BOARD_FALLBACK = "Đỗ Thị Hạnh"  # a board member when the school has no vice principal


@dataclass(frozen=True)
class MadeUp:
    """The made-up people of a school: its administrator, its clerk and (when the school has no
    vice principal) its board member. A second school needs its own: a grant is per school."""

    admin: str = SCHOOL_ADMIN
    clerk: str = CLERK
    board: str = BOARD_FALLBACK


CREDENTIALS_HEADER = (
    "# CHỈ DÙNG CHẠY THỬ (demo only): tài khoản mẫu của trường thử — tên đăng nhập, mật khẩu, "
    "họ tên, vai trò.\n# Không dùng khi vận hành; hệ thống chỉ lưu mã băm argon2 của mật khẩu."
)


@dataclass(frozen=True)
class Person:
    username: str
    full_name: str
    principal: Principal
    roles: str  # Vietnamese, for the printed lines
    person_id: str | None = None  # teacher id (signature slots), the school code for the clerk
    password: str | None = field(default=None, repr=False)  # None: not in the credentials file

    def who(self, role: Role | str | None = None) -> str:
        """«Hiệu trưởng Nguyễn Văn Long» — what the demo prints for the actor of a step."""
        label = role.label if isinstance(role, Role) else role
        return f"{label or self.roles.split(';')[0].split(' lớp ')[0]} {self.full_name}"


@dataclass
class DemoPeople:
    province_admin: Person
    admin: Person  # school administrator
    principal: Person
    board: Person
    clerk: Person
    student: Person
    teachers: dict[str, Person]  # teacher id → person (homeroom and subject teachers)
    student_code: str  # the student who has an account (mã học sinh)
    created: int = 0  # accounts created by this call (0 on a re-run)

    def teacher(self, teacher_id: str) -> Person:
        return self.teachers[teacher_id]

    def everyone(self) -> list[Person]:
        fixed = [self.province_admin, self.admin, self.principal, self.board, self.clerk]
        rest = [p for p in self.teachers.values() if p.username not in {f.username for f in fixed}]
        return [*fixed, *rest, self.student]


def national_id(username: str) -> str:
    """A made-up, stable 12-digit personal id for a demo person (999… is not a real one)."""
    n = int(hashlib.sha256(username.encode()).hexdigest()[:12], 16) % 1_000_000_000
    return f"{999_000_000_000 + n:012d}"


def _roles(grants: list[Grant]) -> str:
    parts = []
    for g in grants:
        where = ", ".join(sorted(g.scope.classes))
        what = f" {g.scope.subject}" if g.scope.subject else ""
        parts.append(f"{g.role.label}{what}" + (f" lớp {where}" if where else ""))
    return "; ".join(parts)


def ensure_people(
    ctx: Context,
    ds: Dataset,
    pki: DevPki,
    *,
    policy: AccountPolicy = DEFAULT_POLICY,
    made_up: MadeUp = MadeUp(),
) -> DemoPeople:
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
        grants[person].append(Grant(role, scope, person if role.spec.signs else None))

    principal_id = ds.school.principal
    add(principal_id, Role.PRINCIPAL, year=year)
    for vp in ds.school.vice_principals:
        add(vp, Role.VICE_PRINCIPAL, year=year)
    board_id = next(iter(ds.school.vice_principals), None)
    if board_id is not None:
        add(board_id, Role.BOARD_MEMBER, year=year)
    for c in ds.classes:
        add(c.homeroom_teacher, Role.HOMEROOM_TEACHER, year=year, classes=frozenset({c.id}))
        for s in c.subjects:
            for t in s.teachers:
                add(t, Role.SUBJECT_TEACHER, year=year, classes=frozenset({c.id}), subject=s.code)

    saved = read_credentials(ctx.home.root / CREDENTIALS_FILE)
    with ctx.sessions() as session:
        existing = set(session.scalars(select(AccountRow.username)))
    made: list[str] = []

    def ensure(
        full_name: str,
        person_grants: list[Grant],
        by: Principal | None,
        *,
        suffix: str = "",
        roles: str | None = None,
        person_id: str | None = None,
        certificate_of: str | None = None,
    ) -> Person:
        username = slug(full_name) + (f".{suffix.lower()}" if suffix else "")
        password = saved.get(username)
        if username not in existing:
            password = secrets.token_urlsafe(9)
            new = NewAccount(username, full_name, national_id(username), password)
            if by is None:
                bootstrap_admin(ctx, new, province, policy=policy)
            else:
                create_account(ctx, by, new, person_grants, policy=policy)
            made.append(username)
        elif by is not None:  # made earlier (or by «hsdt serve»): add what it lacks, if anything
            for grant in person_grants:
                add_grant(ctx, by, username, grant)
        if by is not None and certificate_of is not None:
            certificate = pki.identity(certificate_of).certificate
            if not certificate_belongs_to(ctx, username, certificate):
                bind_certificate(ctx, by, username, certificate)
        with ctx.sessions() as session:  # the grants as stored: what authorisation will see
            held = list(grants_of(session, get_account(session, username)))
        return Person(
            username,
            full_name,
            Principal(username, tuple(held)),
            roles or _roles(held),
            person_id,
            password,
        )

    province_admin = ensure(PROVINCE_ADMIN, [Grant(Role.PROVINCE_ADMIN, Scope(province))], None)
    admin = ensure(made_up.admin, [Grant(Role.SCHOOL_ADMIN, at_school)], province_admin.principal)
    by_school = admin.principal
    teachers: dict[str, Person] = {}
    for person_id, person_grants in grants.items():
        teacher = ds.teacher(person_id)
        teachers[person_id] = ensure(
            teacher.full_name if teacher else person_id,
            person_grants,
            by_school,
            suffix=person_id,
            person_id=person_id,
            certificate_of=person_id,
        )
    if board_id is not None:
        board = teachers[board_id]
    else:
        board = ensure(made_up.board, [Grant(Role.BOARD_MEMBER, at_school)], by_school)
    clerk = ensure(
        made_up.clerk,
        [Grant(Role.CLERK, at_school)],
        by_school,
        roles="Văn thư (giữ con dấu số của trường)",
        person_id=school,  # the clerk applies the school seal: its slots name the school
        certificate_of=school,
    )
    pupil = ds.classes[0].students[0].student
    student = ensure(
        pupil.full_name,
        [Grant(Role.STUDENT, Scope(province, district, school, student=pupil.code))],
        by_school,
        suffix=pupil.code,
        roles=f"Học sinh lớp {ds.classes[0].id}",
    )
    people = DemoPeople(
        province_admin,
        admin,
        teachers[principal_id],
        board,
        clerk,
        student,
        teachers,
        pupil.code,
        created=len(made),
    )
    if made:
        _write(ctx.home.root / CREDENTIALS_FILE, people.everyone())
    return people


def read_credentials(path: Path) -> dict[str, str]:
    """username → password from the home's demo credentials file (empty when there is none)."""
    if not path.is_file():
        return {}
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            username, _, rest = line.partition("\t")
            found[username] = rest.split("\t", 1)[0]
    return found


def _write(path: Path, people: list[Person]) -> None:
    """The credentials file with these people's lines; other schools' lines already in it stay
    (one home, several demo schools)."""
    rows = {
        line.partition("\t")[0]: line
        for line in (path.read_text(encoding="utf-8").splitlines() if path.is_file() else [])
        if line and not line.startswith("#")
    }
    rows.update(
        (p.username, f"{p.username}\t{p.password}\t{p.full_name}\t{p.roles}")
        for p in people
        if p.password is not None
    )
    lines = [CREDENTIALS_HEADER, "", *rows.values()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
