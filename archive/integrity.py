"""Checksums: computed here, locally, for everything that goes in or comes out of a store.

A store's own acceptance of an upload proves nothing (moto, for one, accepts wrong checksums), so
every comparison the archive relies on is made against hashes computed by this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from archive.errors import IntegrityError


@dataclass(frozen=True)
class Digests:
    size: int
    sha256: str  # lowercase hex
    sha512: str  # lowercase hex


def digests(data: bytes) -> Digests:
    return Digests(len(data), hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest())


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha512_hex(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def md5_b64(data: bytes) -> str:
    """Content-MD5: every S3 implementation verifies it, even those without flexible checksums."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")


def hex_to_b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def b64_to_hex(b64_digest: str) -> str | None:
    """A store's base64 checksum as hex; None when it is not a plain checksum (e.g. multipart)."""
    try:
        return base64.b64decode(b64_digest, validate=True).hex()
    except (binascii.Error, ValueError):
        return None


def is_sha256_hex(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def verify_download(
    data: bytes,
    *,
    store: str,
    key: str,
    expected: str | None = None,
    recorded: str | None = None,
    store_sha256: str | None = None,
) -> str:
    """Check downloaded bytes against every checksum known for them; return their sha256.

    Refuses when none is known: "verified" must never mean "compared with nothing".
    """
    actual = sha256_hex(data)
    references = (
        ("sha256 theo manifest", expected),
        ("sha256 ghi lúc tải lên", recorded),
        ("checksum sha256 của kho", store_sha256),
    )
    known = [(what, ref.lower()) for what, ref in references if ref]
    if not known:
        raise IntegrityError(
            store,
            key,
            expected="(không có checksum nào để đối chiếu)",
            actual=actual,
            what="sha256",
        )
    for what, ref in known:
        if ref != actual:
            raise IntegrityError(store, key, expected=ref, actual=actual, what=what)
    return actual
