"""Helpers for the account tests: a cheap argon2id policy, a settable clock, people, certificates.

The production hashing parameters cost ~0.1 s per hash; tests that sign in many times use
``FAST`` (still argon2id, 1 MiB) and ``test_passwords`` checks the production ones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service.accounts import AccountPolicy, NewAccount, authenticate_token, login
from service.accounts.policy import Argon2idParameters
from service.authz import Grant, Principal, Role, Scope
from service.clock import FixedClock
from service.context import Context

T0 = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
FAST = AccountPolicy(hashing=Argon2idParameters(time_cost=1, memory_kib=1024, parallelism=1))
SCHOOL = Scope("LC", "BX", "BANXEO")
YEAR = "2025-2026"

PROVINCE_ADMIN = NewAccount("qt.so.laocai", "Hoàng Văn Sơn", "010203040506", "mật khẩu quản trị sở")
SCHOOL_ADMIN = NewAccount("qt.banxeo", "Vàng Thị Dung", "010203040507", "quản trị Bản Xèo 2026")
TEACHER = NewAccount("giang.thi.mai", "Giàng Thị Mai", "010203040508", "Mai dạy Toán ở 8A1")

TEACHER_GRANT = Grant(
    Role.SUBJECT_TEACHER,
    Scope("LC", "BX", "BANXEO", year=YEAR, classes=frozenset({"8A1"}), subject="TOAN"),
    "GV002",
)
SCHOOL_ADMIN_GRANT = Grant(Role.SCHOOL_ADMIN, SCHOOL)


def advance(ctx: Context, **delta: float) -> None:
    """Move the context's FixedClock forward."""
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.at += timedelta(**delta)


def signed_in(ctx: Context, new: NewAccount) -> Principal:
    """The principal the API would get for this person after signing in."""
    return authenticate_token(ctx, login(ctx, new.username, new.password, policy=FAST).value)


def certificate(
    name: str, *, not_before: datetime = T0 - timedelta(days=30), days: int = 365
) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
