"""Tables of personal accounts (migration 0006): accounts, their grants, their certificates.

Kept beside ``models.py`` (same ``Base``). Secrets are stored only in forms that are useless when
read: an argon2id hash for the password, the TOTP secret encrypted with the installation key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.models import Base


class AccountRow(Base):
    """One person's account. ``username`` is immutable: it is the actor in the audit log."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(256))
    # one person, one account (Điều 10): the 12-digit personal identification number is unique
    national_id: Mapped[str] = mapped_column(String(12), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # encrypted
    totp_pending: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # encrypted
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)  # replay guard
    # bumped to revoke every access token issued so far (password change, disable, reset)
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))


class GrantRow(Base):
    """A role held at a scope (``service.authz.Grant``); ``classes`` is a sorted comma list."""

    __tablename__ = "account_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    province: Mapped[str] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64), nullable=True)
    school: Mapped[str | None] = mapped_column(String(64), nullable=True)
    year: Mapped[str | None] = mapped_column(String(16), nullable=True)
    classes: Mapped[str] = mapped_column(Text, default="", server_default="")
    subject: Mapped[str | None] = mapped_column(String(32), nullable=True)
    student: Mapped[str | None] = mapped_column(String(64), nullable=True)
    person_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    granted_by: Mapped[str] = mapped_column(String(64))


class AccountCertificateRow(Base):
    """A signing certificate bound to an account. A certificate belongs to one account for good:
    unbinding ends the binding (``unbound_at``) but the row stays, so a signature made while it
    was bound can still be attributed."""

    __tablename__ = "account_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)  # of the DER certificate
    subject: Mapped[str] = mapped_column(String(512))
    serial_number: Mapped[str] = mapped_column(String(64))  # hex
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    bound_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    bound_by: Mapped[str] = mapped_column(String(64))
    unbound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    unbound_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
