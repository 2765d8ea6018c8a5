"""Plain data of the development PKI: who gets a certificate, and what a loaded identity holds."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509

from signing.errors import DevPkiError

IdentityKind = Literal["person", "organisation"]

# Ids become file names in the PKI directory: keep them boring.
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class PersonSpec:
    """A person (teacher, principal) or organisation (school seal) to issue a certificate to."""

    id: str
    full_name: str
    kind: IdentityKind
    organisation: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        if not _ID_PATTERN.fullmatch(self.id):
            raise DevPkiError(
                f"Mã định danh «{self.id}» không hợp lệ: chỉ dùng chữ cái không dấu, chữ số, "
                "dấu chấm, gạch ngang hoặc gạch dưới (tối đa 64 ký tự)."
            )
        if self.kind not in ("person", "organisation"):
            raise DevPkiError(f"Loại chủ thể «{self.kind}» không hợp lệ (person/organisation).")
        name = unicodedata.normalize("NFC", " ".join(self.full_name.split()))
        if not name:
            raise DevPkiError(f"Chủ thể «{self.id}» chưa có tên.")
        object.__setattr__(self, "full_name", name)
        if self.organisation is not None:
            org = unicodedata.normalize("NFC", " ".join(self.organisation.split()))
            object.__setattr__(self, "organisation", org)


@dataclass(frozen=True)
class Identity:
    """A certificate holder of the development PKI, as loaded from its directory."""

    id: str
    full_name: str
    kind: str
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    """Issuing CA(s) up to, not including, the root."""
    pkcs12_path: Path
    """Absolute when loaded; stored relative to the PKI directory."""
    passphrase: bytes
