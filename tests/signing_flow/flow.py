"""Signing-flow test helpers: signers from the development PKI, what a document has stored."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos
from pyhanko.sign.signers import Signer
from sqlalchemy import select

from service.context import Context
from service.db.models import DocumentRow, EventRow, PendingSignatureRow
from service.signing import SignerIdentity
from signing.backends import Pkcs12Backend, SignerBackend
from signing.devpki import DevPki


def p12(pki: DevPki, identity_id: str) -> Pkcs12Backend:
    identity = pki.identity(identity_id)
    return Pkcs12Backend(identity.pkcs12_path, identity.passphrase)


def who(pki: DevPki, person_id: str, *, key_of: str | None = None) -> SignerIdentity:
    """``person_id`` signing with their own key, or with ``key_of``'s."""
    return SignerIdentity(person_id, p12(pki, key_of or person_id))


@dataclass(frozen=True)
class Stored:
    """A document's newest version as stored: the database row and the working-copy file."""

    revision: int
    pdf: bytes
    signed: tuple[str, ...]
    state: str
    file: bytes


def stored(ctx: Context, document_id: str) -> Stored:
    with ctx.sessions() as session:
        row = session.scalars(
            select(DocumentRow)
            .where(DocumentRow.document_id == document_id)
            .order_by(DocumentRow.version.desc())
        ).first()
        assert row is not None and row.pdf is not None
        file = ctx.home.absolute(row.pdf_path).read_bytes()
        signed = tuple(f for f in row.signed_fields.split(",") if f)
        return Stored(row.revision, row.pdf, signed, row.state, file)


def documents(ctx: Context, record_type: str) -> list[str]:
    with ctx.sessions() as session:
        return sorted(
            session.scalars(
                select(DocumentRow.document_id).where(DocumentRow.record_type == record_type)
            )
        )


def events(ctx: Context, action: str) -> list[tuple[str, dict[str, Any]]]:
    with ctx.sessions() as session:
        rows = session.scalars(
            select(EventRow).where(EventRow.action == action).order_by(EventRow.id)
        ).all()
        return [(r.subject, json.loads(r.detail)) for r in rows]


def pending_count(ctx: Context) -> int:
    with ctx.sessions() as session:
        return len(session.scalars(select(PendingSignatureRow.id)).all())


class HookedSigner(Signer):
    """A real signer that calls ``before(n)`` before its n-th raw signature (0-based): to pull
    the token out mid-batch, or to let another signer commit first."""

    def __init__(self, inner: Signer, before: Callable[[int], None]) -> None:
        super().__init__(
            signing_cert=inner.signing_cert,
            cert_registry=inner.cert_registry,
            signature_mechanism=inner.signature_mechanism,
        )
        self.inner, self.before, self.made = inner, before, 0

    def get_signature_mechanism_for_digest(self, digest: str | None) -> algos.SignedDigestAlgorithm:
        return self.inner.get_signature_mechanism_for_digest(digest)

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        self.before(self.made)
        self.made += 1
        signature: bytes = await self.inner.async_sign_raw(data, digest_algorithm, dry_run)
        return signature


@dataclass
class HookedBackend:
    """A real backend whose signers are :class:`HookedSigner`s."""

    inner: SignerBackend
    before: Callable[[int], None]

    def describe(self) -> str:
        return self.inner.describe()

    @contextlib.contextmanager
    def open_signer(self) -> Iterator[Signer]:
        with self.inner.open_signer() as signer:
            yield HookedSigner(signer, self.before)
