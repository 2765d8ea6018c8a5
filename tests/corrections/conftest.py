"""Fixtures: an archived home (three record books signed through their plans and archived), and
the people of the correction workflow as accounts holding their grants.

archived_corrections  built once per session: the sample class's three record books signed,
                      locked by the year's window (still open) and archived; the development PKI
                      is served all session, so a test can re-sign the new versions
home                  a copy of it on SQLite or PostgreSQL (``database_url``), with a movable clock
people                the requester (subject teacher of mathematics), the principal, a board
                      member, the homeroom teacher, and another class's homeroom teacher
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from archive_flow.flow import MovableClock, configure
from archive_flow.signed_home import import_and_render, lock_year, sign_everything
from archive_flow.test_databases import copy_rows
from support.schools import small_school

from records.model import Dataset
from service.archiving import archive_signed
from service.authz import Grant, Principal, Role, Scope
from service.context import Context
from signing.devpki import DevPki, serve_dev_pki

MATHS = "TOAN"


@dataclass(frozen=True)
class Template:
    root: Path
    dataset: Dataset
    pki: DevPki

    @property
    def class_id(self) -> str:
        return self.dataset.classes[0].id

    @property
    def student(self) -> str:
        return self.dataset.classes[0].students[0].student.code

    @property
    def hoc_ba(self) -> str:
        return f"HB-{self.dataset.school.code}-{self.dataset.year.start}-{self.student}"

    @property
    def class_book(self) -> str:
        return f"STD-{self.dataset.school.code}-{self.dataset.year.start}-{self.class_id}"


@dataclass(frozen=True)
class People:
    teacher: Principal  # subject teacher of mathematics in the class: requests
    principal: Principal
    board: Principal
    homeroom: Principal
    other_homeroom: Principal  # homeroom teacher of another class


@pytest.fixture(scope="session")
def archived_corrections(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    root = tmp_path_factory.mktemp("corrections") / "archived"
    dataset = small_school()
    ctx = Context.open(root)
    configure(ctx, '\n[archive.primary]\nkind = "local"\ndirectory = "objects"\n')
    pki = import_and_render(ctx, dataset)
    with serve_dev_pki(pki):
        sign_everything(ctx, dataset, pki)
        lock_year(ctx, dataset)  # the year's lock window stays open
        report = archive_signed(ctx)
        assert report.ok and len(report.documents) == 3, report.to_json()
        ctx.close()
        yield Template(root, dataset, pki)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def home(
    database_url: str,
    archived_corrections: Template,
    tmp_path: Path,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Context]:
    root = tmp_path / "home"
    shutil.copytree(archived_corrections.root, root)
    if database_url.startswith("sqlite"):
        ctx = Context.open(root, clock=clock)
    else:
        monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
        ctx = Context.open(root, clock=clock)
        copy_rows(f"sqlite:///{archived_corrections.root / 'hsdt.db'}", ctx)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def people(archived_corrections: Template) -> People:
    ds = archived_corrections.dataset
    c = ds.classes[0]
    school = Scope(ds.province.code, ds.district.code, ds.school.code)
    year = ds.school_year
    maths = next(s for s in c.subjects if s.code == MATHS).teachers[0]

    def one(account: str, grant: Grant) -> Principal:
        return Principal(account, (grant,))

    in_class = Scope(school.province, school.district, school.school, year, frozenset({c.id}))
    return People(
        teacher=one("gv.toan", Grant(Role.SUBJECT_TEACHER, _subject(in_class, MATHS), maths)),
        principal=one("hieu.truong", Grant(Role.PRINCIPAL, school, ds.school.principal)),
        board=one("ban.quan.tri", Grant(Role.BOARD_MEMBER, school)),
        homeroom=one("gv.chu.nhiem", Grant(Role.HOMEROOM_TEACHER, in_class, c.homeroom_teacher)),
        other_homeroom=one(
            "gv.lop.khac",
            Grant(
                Role.HOMEROOM_TEACHER,
                Scope(school.province, school.district, school.school, year, frozenset({"9Z9"})),
                "GV999",
            ),
        ),
    )


def _subject(scope: Scope, subject: str) -> Scope:
    return Scope(
        scope.province, scope.district, scope.school, scope.year, scope.classes, subject=subject
    )
