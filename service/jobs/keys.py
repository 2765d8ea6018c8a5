"""Where a signing job's key is, as a reference workers can follow — never the key or its secret.

A sign job stores only *where* the key is: a PKCS#12 file and a file holding its passphrase
(paths relative to the home, or absolute), or the home's development PKI (demo mode). Every
worker opens the key itself, from the same home (a shared folder or a mounted secret), the first
time it signs for the job, and keeps it open for the rest of its life. Neither the database nor
the broker ever carries a passphrase.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.context import Context
from service.errors import HsdtError
from signing.backends import Pkcs12Backend
from signing.devpki import load_dev_pki

__all__ = ["KeyRef"]

_backends: dict[tuple[str, str, str, str], Pkcs12Backend] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class KeyRef:
    kind: str  # "p12" | "dev-pki"
    path: str | None = None  # the PKCS#12 file
    passphrase_file: str | None = None  # first line: the passphrase

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "passphrase_file": self.passphrase_file}

    @staticmethod
    def from_json(raw: dict[str, Any]) -> KeyRef:
        return KeyRef(str(raw.get("kind", "")), raw.get("path"), raw.get("passphrase_file"))

    def backend(self, ctx: Context, person_id: str) -> Pkcs12Backend:
        """The signer's key, opened once per process (a PKCS#12 file is read and decrypted once)."""
        person = person_id if self.kind == "dev-pki" else ""  # a file names one person already
        key = (str(ctx.home.root.resolve()), self.kind, self.path or "", person)
        with _lock:
            cached = _backends.get(key)
            if cached is None:
                cached = _backends[key] = self._open(ctx, person_id)
            return cached

    def _open(self, ctx: Context, person_id: str) -> Pkcs12Backend:
        if self.kind == "dev-pki":
            if ctx.settings.pki_mode != "demo":
                raise HsdtError(
                    "Khoá từ PKI phát triển chỉ dùng được ở chế độ thử (demo).",
                    hint="Ở chế độ vận hành, giao tệp PKCS#12 (--p12) và tệp mật khẩu.",
                )
            identity = load_dev_pki(ctx.home.pki_dir).identity(person_id)
            return Pkcs12Backend(identity.pkcs12_path, identity.passphrase)
        if self.kind != "p12" or not self.path or not self.passphrase_file:
            raise HsdtError(f"Tham chiếu khoá ký không hợp lệ: {self.kind}.")
        return Pkcs12Backend(self._file(ctx, self.path), self._passphrase(ctx))

    def _passphrase(self, ctx: Context) -> str:
        assert self.passphrase_file is not None
        where = self._file(ctx, self.passphrase_file)
        try:
            lines = where.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise HsdtError(
                f"Máy xử lý không đọc được tệp mật khẩu {where}: {exc.strerror}.",
                hint="Tệp mật khẩu phải có ở cùng đường dẫn trên mọi máy chạy «hsdt worker».",
            ) from exc
        return lines[0] if lines else ""

    @staticmethod
    def _file(ctx: Context, stored: str) -> Path:
        path = Path(stored)
        return path if path.is_absolute() else ctx.home.root / path

    @staticmethod
    def reference(ctx: Context, path: Path) -> str:
        """How a file is stored in the job: relative to the home when inside it (homes move)."""
        resolved = path.resolve()
        try:
            return resolved.relative_to(ctx.home.root.resolve()).as_posix()
        except ValueError:
            return str(resolved)
