"""The installation secret: one random key in the home, from which the token-signing key and the
key that encrypts TOTP secrets in the database are derived (HKDF-SHA256, one label each).

It lives in the home (``secrets/installation.key``, mode 0600), not in the database: a copy of
the database alone (a PostgreSQL backup) then neither forges tokens nor reveals TOTP secrets.
Deleting the file signs everyone out and disables every enrolled second factor (re-enrol).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from service.errors import HsdtError
from service.home import Home

KEY_FILE = Path("secrets") / "installation.key"
_KEY_BYTES = 32
_NONCE_BYTES = 12


class KeyFileError(HsdtError):
    """The installation key is unreadable or damaged."""


@dataclass(frozen=True)
class InstallationKeys:
    token_key: bytes = field(repr=False)
    totp_key: bytes = field(repr=False)

    @staticmethod
    def from_secret(secret: bytes) -> InstallationKeys:
        return InstallationKeys(
            token_key=_derive(secret, b"hsdt access tokens v1"),
            totp_key=_derive(secret, b"hsdt totp secrets v1"),
        )

    @staticmethod
    def of(home: Home) -> InstallationKeys:
        return InstallationKeys.from_secret(load_or_create_secret(home.root / KEY_FILE))

    def seal_totp(self, secret: str, username: str) -> bytes:
        """Encrypt a TOTP secret for one account (the username is bound in as associated data,
        so a ciphertext copied onto another account's row does not decrypt)."""
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + AESGCM(self.totp_key).encrypt(nonce, secret.encode(), username.encode())

    def open_totp(self, sealed: bytes, username: str) -> str | None:
        """The TOTP secret, or None when it was sealed with another key or for another account."""
        nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        try:
            return AESGCM(self.totp_key).decrypt(nonce, body, username.encode()).decode()
        except (InvalidTag, ValueError):
            return None


def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


def load_or_create_secret(path: Path) -> bytes:
    """Read the key; create it first when missing. Creation is create-only (a hard link of a
    complete temporary file), so two processes starting together end up with the same key."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(_KEY_BYTES))
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):  # another process won: use its key
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(
            f"Không đọc được khoá cài đặt {path}: {exc.strerror}.",
            hint="Kiểm tra quyền đọc tệp của tài khoản chạy hsdt.",
        ) from exc
    if len(data) != _KEY_BYTES:
        raise KeyFileError(
            f"Khoá cài đặt {path} bị hỏng (độ dài {len(data)} byte, cần {_KEY_BYTES}).",
            hint="Khôi phục tệp từ bản sao lưu của thư mục cài đặt. Xoá tệp sẽ buộc mọi người "
            "đăng nhập lại và đăng ký lại xác thực hai bước.",
        )
    return data
