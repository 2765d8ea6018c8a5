"""Fixtures: homes holding really signed (and archived) record books, and S3 credentials.

signed_template    a home whose three record books are signed through their whole plan and
                   locked (the year's lock window)
                   (built once per session; the development PKI is served all session)
archived_template  a copy of it with the three archived in the local store (once per session)
clock              a movable clock starting now
signed_home        a fresh copy of signed_template, opened with ``clock``
archived_home      a fresh copy of archived_template, opened with ``clock``
aws_env            dummy credentials in the environment, as an administrator would export them
                   (the standard AWS chain is what hsdt uses; nothing from ~/.aws is read)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.s3 import DUMMY_KEY_ID, DUMMY_SECRET, REGION
from support.schools import small_school

from archive_flow.flow import MovableClock, configure
from archive_flow.signed_home import import_and_render, lock_year, sign_everything
from records.model import Dataset
from service.archiving import archive_signed
from service.context import Context
from signing.devpki import DevPki, serve_dev_pki


@dataclass(frozen=True)
class Template:
    root: Path
    dataset: Dataset
    pki: DevPki
    documents: tuple[str, ...]  # sorted

    @property
    def hoc_ba(self) -> str:
        return next(d for d in self.documents if d.startswith("HB-"))


@pytest.fixture(scope="session")
def signed_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    root = tmp_path_factory.mktemp("archive-flow") / "signed"
    dataset = small_school()
    ctx = Context.open(root)
    # tests start from one local store and no second copy; those that need more configure it
    configure(ctx, '\n[archive.primary]\nkind = "local"\ndirectory = "objects"\n')
    pki = import_and_render(ctx, dataset)
    with serve_dev_pki(pki):
        sign_everything(ctx, dataset, pki)
        lock_year(ctx, dataset)
        ctx.close()
        yield Template(root, dataset, pki, _documents(root))


@pytest.fixture(scope="session")
def archived_template(
    signed_template: Template, tmp_path_factory: pytest.TempPathFactory
) -> Template:
    root = tmp_path_factory.mktemp("archive-flow") / "archived"
    shutil.copytree(signed_template.root, root)
    ctx = Context.open(root)
    report = archive_signed(ctx)
    assert report.ok and len(report.documents) == 3, report.to_json()
    ctx.close()
    return Template(root, signed_template.dataset, signed_template.pki, signed_template.documents)


def _documents(root: Path) -> tuple[str, ...]:
    from sqlalchemy import select

    from service.db.models import DocumentRow

    ctx = Context.open(root)
    with ctx.sessions() as session:
        ids = sorted(session.scalars(select(DocumentRow.document_id).distinct()))
    ctx.close()
    return tuple(ids)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


def _open_copy(template: Template, tmp_path: Path, clock: MovableClock) -> Iterator[Context]:
    root = tmp_path / "home"
    shutil.copytree(template.root, root)
    ctx = Context.open(root, clock=clock)
    yield ctx
    ctx.close()


@pytest.fixture
def signed_home(
    signed_template: Template, tmp_path: Path, clock: MovableClock
) -> Iterator[Context]:
    yield from _open_copy(signed_template, tmp_path, clock)


@pytest.fixture
def archived_home(
    archived_template: Template, tmp_path: Path, clock: MovableClock
) -> Iterator[Context]:
    yield from _open_copy(archived_template, tmp_path, clock)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
