"""A home holding really signed record books, made through the service as a school would.

The sample school cut to one class of two students and six subjects: three record books (one sổ
theo dõi, two học bạ), rendered, then signed by every slot's owner with the development PKI
through ``service.signing.sign_batch`` until each plan is complete (B-LTA, state "signed");
``lock_year`` then locks them (state "locked"), ready to archive.
"""

from __future__ import annotations

from records.canonical import dataset_to_json
from records.model import Dataset
from service.context import Context
from service.importing import import_file
from service.locks import LockScope, LockTerm, open_lock
from service.rendering import render_dataset
from service.signing import DocumentSelection, SignerIdentity, sign_batch
from service.signing_env import ensure_dev_pki
from signing.backends import Pkcs12Backend
from signing.devpki import DevPki


def import_and_render(ctx: Context, dataset: Dataset) -> DevPki:
    source = ctx.home.root / "samples" / "school.json"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(dataset_to_json(dataset))
    imported = import_file(ctx, source)
    render_dataset(ctx, imported.dataset_id, dataset, confirm_as="test")
    return ensure_dev_pki(ctx, dataset)


def lock_year(ctx: Context, dataset: Dataset) -> None:
    """The end of the year: the school's year is locked, which archiving needs."""
    scope = LockScope(dataset.province.code, dataset.district.code, dataset.school.code)
    open_lock(ctx, None, scope, year=dataset.school_year, term=LockTerm.YEAR, reason="Cuối năm")


def sign_everything(ctx: Context, dataset: Dataset, pki: DevPki) -> None:
    """Every signer signs what the plan allows now, round after round, until nothing is left
    (subject teachers, then the homeroom teacher, the principal and the school seal)."""
    people = [t.id for t in dataset.teachers] + [dataset.school.code]
    for _ in range(5):
        signatures = 0
        for person in people:
            identity = pki.identity(person)
            who = SignerIdentity(person, Pkcs12Backend(identity.pkcs12_path, identity.passphrase))
            batch = sign_batch(ctx, who, DocumentSelection(ready_only=True))
            assert batch.ok, [d.message for d in batch.documents]
            signatures += batch.signatures
        if signatures == 0:
            return
    raise AssertionError("the signing plans did not complete")
