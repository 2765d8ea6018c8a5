"""The archive's errors: one root, each subclass with a stable code, naming the object and store.

Messages are Vietnamese, for the clerk or administrator running ``hsdt archive``: what went wrong,
where (store and key) and what to do. An ``ArchiveError`` means "cannot continue"; checks that
find problems (bag validation, audits) return reports instead. Messages never contain
credentials: a store is named by its bucket and endpoint or its folder, never by a key id.
"""

from __future__ import annotations

from typing import ClassVar

HINT_AUDIT = "Chạy «hsdt archive audit --repair» để khôi phục từ bản sao thứ hai."


class ArchiveError(Exception):
    """Root of every error the archive raises on purpose."""

    code: ClassVar[str] = "archive.error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n→ {self.hint}"


class InvalidKey(ArchiveError):
    """An object key that is not a safe, relative, portable path."""

    code = "archive.invalid_key"


class AlreadyExists(ArchiveError):
    """A create-only write found the key taken; nothing was overwritten."""

    code = "archive.already_exists"

    def __init__(self, store: str, key: str, *, existing_sha256: str | None) -> None:
        super().__init__(
            f"{store}: đối tượng {key} đã tồn tại; dữ liệu đã lưu trữ không bao giờ bị ghi đè.",
            hint="Hồ sơ đã thay đổi được lưu trữ thành phiên bản mới; nội dung giống hệt thì "
            "không cần ghi lại.",
        )
        self.store = store
        self.key = key
        self.existing_sha256 = existing_sha256


class NotFound(ArchiveError):
    code = "archive.not_found"

    def __init__(self, store: str, key: str) -> None:
        super().__init__(
            f"{store}: không có đối tượng {key}.",
            hint="Chạy «hsdt archive audit» để liệt kê các đối tượng bị thiếu; thêm --repair để "
            "khôi phục từ bản sao thứ hai.",
        )
        self.store = store
        self.key = key


class IntegrityError(ArchiveError):
    """Bytes did not match their checksum: in transit, at rest, or in a manifest."""

    code = "archive.integrity"

    def __init__(
        self, store: str, key: str, *, expected: str, actual: str, what: str = "sha256"
    ) -> None:
        super().__init__(
            f"{store}: đối tượng {key} không qua được kiểm tra toàn vẹn ({what}: cần {expected}, "
            f"thực tế {actual}). Dữ liệu này không được dùng.",
            hint=f"{HINT_AUDIT} Nếu cả hai bản đều hỏng, hãy báo ngay cho cán bộ phụ trách "
            "lưu trữ.",
        )
        self.store = store
        self.key = key
        self.expected = expected
        self.actual = actual
        self.what = what


class RetentionError(ArchiveError):
    """A request that would delete, overwrite or weaken a retained object was refused."""

    code = "archive.retention"

    def __init__(self, store: str, key: str, reason: str, *, hint: str | None = None) -> None:
        super().__init__(
            f"{store}: từ chối thao tác trên {key}: {reason}.",
            hint=hint
            or "Hồ sơ lưu trữ được khóa ở chế độ COMPLIANCE; không ai, kể cả hsdt, có thể rút "
            "ngắn thời hạn lưu giữ. Hồ sơ cần sửa được lưu trữ thành phiên bản mới.",
        )
        self.store = store
        self.key = key


class StoreFailure(ArchiveError):
    """The store as a whole cannot be used: every caller stops, nothing is reported per object."""

    code = "archive.store"


class StoreUnavailable(StoreFailure):
    """The store did not answer (after retries). Nothing half-written becomes visible."""

    code = "archive.store_unavailable"


class StoreMisconfigured(StoreFailure):
    """The store cannot hold an archive safely (no bucket, no Object Lock, bad settings)."""

    code = "archive.store_misconfigured"


class StoreAccessDenied(StoreFailure):
    """Credentials are missing, wrong or not allowed to do this."""

    code = "archive.access_denied"


class PackageError(ArchiveError):
    """Archival package input or index that cannot be used as given."""

    code = "archive.package"
