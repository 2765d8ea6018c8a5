"""The browser tests' world: a demo-like home served by uvicorn on 127.0.0.1, and Chromium.

The small school (tests/support/schools.py) is imported, rendered and confirmed; the development
PKI is served for the module; every person who works on the school gets an account with their
roles and bound certificate (``service.demo_accounts``, as ``hsdt serve`` makes them), plus a
teacher of another class. The subject teachers have signed; the homeroom teacher, the principal
and the school seal have not.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Page
from sqlalchemy import select, update

from records.canonical import dataset_to_json
from records.model import Dataset
from records.slots import SignerRole
from service.accounts import AccountPolicy, NewAccount, add_grant, create_account
from service.accounts.policy import Argon2idParameters
from service.authz import Grant, Principal, Role, Scope
from service.context import Context
from service.corrections import FieldEdit, request_correction
from service.db.models import DocumentRow
from service.demo_accounts import DemoAccount, create_demo_accounts
from service.importing import import_file
from service.locks import LockScope, LockTerm, open_lock
from service.rendering import render_dataset
from service.signing import DocumentSelection, SignerIdentity, sign_batch
from service.signing_env import ensure_dev_pki
from service.signing_plans import PlanCatalog
from signing.backends import Pkcs12Backend
from signing.devpki import DevPki

FAST = AccountPolicy(hashing=Argon2idParameters(time_cost=1, memory_kib=1024, parallelism=1))
OTHER_PASSWORD = "mật khẩu lớp khác 2026"
PREVIOUS_YEAR = "2024-2025"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class World:
    ctx: Context
    ds: Dataset
    base: str
    accounts: dict[str, DemoAccount]  # username → account
    roles: dict[str, str] = field(default_factory=dict)  # "principal" … → username
    passwords: dict[str, str] = field(default_factory=dict)

    def login(self, page: Page, who: str) -> None:
        username = self.roles.get(who, who)
        page.goto(f"{self.base}/dang-nhap")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", self.passwords[username])
        page.click("button[type=submit]")
        page.wait_for_url(f"{self.base}/")

    def logout(self, page: Page) -> None:
        page.click("text=Đăng xuất")
        page.wait_for_url(f"{self.base}/dang-nhap")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _store(ctx: Context, root: Path, ds: Dataset, *, render: bool) -> int:
    source = root / "samples" / f"school-{ds.school_year}.json"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(dataset_to_json(ds))
    imported = import_file(ctx, source)
    if render:
        render_dataset(ctx, imported.dataset_id, ds, confirm_as="test")
    return imported.dataset_id


def build(root: Path, ds: Dataset, *, render: bool, previous: bool) -> tuple[Context, DevPki]:
    """A home with the school's year (rendered and confirmed with ``render``); with
    ``previous``, also last year's books, signed (stored so: the signing is tested elsewhere)
    and locked, with a correction requested on one.

    (A sign job covers one school year — ``submit_job(..., year=)`` — so both could live in one
    home; the two worlds stay apart to keep each test's starting state simple.)"""
    ctx = Context.open(root)
    if previous:
        previous = _store(
            ctx, root, ds.model_copy(update={"school_year": PREVIOUS_YEAR}), render=True
        )
        with ctx.sessions.begin() as s:
            s.execute(
                update(DocumentRow).where(DocumentRow.dataset_id == previous).values(state="signed")
            )
        open_lock(
            ctx,
            None,
            LockScope(ds.province.code, ds.district.code, ds.school.code),
            year=PREVIOUS_YEAR,
            term=LockTerm.YEAR,
            reason="Khoá sổ năm học trước",
        )
        student = ds.classes[0].students[0].student.code
        with ctx.sessions() as s:
            locked = s.scalars(
                select(DocumentRow.document_id).where(
                    DocumentRow.dataset_id == previous, DocumentRow.student_code == student
                )
            ).one()
        request_correction(
            ctx,
            None,
            locked,
            reason="Nhập nhầm điểm cuối kì I môn Toán",
            edits=(
                FieldEdit(student, "term1.final", "6,5", "9", subject="TOAN"),
                FieldEdit(student, "term1.submitted_average", "7,1", "7,9", subject="TOAN"),
                FieldEdit(student, "submitted_year_average", "7,0", "7,3", subject="TOAN"),
            ),
            by="giao.vien.chu.nhiem",
        )
    _store(ctx, root, ds, render=render)
    return ctx, ensure_dev_pki(ctx, ds)


def sign_role(ctx: Context, pki: DevPki, ds: Dataset, role: SignerRole) -> int:
    """Every slot of ``role`` on the school's records, signed with the people's dev-PKI keys
    (in a thread of its own: Playwright's sync API holds this thread's event loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_sign_role, ctx, pki, ds, role).result()


def _sign_role(ctx: Context, pki: DevPki, ds: Dataset, role: SignerRole) -> int:
    catalog = PlanCatalog(ctx)
    from api.http.resources import ResourceCatalog

    people: set[str] = set()
    for info in ResourceCatalog(ctx).records(school=ds.school.code):
        plan = catalog.plan(info.dataset_id, info.class_id, info.document_id)
        people |= {s.signer_id for s in plan.slots if s.role is role and s.signer_id}
    made = 0
    for person in sorted(people):
        identity = pki.identity(person)
        outcome = sign_batch(
            ctx,
            SignerIdentity(person, Pkcs12Backend(identity.pkcs12_path, identity.passphrase)),
            DocumentSelection(school=ds.school.code),
        )
        made += outcome.signatures
    return made


def make_accounts(ctx: Context, ds: Dataset) -> World:
    made = create_demo_accounts(ctx, ds, policy=FAST)
    accounts = {a.username: a for a in made}
    world = World(ctx, ds, "", accounts, passwords={a.username: a.password for a in made})

    def by_role(label: str) -> str:
        return next(a.username for a in made if a.roles.startswith(label))

    cls = ds.classes[0]
    homeroom = ds.teacher(cls.homeroom_teacher)
    assert homeroom is not None
    world.roles["homeroom"] = next(
        a.username for a in made if a.username.endswith("." + cls.homeroom_teacher.lower())
    )
    world.roles["principal"] = next(
        a.username for a in made if a.username.endswith("." + ds.school.principal.lower())
    )
    world.roles["admin"] = by_role("Quản trị hệ thống cấp trường")
    world.roles["clerk"] = by_role("Văn thư")
    # a teacher of another class of the same school (8B): sees none of this year's classes
    province, district, school = ds.province.code, ds.district.code, ds.school.code
    admin = Principal(
        world.roles["admin"], (Grant(Role.SCHOOL_ADMIN, Scope(province, district, school)),)
    )
    other = NewAccount("giao.vien.lop.khac", "Giáo Viên Lớp Khác", "888000000001", OTHER_PASSWORD)
    grant = Grant(
        Role.SUBJECT_TEACHER,
        Scope(province, district, school, year=ds.school_year, classes=frozenset({"8Z9"}),
              subject="TOAN"),
        "GV999",
    )  # fmt: skip
    create_account(ctx, admin, other, [grant], policy=FAST)
    world.roles["other_teacher"] = other.username
    # the principal was the principal last year too (the correction is on last year's book)
    last_year = Scope(province, district, school, year=PREVIOUS_YEAR)
    add_grant(
        ctx, admin, world.roles["principal"], Grant(Role.PRINCIPAL, last_year, ds.school.principal)
    )
    world.passwords[other.username] = OTHER_PASSWORD
    return world


def snap(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def keep_incidents(ctx: Context) -> None:
    """Incident reports of unexpected errors, kept with the artefacts (the home is removed)."""
    for report in ctx.home.logs_dir.glob("api-incident-*.txt"):
        (ARTIFACTS / "incidents").mkdir(parents=True, exist_ok=True)
        shutil.copy(report, ARTIFACTS / "incidents" / report.name)
