"""The API tests' world: the small school imported and rendered in a home (SQLite or PostgreSQL),
its development PKI served, and one account per role at a matching and at a non-matching scope.

World facts: province 10, district 082, school 10082256, year 2025-2026, one class 8A (GV003
homeroom, GV004 mathematics, GV001 principal, GV002 vice principal); three record books (a sổ
theo dõi and two học bạ), rendered; and the same class's three books of 2024-2025, locked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from api.http.authz import Authorizer
from records.model import Dataset
from service.accounts import AccountPolicy, NewAccount, bootstrap_admin, create_account
from service.accounts.policy import Argon2idParameters
from service.authz import (
    Action,
    Decision,
    Forbidden,
    Grant,
    Principal,
    ResourceRef,
    Role,
    Scope,
    authorize,
)
from service.context import Context
from signing.devpki import DevPki

FAST = AccountPolicy(hashing=Argon2idParameters(time_cost=1, memory_kib=1024, parallelism=1))
PASSWORD = "mật khẩu thử nghiệm 2026"
PROVINCE, DISTRICT, SCHOOL, YEAR, CLASS = "10", "082", "10082256", "2025-2026", "8A"
OTHER_SCHOOL, OTHER_CLASS = "10082999", "8B"
PREVIOUS_YEAR = "2024-2025"  # the class's books of last year: locked


class ProbeStop(Exception):
    """Raised by the probing authorizer once an action is allowed: the route's work is skipped."""


@dataclass(frozen=True)
class Call:
    kind: str  # "require" or "authorize"
    principal: Principal
    action: Action
    resource: ResourceRef
    decision: Decision


@dataclass
class Recorder(Authorizer):
    """Decides exactly as the production authorizer, records every decision, and in probe mode
    stops a request at its first allowed ``require``."""

    probe: bool = False
    calls: list[Call] = field(default_factory=list)

    def require(self, principal: Principal, action: Action, resource: ResourceRef) -> Decision:
        decision = authorize(principal, action, resource)
        self.calls.append(Call("require", principal, action, resource, decision))
        if not decision.allowed:
            raise Forbidden(decision)
        if self.probe:
            raise ProbeStop
        return decision

    def authorize(self, principal: Principal, action: Action, resource: ResourceRef) -> Decision:
        decision = authorize(principal, action, resource)
        self.calls.append(Call("authorize", principal, action, resource, decision))
        return decision


async def probe_stopped(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"probe": "allowed"}, status_code=200, headers={"X-Probe": "allowed"})


@dataclass(frozen=True)
class Person:
    username: str
    grants: tuple[Grant, ...]


def _both_years(grant: Grant) -> tuple[Grant, ...]:
    """A grant naming this year, and the same for last year (the world's locked books)."""
    if grant.scope.year is None:
        return (grant,)
    last = Scope(**{**grant.scope.__dict__, "year": PREVIOUS_YEAR})
    return (grant, Grant(grant.role, last, grant.person_id))


def role_grants(ds: Dataset, student: str) -> dict[Role, tuple[tuple[Grant, ...], ...]]:
    """For each role: grants covering the world's records, and grants that do not."""
    return {
        role: tuple(_both_years(g) for g in pair)
        for role, pair in _role_grants(ds, student).items()
    }


def _role_grants(ds: Dataset, student: str) -> dict[Role, tuple[Grant, Grant]]:
    school = Scope(PROVINCE, DISTRICT, SCHOOL)
    other = Scope(PROVINCE, DISTRICT, OTHER_SCHOOL)

    def at(base: Scope, **narrow: Any) -> Scope:
        return Scope(base.province, base.district, base.school, **narrow)

    cls = frozenset({CLASS})
    other_cls = frozenset({OTHER_CLASS})
    principal = ds.school.principal
    vice = ds.school.vice_principals[0]
    homeroom = ds.classes[0].homeroom_teacher
    return {
        Role.PROVINCE_ADMIN: (
            Grant(Role.PROVINCE_ADMIN, Scope(PROVINCE)),
            Grant(Role.PROVINCE_ADMIN, Scope("11")),
        ),
        Role.DISTRICT_ADMIN: (
            Grant(Role.DISTRICT_ADMIN, Scope(PROVINCE, DISTRICT)),
            Grant(Role.DISTRICT_ADMIN, Scope(PROVINCE, "083")),
        ),
        Role.SCHOOL_ADMIN: (Grant(Role.SCHOOL_ADMIN, school), Grant(Role.SCHOOL_ADMIN, other)),
        Role.BOARD_MEMBER: (Grant(Role.BOARD_MEMBER, school), Grant(Role.BOARD_MEMBER, other)),
        Role.PRINCIPAL: (
            Grant(Role.PRINCIPAL, at(school, year=YEAR), principal),
            Grant(Role.PRINCIPAL, at(other, year=YEAR), principal),
        ),
        Role.VICE_PRINCIPAL: (
            Grant(Role.VICE_PRINCIPAL, at(school, year=YEAR), vice),
            Grant(Role.VICE_PRINCIPAL, at(other, year=YEAR), vice),
        ),
        Role.HOMEROOM_TEACHER: (
            Grant(Role.HOMEROOM_TEACHER, at(school, year=YEAR, classes=cls), homeroom),
            Grant(Role.HOMEROOM_TEACHER, at(school, year=YEAR, classes=other_cls), "GV099"),
        ),
        Role.SUBJECT_TEACHER: (
            Grant(
                Role.SUBJECT_TEACHER, at(school, year=YEAR, classes=cls, subject="TOAN"), "GV004"
            ),
            Grant(
                Role.SUBJECT_TEACHER,
                at(school, year=YEAR, classes=other_cls, subject="TOAN"),
                "GV004",
            ),
        ),
        Role.CLERK: (Grant(Role.CLERK, school), Grant(Role.CLERK, other)),
        Role.STUDENT: (
            Grant(Role.STUDENT, Scope(PROVINCE, student=student)),
            Grant(Role.STUDENT, Scope(PROVINCE, student="HS-KHAC")),
        ),
        Role.PARENT: (
            Grant(Role.PARENT, Scope(PROVINCE, student=student)),
            Grant(Role.PARENT, Scope(PROVINCE, student="HS-KHAC")),
        ),
    }


@dataclass
class World:
    ctx: Context
    dataset: Dataset
    pki: DevPki
    app: FastAPI
    client: TestClient
    recorder: Recorder
    admin: Principal  # the province administrator (bootstrap), for setting up accounts
    people: dict[tuple[Role, bool], Person]  # (role, matching scope) → account
    document_id: str  # a học bạ of ``student``
    class_document_id: str  # the class's sổ theo dõi
    student: str
    pending_id: str  # a stored phase-one request for GV004's mathematics slot of document_id
    path_values: dict[str, object] = field(default_factory=dict)  # e.g. a lock window's id
    # path values for routes of one action (e.g. witnessing needs an approved correction)
    action_path_values: dict[str, dict[str, object]] = field(default_factory=dict)
    locked_document_id: str = ""  # last year's học bạ of ``student``, locked
    tokens: dict[str, str] = field(default_factory=dict)
    _serial: list[int] = field(default_factory=lambda: [0])

    def token(self, username: str) -> str:
        if username not in self.tokens:
            r = self.client.post(
                "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["access_token"]
        return self.tokens[username]

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}

    def new_person(self, grants: list[Grant], name: str = "nguoi.thu") -> str:
        """A fresh account (the password is PASSWORD)."""
        self._serial[0] += 1
        n = self._serial[0]
        account = NewAccount(
            f"{name}.{n}", f"Người Thử {n}", f"{880_000_000_000 + n:012d}", PASSWORD
        )
        return create_account(self.ctx, self.admin, account, grants, policy=FAST)


def make_people(
    ctx: Context, ds: Dataset, student: str
) -> tuple[Principal, dict[tuple[Role, bool], Person]]:
    admin = NewAccount("hoang.van.son", "Hoàng Văn Sơn", "010203040506", PASSWORD)
    bootstrap_admin(ctx, admin, PROVINCE, policy=FAST)
    # setting up the out-of-province accounts too: the same person holding both provinces
    by = Principal(
        admin.username,
        (Grant(Role.PROVINCE_ADMIN, Scope(PROVINCE)), Grant(Role.PROVINCE_ADMIN, Scope("11"))),
    )
    people: dict[tuple[Role, bool], Person] = {}
    n = 0
    for role, (matching, other) in role_grants(ds, student).items():
        for match, grants in ((True, matching), (False, other)):
            n += 1
            suffix = "khop" if match else "ngoai"
            username = f"{role.value.replace('_', '-')}.{suffix}"
            username = username.replace("admin", "qt").replace("clerk", "vt")
            account = NewAccount(username, f"Người {n}", f"{770_000_000_000 + n:012d}", PASSWORD)
            people[(role, match)] = Person(
                create_account(ctx, by, account, list(grants), policy=FAST), grants
            )
    return by, people
