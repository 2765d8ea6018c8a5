"""The development PKI's directory: a JSON manifest plus key/certificate files, relative paths only.

Layout (the directory can be moved or copied anywhere)::

    pki.json                  manifest: port, authorities, services, identities, revocations
    README.txt                "development only" warning for whoever finds the directory
    ca/<authority>.cer|.key.pem
    services/tsa.cer|.key.pem, services/ocsp.cer|.key.pem
    identities/<id>.cer, identities/<id>.p12

Keys are unencrypted PEM and passphrases sit in the manifest: this PKI protects nothing.
The manifest is re-read when its file changes, so a running server sees people added and
certificates revoked by another `DevPki` handle (or process) on the same directory.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from signing.errors import DevPkiError

MANIFEST_NAME = "pki.json"
FORMAT = "hsdt-dev-pki/1"


@dataclass(frozen=True)
class IssuedRecord:
    """A CA or service certificate with its key file."""

    cert: str
    key: str
    serial: int
    issuer: str | None  # authority name; None for a self-signed root


@dataclass(frozen=True)
class IdentityRecord:
    full_name: str
    kind: str
    organisation: str | None
    email: str | None
    issuer: str
    serial: int
    cert: str
    pkcs12: str
    passphrase: str


@dataclass(frozen=True)
class RevocationRecord:
    authority: str
    serial: int
    revoked_at: datetime
    reason: str  # a cryptography ReasonFlags value, e.g. "keyCompromise"
    identity: str | None = None


@dataclass(frozen=True)
class Manifest:
    port: int
    created_at: datetime
    authorities: dict[str, IssuedRecord]
    services: dict[str, IssuedRecord]  # "tsa", "ocsp"
    identities: dict[str, IdentityRecord] = field(default_factory=dict)
    revocations: tuple[RevocationRecord, ...] = ()

    def issued_serials(self, authority: str) -> frozenset[int]:
        """Serials the authority issued: what its OCSP responder answers "good" (or revoked) for."""
        records: list[IssuedRecord | IdentityRecord] = [
            *self.authorities.values(),
            *self.services.values(),
            *self.identities.values(),
        ]
        return frozenset(r.serial for r in records if r.issuer == authority)

    def revocations_by(self, authority: str) -> tuple[RevocationRecord, ...]:
        return tuple(r for r in self.revocations if r.authority == authority)

    def to_json(self) -> dict[str, Any]:
        def issued(r: IssuedRecord) -> dict[str, Any]:
            return {**asdict(r), "serial": format(r.serial, "x")}

        return {
            "format": FORMAT,
            "warning": "DEVELOPMENT PKI — KHÔNG DÙNG THẬT / NOT FOR PRODUCTION",
            "port": self.port,
            "created_at": self.created_at.isoformat(),
            "authorities": {k: issued(v) for k, v in self.authorities.items()},
            "services": {k: issued(v) for k, v in self.services.items()},
            "identities": {
                k: {**asdict(v), "serial": format(v.serial, "x")}
                for k, v in self.identities.items()
            },
            "revocations": [
                {
                    **asdict(r),
                    "serial": format(r.serial, "x"),
                    "revoked_at": r.revoked_at.isoformat(),
                }
                for r in self.revocations
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")

        def issued(d: dict[str, Any]) -> IssuedRecord:
            return IssuedRecord(**{**d, "serial": int(d["serial"], 16)})

        return cls(
            port=int(data["port"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            authorities={k: issued(v) for k, v in data["authorities"].items()},
            services={k: issued(v) for k, v in data["services"].items()},
            identities={
                k: IdentityRecord(**{**v, "serial": int(v["serial"], 16)})
                for k, v in data["identities"].items()
            },
            revocations=tuple(
                RevocationRecord(
                    **{
                        **r,
                        "serial": int(r["serial"], 16),
                        "revoked_at": datetime.fromisoformat(r["revoked_at"]),
                    }
                )
                for r in data["revocations"]
            ),
        )


class PkiStore:
    """Reads and writes one PKI directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int, int], Manifest] | None = None

    @property
    def manifest_path(self) -> Path:
        return self.directory / MANIFEST_NAME

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> Manifest:
        try:
            stat = self.manifest_path.stat()
        except FileNotFoundError:
            raise DevPkiError(
                f"Thư mục «{self.directory}» không chứa PKI phát triển (thiếu {MANIFEST_NAME}). "
                "Hãy tạo bằng create_dev_pki."
            ) from None
        # Every write replaces the file (new inode), so the stamp changes even where the
        # file system's clock is coarse.
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if self._cached is not None and self._cached[0] == stamp:
                return self._cached[1]
            try:
                manifest = Manifest.from_json(json.loads(self.manifest_path.read_text("utf-8")))
            except (ValueError, KeyError, TypeError) as exc:
                raise DevPkiError(
                    f"Tệp {self.manifest_path} bị hỏng hoặc không đúng định dạng ({exc}). "
                    "Hãy xoá thư mục PKI phát triển và tạo lại."
                ) from exc
            self._cached = (stamp, manifest)
            return manifest

    def write_manifest(self, manifest: Manifest) -> None:
        text = json.dumps(manifest.to_json(), ensure_ascii=False, indent=2) + "\n"
        self._write_atomic(self.manifest_path, text.encode("utf-8"))

    def path(self, relative: str) -> Path:
        return self.directory / relative

    def write_bytes(self, relative: str, data: bytes, *, private: bool = False) -> None:
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._write_atomic(target, data, mode=0o600 if private else 0o644)

    def write_certificate(self, relative: str, cert: x509.Certificate) -> None:
        self.write_bytes(relative, cert.public_bytes(serialization.Encoding.DER))

    def read_certificate(self, relative: str) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.path(relative).read_bytes())

    def write_key(self, relative: str, key: rsa.RSAPrivateKey) -> None:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.write_bytes(relative, pem, private=True)

    def read_key(self, relative: str) -> rsa.RSAPrivateKey:
        key = serialization.load_pem_private_key(
            self.path(relative).read_bytes(), password=None, unsafe_skip_rsa_key_validation=True
        )
        if not isinstance(key, rsa.RSAPrivateKey):
            raise DevPkiError(f"Khoá {self.path(relative)} không phải khoá RSA.")
        return key

    @staticmethod
    def _write_atomic(target: Path, data: bytes, *, mode: int = 0o644) -> None:
        tmp = target.with_name(f".{target.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
