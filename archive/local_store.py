"""The embedded default store: a directory (the home's ``objects/``) with the S3 adapter's rules.

Layout::

    objects/<key>                  the bytes, read-only (0444), exactly as archived
    objects/.hsdt/meta/<key>.json  sidecar: sha256, size, stored-at, retention, legal hold
    objects/.hsdt/tmp/             staging for atomic writes (same file system)
    objects/.hsdt/lock             serialises writers (flock)

A write stages the bytes in ``tmp/`` (fsync, chmod 0444), writes the sidecar, then hard-links the
bytes into place: ``link`` fails when the key exists, so creation is atomic and create-only. A
crash leaves either nothing visible or a complete object. Directories stay writable because new
keys join shared prefixes; the 0444 mode is a guard for people, the refusals are in this code
(root ignores file modes anyway).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from archive.errors import (
    AlreadyExists,
    ArchiveError,
    IntegrityError,
    NotFound,
    RetentionError,
    StoreUnavailable,
)
from archive.integrity import sha256_hex, verify_download
from archive.retention import (
    COMPLIANCE,
    Retention,
    check_extension,
    check_new_retention,
    utc_seconds,
)
from archive.store import (
    ListedObject,
    Now,
    ObjectInfo,
    StoredObject,
    check_key,
    check_prefix,
    utcnow,
)

READ_ONLY = 0o444
_T = TypeVar("_T")
SIDECAR_FORMAT = "hsdt-local-object/1"
_PRIVATE = ".hsdt"


@dataclass(frozen=True)
class _Sidecar:
    sha256: str
    size: int
    content_type: str
    stored_at: datetime
    retention: Retention

    def to_bytes(self) -> bytes:
        doc = {
            "format": SIDECAR_FORMAT,
            "sha256": self.sha256,
            "size": self.size,
            "content_type": self.content_type,
            "stored_at": self.stored_at.isoformat().replace("+00:00", "Z"),
            "retention": self.retention.to_json(),
        }
        return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8")

    @staticmethod
    def from_bytes(raw: bytes) -> _Sidecar:
        doc: dict[str, Any] = json.loads(raw)
        if doc.get("format") != SIDECAR_FORMAT:
            raise ValueError(f"unknown sidecar format {doc.get('format')!r}")
        return _Sidecar(
            sha256=str(doc["sha256"]),
            size=int(doc["size"]),
            content_type=str(doc["content_type"]),
            stored_at=datetime.fromisoformat(str(doc["stored_at"]).replace("Z", "+00:00")),
            retention=Retention.from_json(doc["retention"]),
        )


class LocalObjectStore:
    def __init__(self, root: Path, *, now: Now = utcnow) -> None:
        self.root = root
        self._now = now
        self._private = root / _PRIVATE
        (self._private / "meta").mkdir(parents=True, exist_ok=True)
        (self._private / "tmp").mkdir(exist_ok=True)

    @property
    def name(self) -> str:
        return f"kho cục bộ {self.root}"

    # ------------------------------------------------------------------ the port

    def put(
        self,
        key: str,
        data: bytes,
        *,
        retention: Retention,
        content_type: str = "application/octet-stream",
    ) -> ObjectInfo:
        check_key(key)
        now = utc_seconds(self._now())
        check_new_retention(self.name, key, retention, now)
        digest = sha256_hex(data)
        sidecar = _Sidecar(digest, len(data), content_type, now, retention)
        # The bytes are written and flushed to disk before the lock is taken: the slow part of a
        # write (two fsyncs) runs concurrently across writers; under the lock only names change.
        staged = [self._guarded(self._stage, sidecar.to_bytes()), None]
        try:
            staged[1] = self._guarded(self._stage, data)
            with self._locked():
                if self._blob(key).exists():
                    raise AlreadyExists(self.name, key, existing_sha256=self._recorded_sha256(key))
                # The sidecar goes first: a visible object always has one. A sidecar without its
                # object is a leftover of a crash and is simply replaced here.
                self._guarded(self._place, staged[0], self._meta(key), True)
                self._guarded(self._place, staged[1], self._blob(key), False)
            self._guarded(_fsync_dir, self._blob(key).parent)
        finally:
            for tmp in staged:
                if tmp is not None:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(tmp)
        return self._read_back(key, digest)

    def get(self, key: str, *, expected_sha256: str | None = None) -> StoredObject:
        check_key(key)
        data = self._read_blob(key)
        info = self._info(key, len(data))
        verify_download(
            data, store=self.name, key=key, expected=expected_sha256, recorded=info.sha256
        )
        return StoredObject(info, data)

    def head(self, key: str) -> ObjectInfo:
        check_key(key)
        try:
            size = self._blob(key).stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(self.name, key) from None
        return self._info(key, size)

    def exists(self, key: str) -> bool:
        return self._blob(check_key(key)).is_file()

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        check_prefix(prefix)
        start = self.root / prefix.rpartition("/")[0] if "/" in prefix else self.root
        found: list[ListedObject] = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            base = Path(dirpath)
            for filename in filenames:
                if filename.startswith("."):
                    continue
                path = base / filename
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    stat = path.stat()
                    mtime = datetime.fromtimestamp(stat.st_mtime).astimezone()
                    found.append(ListedObject(key, stat.st_size, utc_seconds(mtime)))
        yield from sorted(found, key=lambda o: o.key)

    def extend_retention(self, key: str, retain_until: datetime) -> ObjectInfo:
        check_key(key)
        with self._locked():
            sidecar = self._require_sidecar(key, "kéo dài thời hạn lưu giữ")
            check_extension(self.name, key, sidecar.retention, retain_until)
            stronger = Retention(retain_until, sidecar.retention.legal_hold)
            self._replace_sidecar(key, sidecar, stronger)
        return self.head(key)

    def place_legal_hold(self, key: str) -> ObjectInfo:
        check_key(key)
        with self._locked():
            sidecar = self._require_sidecar(key, "đặt giữ pháp lý")
            held = Retention(sidecar.retention.retain_until, legal_hold=True)
            self._replace_sidecar(key, sidecar, held)
        return self.head(key)

    def delete(self, key: str) -> None:
        check_key(key)
        now = utc_seconds(self._now())
        with self._locked():
            sidecar = self._require_sidecar(key, "xác định có được xóa hay không")
            if sidecar.retention.legal_hold:
                raise RetentionError(self.name, key, "đối tượng đang bị giữ pháp lý (legal hold)")
            if sidecar.retention.in_force(now):
                raise RetentionError(
                    self.name,
                    key,
                    "đối tượng được lưu giữ đến "
                    f"{sidecar.retention.retain_until.isoformat()} ({sidecar.retention.mode})",
                )
            self._blob(key).unlink()
            self._meta(key).unlink()

    def restore(
        self, key: str, data: bytes, *, expected_sha256: str, retention: Retention
    ) -> ObjectInfo:
        check_key(key)
        expected = expected_sha256.lower()
        actual = sha256_hex(data)
        if actual != expected:
            raise IntegrityError(
                self.name, key, expected=expected, actual=actual, what="sha256 của bản sao tốt"
            )
        if retention.mode != COMPLIANCE:
            raise RetentionError(self.name, key, f"chế độ {retention.mode} không phải COMPLIANCE")
        now = utc_seconds(self._now())
        with self._locked():
            sidecar = self._sidecar_or_none(key)
            if sidecar is not None and sidecar.sha256 != expected:
                raise RetentionError(
                    self.name,
                    key,
                    f"đối tượng được lưu trữ với sha256 {sidecar.sha256}, không phải {expected}; "
                    "khôi phục chỉ được đặt lại đúng nội dung đã lưu trữ",
                )
            blob = self._blob(key)
            if blob.is_file() and sha256_hex(blob.read_bytes()) == expected and sidecar:
                return self._info(key, len(data))  # healthy: nothing to restore
            if sidecar is not None:  # keep whichever lock is stronger
                retention = Retention(
                    max(retention.retain_until, sidecar.retention.retain_until),
                    retention.legal_hold or sidecar.retention.legal_hold,
                )
            fresh = _Sidecar(expected, len(data), _content_type(sidecar), now, retention)
            self._write_file(self._meta(key), fresh.to_bytes(), replace=True)
            self._write_file(blob, data, replace=True)
        return self._read_back(key, expected)

    # ------------------------------------------------------------------ internals

    def _blob(self, key: str) -> Path:
        return self.root / key

    def _meta(self, key: str) -> Path:
        return self._private / "meta" / f"{key}.json"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self._private / "lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write_file(self, path: Path, data: bytes, *, replace: bool) -> None:
        """Stage, fsync, make read-only, then move into place: atomic, and create-only unless
        ``replace`` (sidecars, and restores of corrupt objects)."""
        tmp = self._guarded(self._stage, data)
        try:
            self._guarded(self._place, tmp, path, replace)
            if not replace:  # a replacement flushed its directory already
                self._guarded(_fsync_dir, path.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def _guarded(self, step: Callable[..., _T], *args: Any) -> _T:
        """``step(*args)``, with the file system's own errors (disk full, permissions, I/O) told
        as a store that cannot be used: nothing partial is visible."""
        try:
            return step(*args)
        except (FileExistsError, ArchiveError):
            raise
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            raise StoreUnavailable(
                f"{self.name}: không ghi được{where} ({exc.strerror}).",
                hint="Kiểm tra dung lượng trống và quyền ghi của thư mục, rồi chạy lại lệnh: "
                "lệnh sẽ tiếp tục từ chỗ đã dừng.",
            ) from exc

    def _stage(self, data: bytes) -> str:
        """The bytes in a read-only file in ``tmp/``, flushed to disk; its path."""
        fd, tmp = tempfile.mkstemp(dir=self._private / "tmp", prefix="stage.")
        try:
            with os.fdopen(fd, "wb") as staged:
                staged.write(data)
                staged.flush()
                os.fsync(staged.fileno())
            os.chmod(tmp, READ_ONLY)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return tmp

    def _place(self, tmp: str, path: Path, replace: bool) -> None:
        """Give a staged file its name: atomic; create-only unless ``replace``. Its directory is
        flushed by the caller."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise ArchiveError(
                f"{self.name}: không ghi được {path.relative_to(self.root)}: một thư mục cha "
                "của nó đã là một đối tượng.",
                hint="Trong kho cục bộ, khóa này không được nằm dưới một khóa khác.",
            ) from None
        if replace:
            os.replace(tmp, path)
            _fsync_dir(path.parent)  # a sidecar is durable before its object can be visible
            return
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise AlreadyExists(
                self.name, path.relative_to(self.root).as_posix(), existing_sha256=None
            ) from None

    def _read_blob(self, key: str) -> bytes:
        try:
            return self._blob(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFound(self.name, key) from None

    def _read_back(self, key: str, digest: str) -> ObjectInfo:
        data = self._read_blob(key)
        verify_download(data, store=self.name, key=key, expected=digest)
        return self._info(key, len(data))

    def _sidecar_or_none(self, key: str) -> _Sidecar | None:
        try:
            return _Sidecar.from_bytes(self._meta(key).read_bytes())
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise ArchiveError(
                f"{self.name}: không đọc được siêu dữ liệu của {key} ({exc}).",
                hint="Khôi phục thư mục .hsdt/meta từ bản sao lưu; bản thân đối tượng vẫn nguyên.",
            ) from exc

    def _require_sidecar(self, key: str, action: str) -> _Sidecar:
        if not self._blob(key).is_file():
            raise NotFound(self.name, key)
        sidecar = self._sidecar_or_none(key)
        if sidecar is None:
            raise RetentionError(
                self.name,
                key,
                f"không có thông tin lưu giữ nên hsdt không thể {action}",
                hint="Đối tượng không có siêu dữ liệu thì không do hsdt ghi; hãy để quản trị "
                "viên xử lý.",
            )
        return sidecar

    def _recorded_sha256(self, key: str) -> str | None:
        sidecar = self._sidecar_or_none(key)
        return sidecar.sha256 if sidecar else None

    def _replace_sidecar(self, key: str, old: _Sidecar, retention: Retention) -> None:
        new = _Sidecar(old.sha256, old.size, old.content_type, old.stored_at, retention)
        self._write_file(self._meta(key), new.to_bytes(), replace=True)

    def _info(self, key: str, size: int) -> ObjectInfo:
        sidecar = self._sidecar_or_none(key)
        if sidecar is None:
            mtime = datetime.fromtimestamp(self._blob(key).stat().st_mtime).astimezone()
            return ObjectInfo(key, size, None, None, None, utc_seconds(mtime))
        return ObjectInfo(
            key=key,
            size=size,
            sha256=sidecar.sha256,
            store_sha256=None,
            retention=sidecar.retention,
            stored_at=sidecar.stored_at,
        )


def _content_type(sidecar: _Sidecar | None) -> str:
    return sidecar.content_type if sidecar else "application/octet-stream"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
