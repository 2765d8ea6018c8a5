"""Does a signing certificate belong to an account? Asked before a signature is accepted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from service.accounts import store
from service.accounts.certificates import CertificateInput, fingerprint
from service.accounts.lockout import as_utc
from service.context import Context
from service.db.account_models import AccountCertificateRow, AccountRow


@dataclass(frozen=True)
class BoundCertificate:
    sha256: str
    subject: str
    serial_number: str
    not_after: datetime
    bound_at: datetime


def certificate_belongs_to(
    ctx: Context, username: str, certificate: CertificateInput, *, at: datetime | None = None
) -> bool:
    """True when the certificate is bound to the account at ``at`` (default: now). Pass the
    signing time to attribute an old signature after the certificate was unbound."""
    return account_of_certificate(ctx, certificate, at=at) == store.login_name(username)


def account_of_certificate(
    ctx: Context, certificate: CertificateInput, *, at: datetime | None = None
) -> str | None:
    when = as_utc(at or ctx.clock.now())
    with ctx.sessions() as s:
        found = s.execute(
            select(
                AccountRow.username,
                AccountCertificateRow.bound_at,
                AccountCertificateRow.unbound_at,
            )
            .join(AccountRow, AccountRow.id == AccountCertificateRow.account_id)
            .where(AccountCertificateRow.sha256 == fingerprint(certificate))
        ).one_or_none()
    if found is None:
        return None
    username, bound_at, unbound_at = found
    if as_utc(bound_at) > when or (unbound_at is not None and as_utc(unbound_at) <= when):
        return None
    return str(username)


def certificates_of(ctx: Context, username: str) -> list[BoundCertificate]:
    """The certificates bound to an account now (for its profile page)."""
    with ctx.sessions() as s:
        row = store.get_account(s, username)
        certs = s.scalars(
            select(AccountCertificateRow)
            .where(
                AccountCertificateRow.account_id == row.id,
                AccountCertificateRow.unbound_at.is_(None),
            )
            .order_by(AccountCertificateRow.bound_at)
        )
        return [
            BoundCertificate(
                c.sha256, c.subject, c.serial_number, as_utc(c.not_after), as_utc(c.bound_at)
            )
            for c in certs
        ]
