"""The object-store port: what the archive needs from any storage, and nothing more.

Rules every adapter keeps (the contract tests in tests/archive/ hold both adapters to them):

- ``put`` is create-only. An existing key raises ``AlreadyExists``; nothing is overwritten.
  The bytes are hashed locally, the checksum travels with the upload, and the stored object is
  read back and compared before ``put`` returns.
- ``get`` verifies the bytes against every checksum it knows (the caller's, the one recorded at
  upload, the store's) before returning them, and refuses when it knows none.
- Retention is COMPLIANCE and only ever strengthened: ``extend_retention`` refuses an earlier date,
  ``place_legal_hold`` has no counterpart that releases it, ``delete`` refuses while an object is
  retained or held.
- ``restore`` is the one write to an existing key: it replaces a *corrupt* object with bytes that
  match the checksum the object was archived with, and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from archive.errors import InvalidKey
from archive.retention import Retention

Now = Callable[[], datetime]

MAX_KEY_BYTES = 1024  # S3's limit
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*\Z")


def utcnow() -> datetime:
    return datetime.now(UTC)


def check_key(key: str) -> str:
    """Keys are relative POSIX paths of portable segments: safe as S3 keys and as file paths."""
    segments = key.split("/")
    if (
        not key
        or len(key.encode("utf-8")) > MAX_KEY_BYTES
        or not all(_SEGMENT.match(s) for s in segments)
    ):
        raise InvalidKey(
            f"khóa đối tượng không hợp lệ: {key!r}",
            hint="Khóa gồm các đoạn ngăn bởi '/', mỗi đoạn chỉ có chữ cái Latin không dấu, chữ "
            "số, '.', '_', '-' và không bắt đầu bằng '.' hoặc '-'.",
        )
    return key


def check_prefix(prefix: str) -> str:
    if prefix and not prefix.endswith("/"):
        check_key(prefix)
    elif prefix:
        check_key(prefix[:-1])
    return prefix


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str | None  # recorded by hsdt at upload; None for objects written by someone else
    store_sha256: str | None  # the store's own checksum, when it keeps one
    retention: Retention | None
    stored_at: datetime
    version_id: str | None = None

    @property
    def legal_hold(self) -> bool:
        return self.retention is not None and self.retention.legal_hold


@dataclass(frozen=True)
class StoredObject:
    """Verified bytes and what the store says about them."""

    info: ObjectInfo
    data: bytes


@dataclass(frozen=True)
class ListedObject:
    key: str
    size: int
    stored_at: datetime


@runtime_checkable
class ObjectStore(Protocol):
    @property
    def name(self) -> str:
        """Where this store is, for messages: never contains credentials."""
        ...

    def put(
        self,
        key: str,
        data: bytes,
        *,
        retention: Retention,
        content_type: str = "application/octet-stream",
    ) -> ObjectInfo:
        """Create ``key`` (never overwrite), verify it by reading it back."""
        ...

    def get(self, key: str, *, expected_sha256: str | None = None) -> StoredObject:
        """Verified bytes of ``key``; IntegrityError before any unverified byte is returned."""
        ...

    def head(self, key: str) -> ObjectInfo: ...

    def exists(self, key: str) -> bool: ...

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        """Current objects under ``prefix``, in key order."""
        ...

    def extend_retention(self, key: str, retain_until: datetime) -> ObjectInfo:
        """Move retain-until later; an earlier date raises RetentionError and sends nothing."""
        ...

    def place_legal_hold(self, key: str) -> ObjectInfo:
        """Put a legal hold on ``key``. Releasing one is deliberately not part of the port."""
        ...

    def delete(self, key: str) -> None:
        """Refused (RetentionError) while the object is retained or held; never used by the
        archive workflow, present so that a disposal after retention has one checked path."""
        ...

    def restore(
        self, key: str, data: bytes, *, expected_sha256: str, retention: Retention
    ) -> ObjectInfo:
        """Put back a missing or corrupt object from a good copy whose sha256 is
        ``expected_sha256``. A healthy object is left untouched."""
        ...
