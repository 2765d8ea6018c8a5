"""Fixtures: a home whose record books were signed, corrected, re-signed and archived, the four
files a visitor might bring (valid, tampered, unknown CA, superseded), and the public app.

public_home   built once per session (API and browser tests share it): the small school
              signed through its plans; then the second student's address corrected
              (re-import, re-render → version 2 of that học bạ, re-signed); the year locked;
              everything archived
files         the exported PDFs: ``valid`` (first student's học bạ, archived), ``tampered`` (the
              same with one byte changed), ``superseded`` (the second student's version 1),
              ``unknown_ca`` (the first student's học bạ signed with a certificate of the
              development PKI's separate "untrusted" root, which no trust store lists)
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from archive_flow.flow import configure
from archive_flow.signed_home import import_and_render, sign_everything
from pyhanko.sign.timestamps import HTTPTimeStamper
from sqlalchemy import select
from support.schools import small_school

from records.canonical import dataset_to_json
from records.model import Dataset
from service.archiving import archive_signed
from service.context import Context
from service.db.models import DocumentRow
from service.importing import import_file
from service.rendering import render_dataset
from service.signing_env import ensure_dev_pki
from signing.backends.pkcs12 import load_pkcs12_signer
from signing.devpki import UNTRUSTED, DevPki, serve_dev_pki
from signing.pades import sign_slot

try:  # archiving needs the year locked once the lock step exists (follow the archive helpers)
    from archive_flow.signed_home import lock_year
except ImportError:  # pragma: no cover - before the lock step
    lock_year = None


@dataclass(frozen=True)
class Files:
    valid: bytes
    tampered: bytes
    superseded: bytes
    unknown_ca: bytes
    valid_id: str
    superseded_id: str
    current_version: int  # of the superseded document


@dataclass(frozen=True)
class PublicHome:
    root: Path
    dataset: Dataset
    files: Files


def _hoc_ba_id(ds: Dataset, index: int) -> str:
    student = ds.classes[0].students[index].student.code
    return f"HB-{ds.school.code}-{ds.year.start}-{student}"


def _pdf(ctx: Context, document_id: str, version: int) -> bytes:
    with ctx.sessions() as session:
        row = session.scalar(
            select(DocumentRow).where(
                DocumentRow.document_id == document_id, DocumentRow.version == version
            )
        )
        assert row is not None and row.pdf is not None, (document_id, version)
        return row.pdf


def tamper(pdf: bytes) -> bytes:
    """One changed byte inside the first page's content stream (signed by every signature)."""
    at = pdf.index(b"stream\n", 2000) + 200
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def _corrected(ds: Dataset, index: int) -> Dataset:
    c = ds.classes[0]
    students = list(c.students)
    who = students[index]
    fixed = who.student.model_copy(update={"address": "Bản Nậm Xé, xã Mường Hum (đính chính)"})
    students[index] = who.model_copy(update={"student": fixed})
    return ds.model_copy(update={"classes": [c.model_copy(update={"students": students})]})


def _unknown_ca_record(pki: DevPki, unsigned: bytes) -> bytes:
    """The record signed under the development PKI's separate "untrusted" root, which no trust
    store lists (a CA nobody vouches for); the home's own TSA timestamps it."""
    with pikepdf.open(io.BytesIO(unsigned)) as pdf:
        field = str(pdf.Root.AcroForm.Fields[0].T)
    identity = pki.identity(UNTRUSTED)
    return sign_slot(
        unsigned,
        field_name=field,
        signer=load_pkcs12_signer(identity.pkcs12_path, identity.passphrase),
        signer_name="Thử Nghiệm Không Tin Cậy",
        role_label="Giáo viên bộ môn",
        timestamper=HTTPTimeStamper(pki.tsa_url),
        validation_context=None,
        level="B-T",
    )


def _unsigned(ctx: Context, document_id: str) -> bytes:
    with ctx.sessions() as session:
        row = session.scalars(
            select(DocumentRow).where(DocumentRow.document_id == document_id)
        ).one()
        return row.pdf if row.pdf is not None else ctx.home.absolute(row.pdf_path).read_bytes()


@pytest.fixture(scope="session")
def public_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublicHome]:
    base = tmp_path_factory.mktemp("public")
    dataset = small_school()
    ctx = Context.open(base / "home")
    configure(ctx, '\n[archive.primary]\nkind = "local"\ndirectory = "objects"\n')
    pki = import_and_render(ctx, dataset)
    valid_id, superseded_id = _hoc_ba_id(dataset, 0), _hoc_ba_id(dataset, 1)
    unsigned = _unsigned(ctx, valid_id)
    with serve_dev_pki(pki):
        unknown_ca = _unknown_ca_record(pki, unsigned)
        sign_everything(ctx, dataset, pki)
        superseded = _pdf(ctx, superseded_id, 1)
        corrected = _corrected(dataset, 1)
        source = ctx.home.root / "samples" / "corrected.json"
        source.write_bytes(dataset_to_json(corrected))
        imported = import_file(ctx, source)
        render_dataset(ctx, imported.dataset_id, corrected, confirm_as="test")
        ensure_dev_pki(ctx, corrected)
        sign_everything(ctx, corrected, pki)
        if lock_year is not None:
            lock_year(ctx, corrected)
        report = archive_signed(ctx, document_ids=[valid_id, superseded_id])
        assert report.ok, report.to_json()
    valid = _pdf(ctx, valid_id, 1)
    with ctx.sessions() as session:
        current = max(
            session.scalars(
                select(DocumentRow.version).where(DocumentRow.document_id == superseded_id)
            )
        )
    assert current >= 2
    ctx.close()
    files = Files(
        valid=valid,
        tampered=tamper(valid),
        superseded=superseded,
        unknown_ca=unknown_ca,
        valid_id=valid_id,
        superseded_id=superseded_id,
        current_version=current,
    )
    yield PublicHome(base / "home", dataset, files)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def files(public_home: PublicHome) -> Files:
    return public_home.files
