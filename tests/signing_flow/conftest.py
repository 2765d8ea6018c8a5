"""Fixtures: a tiny real school, its development PKI, and a fresh home per test with its records.

The school is the seeded sample cut to one class of two students and six subjects (six subject
teachers, GV003 also the homeroom teacher, GV001 the principal, the school seal): three record
books (one sổ theo dõi with eight slots, two học bạ with nine). The development PKI is made by
``service.signing_env.ensure_dev_pki`` from the dataset's own teachers, as the demo does, and
served once per session. A template home (dataset imported, records rendered) is built once and
copied for each test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.pki import SoftHsmToken
from support.schools import small_school

from records.canonical import dataset_to_json
from records.model import Dataset
from service.context import Context
from service.importing import import_file
from service.rendering import render_dataset
from service.signing_env import ensure_dev_pki
from signing.backends.softhsm import TokenInfo, provision_softhsm_token
from signing.devpki import DevPki, load_dev_pki, serve_dev_pki

SEAL_PIN = "975312"


@dataclass(frozen=True)
class School:
    dataset: Dataset
    pki: DevPki
    template: Path  # a home (SQLite) with the dataset imported and its records rendered

    @property
    def code(self) -> str:
        return self.dataset.school.code

    @property
    def class_id(self) -> str:
        return self.dataset.classes[0].id


def build_home(root: Path, dataset: Dataset) -> Context:
    """Import and render ``dataset`` in a new home at ``root`` (database: $HSDT_DATABASE_URL or
    the home's SQLite file)."""
    ctx = Context.open(root)
    source = root / "samples" / "school.json"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(dataset_to_json(dataset))
    imported = import_file(ctx, source)
    render_dataset(ctx, imported.dataset_id, dataset, confirm_as="test")
    return ctx


@pytest.fixture(scope="session")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[School]:
    dataset = small_school()
    template = tmp_path_factory.mktemp("signing-flow") / "home"
    ctx = build_home(template, dataset)
    ensure_dev_pki(ctx, dataset)
    ctx.close()
    pki = load_dev_pki(template / "pki")
    with serve_dev_pki(pki):
        yield School(dataset, pki, template)


@pytest.fixture
def home(school: School, tmp_path: Path) -> Iterator[Context]:
    root = tmp_path / "home"
    shutil.copytree(school.template, root)
    ctx = Context.open(root)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def seal_token(school: School, softhsm_seal_token: SoftHsmToken) -> TokenInfo:
    """The school seal on a SoftHSM2 token, beside the shared test token (same token directory:
    a second directory would hide the first one's tokens from this process)."""
    return provision_softhsm_token(
        school.pki,
        school.code,
        token_label="SEAL-SUOI-MAY",
        pin=SEAL_PIN,
        so_pin="86420864",
        softhsm_dir=softhsm_seal_token.info.softhsm_conf.parent,
    )
