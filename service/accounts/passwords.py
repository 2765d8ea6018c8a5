"""Passwords: argon2id hashes, constant-time verification, and what a new password must be.

Passwords are NFC-normalised before hashing: the same Vietnamese password typed with Unikey
(precomposed) and with a macOS or phone keyboard (often decomposed) must match.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from service.accounts.errors import InvalidAccountData
from service.accounts.policy import AccountPolicy, Argon2idParameters


def normalise(password: str) -> str:
    return unicodedata.normalize("NFC", password)


@lru_cache(maxsize=8)
def _hasher(params: Argon2idParameters) -> PasswordHasher:
    return PasswordHasher.from_parameters(params.to_argon2())


def hash_password(password: str, policy: AccountPolicy) -> str:
    """The PHC string (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``): parameters travel with it."""
    return _hasher(policy.hashing).hash(normalise(password))


def verify_password(stored_hash: str, password: str, policy: AccountPolicy) -> bool:
    """argon2 compares in constant time; a damaged hash counts as a mismatch, never an error."""
    try:
        return _hasher(policy.hashing).verify(stored_hash, normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, policy: AccountPolicy) -> bool:
    """True when the hash was made with other parameters than the policy's (upgrade at login)."""
    return _hasher(policy.hashing).check_needs_rehash(stored_hash)


@lru_cache(maxsize=8)
def dummy_hash(params: Argon2idParameters) -> str:
    """A hash to verify against when the username is unknown, so that the answer takes as long
    as for a known one (no account enumeration by timing)."""
    return _hasher(params).hash("hsdt: no such account")


def check_new_password(password: str, policy: AccountPolicy, *, forbidden: tuple[str, ...]) -> None:
    """Refuse a password that is too short, too long or equal to the username or national id."""
    pw = normalise(password)
    if len(pw) < policy.min_password_length:
        raise InvalidAccountData(
            f"Mật khẩu quá ngắn: cần ít nhất {policy.min_password_length} ký tự.",
            hint="Dùng một cụm từ dễ nhớ với bạn, ví dụ bốn từ không liên quan.",
        )
    if len(pw) > policy.max_password_length:
        raise InvalidAccountData(
            f"Mật khẩu quá dài: tối đa {policy.max_password_length} ký tự.",
            hint="Chọn mật khẩu ngắn hơn.",
        )
    if pw.strip() == "" or any(pw.casefold() == f.casefold() for f in forbidden if f):
        raise InvalidAccountData(
            "Mật khẩu không được để trống hay trùng tên đăng nhập, mã định danh.",
            hint="Chọn mật khẩu người khác không đoán được.",
        )
