"""Archival packages: one BagIt bag per archived record version, stored one object per file.

Layout in a store::

    packages/<document_id>/v<version>/<bag_id>/bagit.txt
                                               bag-info.txt
                                               manifest-sha256.txt  manifest-sha512.txt
                                               tagmanifest-sha256.txt  tagmanifest-sha512.txt
                                               data/record.pdf                the signed PDF/A
                                               data/record.json               its canonical JSON
                                               data/verification-report.json  the report at ingest
                                               data/provenance.json           PREMIS-like events
    index/<document_id>/<seq>.json              append-only, hash-chained (archive.index)

``bag_id`` is the SHA-256 of tagmanifest-sha256.txt, which covers every other tag file and through
the manifests every payload byte: the prefix is content-addressed, identical input gives identical
keys and bytes, and a new version lands beside the old one, never on it.

Writing order: the bag's files (payload, manifests, bag-info and declaration, tag manifests; in
parallel when the store takes parallel uploads), and the index entry last, only once every file
has been verified. An interrupted run leaves objects no index entry points to (the audit reports
them as orphans); running it again with the same input resumes and completes the same package.
"""

from __future__ import annotations

import contextlib
import json
import threading
import unicodedata
import weakref
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from archive.bagit import BAG_INFO_TXT, BAGIT_TXT, BagCode, BagFinding, BagReport, build_bag
from archive.bagit import validate_bag as validate_bag_files
from archive.errors import AlreadyExists, IntegrityError, PackageError
from archive.index import PACKAGE_PREFIX, IndexedFile, IndexEntry, read_chain
from archive.integrity import sha256_hex, sha512_hex
from archive.provenance import (
    EventType,
    ProvenanceEvent,
    canonical_json,
    parse_provenance,
    provenance_bytes,
)
from archive.retention import Retention, utc_seconds
from archive.store import ObjectStore, check_key

PDF = "data/record.pdf"
RECORD_JSON = "data/record.json"
VERIFICATION_REPORT = "data/verification-report.json"
PROVENANCE = "data/provenance.json"
PAYLOAD_FILES = (PDF, RECORD_JSON, VERIFICATION_REPORT, PROVENANCE)
PACKAGE_FORMAT = "hsdt-package/1"
_CONTENT_TYPES = {".pdf": "application/pdf", ".json": "application/json", ".txt": "text/plain"}


@runtime_checkable
class ParallelUploads(Protocol):
    """A store whose ``put`` is safe to call from several threads at once and faster for it
    (S3: each put waits on the network). Stores without it get one put at a time."""

    @property
    def upload_workers(self) -> int: ...


def upload_workers(store: ObjectStore) -> int:
    """How many of a package's files ``archive_package`` stores at once."""
    return max(1, store.upload_workers) if isinstance(store, ParallelUploads) else 1


UPLOAD_THREADS = "hsdt-archive-put"
# One pool per store, kept for the store's lifetime: starting ten threads for every package cost
# more CPU than its hashing. When the store goes, its pool goes (its idle threads then exit).
_POOLS: weakref.WeakKeyDictionary[ObjectStore, tuple[int, ThreadPoolExecutor]] = (
    weakref.WeakKeyDictionary()
)
_POOLS_LOCK = threading.Lock()


def _upload_pool(store: ObjectStore, workers: int) -> ThreadPoolExecutor:
    """The store's upload threads (shared by concurrent ``archive_package`` calls on it)."""
    with _POOLS_LOCK:
        try:
            size, pool = _POOLS.get(store, (0, None))
        except TypeError:  # cannot be weakly referenced: a pool per call, gone with the call
            size, pool = 0, None
        if pool is None or size != workers:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=UPLOAD_THREADS)
            with contextlib.suppress(TypeError):
                _POOLS[store] = (workers, pool)
        return pool


@dataclass(frozen=True)
class PackageInput:
    """Everything one archived record version consists of. ``archived_at`` is part of the bytes:
    persist it before the first attempt and reuse it when retrying, so a retry resumes the same
    package instead of starting a new one."""

    document_id: str
    version: int
    pdf: bytes
    canonical_json: bytes
    verification_report: Mapping[str, Any]
    events: Sequence[ProvenanceEvent]  # rendered, signed, verified, locked — in any order
    archived_at: datetime
    archived_by: str  # the person (or service account) archiving
    organization: str  # the school, as on the record
    title: str = ""  # e.g. "Học bạ THCS — Nguyễn Văn An — 2024–2025"
    # a version made by a correction (Điều 11.4): the version it supersedes and the correction;
    # written to bag-info.txt only when set, so other packages keep their exact bytes
    supersedes_version: int | None = None
    correction: str = ""


@dataclass(frozen=True)
class ArchivalPackage:
    document_id: str
    version: int
    files: Mapping[str, bytes]  # bag path → bytes, sorted by path

    @property
    def bag_id(self) -> str:
        return sha256_hex(self.files["tagmanifest-sha256.txt"])

    @property
    def prefix(self) -> str:
        return f"{PACKAGE_PREFIX}{self.document_id}/v{self.version:04d}/{self.bag_id}/"

    @property
    def pdf(self) -> bytes:
        return self.files[PDF]

    @property
    def canonical_json(self) -> bytes:
        return self.files[RECORD_JSON]

    @property
    def verification_report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads(self.files[VERIFICATION_REPORT])
        return report

    @property
    def events(self) -> tuple[ProvenanceEvent, ...]:
        return parse_provenance(self.files[PROVENANCE])

    @property
    def archived_at(self) -> datetime:
        stamp = _bag_info(self, "Hsdt-Archived-At")
        return utc_seconds(datetime.fromisoformat(stamp.replace("Z", "+00:00")))

    def key(self, path: str) -> str:
        return self.prefix + path


def build_package(package: PackageInput) -> ArchivalPackage:
    """Pure and deterministic: the same input gives the same bytes and the same bag id."""
    document_id = check_key(package.document_id)
    if "/" in document_id:
        raise PackageError(f"mã hồ sơ {document_id!r} không được chứa '/'.")
    if package.version < 1:
        raise PackageError(
            f"{document_id}: phiên bản phải từ 1 trở lên, không phải {package.version}."
        )
    if not package.pdf.startswith(b"%PDF-"):
        raise PackageError(f"{document_id} v{package.version}: tệp hồ sơ không phải PDF.")
    try:
        json.loads(package.canonical_json.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageError(
            f"{document_id} v{package.version}: dữ liệu chuẩn của hồ sơ không phải JSON UTF-8 "
            f"({exc})."
        ) from None
    archived_at = utc_seconds(package.archived_at)
    archived = ProvenanceEvent(
        EventType.ARCHIVED, archived_at, package.archived_by, "Người lưu trữ", detail=PACKAGE_FORMAT
    )
    payload = {
        "record.pdf": package.pdf,
        "record.json": package.canonical_json,
        "verification-report.json": canonical_json(dict(package.verification_report)),
        "provenance.json": provenance_bytes(
            document_id, package.version, [*package.events, archived]
        ),
    }
    info = [
        ("Source-Organization", _one_line(package.organization)),
        ("External-Identifier", document_id),
        ("Internal-Sender-Identifier", f"{document_id}/v{package.version}"),
        *([("External-Description", _one_line(package.title))] if package.title else []),
        ("Bagging-Date", archived_at.date().isoformat()),
        ("Bag-Software-Agent", f"hsdt ({PACKAGE_FORMAT})"),
        ("Hsdt-Archived-At", archived_at.isoformat().replace("+00:00", "Z")),
        *(
            [("Hsdt-Supersedes", f"{document_id}/v{package.supersedes_version}")]
            if package.supersedes_version is not None
            else []
        ),
        *([("Hsdt-Correction", _one_line(package.correction))] if package.correction else []),
    ]
    return ArchivalPackage(document_id, package.version, build_bag(payload, info))


def validate_package(package: ArchivalPackage) -> BagReport:
    """BagIt validity plus this profile: the four payload files, nothing else in data/."""
    report = validate_bag_files(package.files)
    extra = [
        BagFinding(BagCode.MISSING_FILE, path, "tệp bắt buộc của gói hsdt bị thiếu")
        for path in PAYLOAD_FILES
        if path not in package.files
    ]
    extra += [
        BagFinding(BagCode.UNLISTED_FILE, path, "tệp không thuộc cấu trúc gói hsdt")
        for path in package.files
        if path.startswith("data/") and path not in PAYLOAD_FILES
    ]
    return BagReport((*report.findings, *extra), report.info)


def archive_package(
    store: ObjectStore, package: ArchivalPackage, *, retention: Retention
) -> IndexEntry:
    """Store every file of the package, then its index entry. Idempotent: archiving the same
    package again (e.g. after a crash) completes it and returns the same entry."""
    workers = min(upload_workers(store), len(package.files))
    pool = _upload_pool(store, workers) if workers > 1 else None
    # The SHA-512s for the index entry are computed while the index chain is being read: they
    # need nothing from the store (hashlib releases the GIL, so they run beside the request).
    sha512: dict[str, Future[str]] | None = (
        {path: pool.submit(sha512_hex, data) for path, data in package.files.items()}
        if pool
        else None
    )
    chain = read_chain(store, package.document_id)
    if chain.problems:
        key, problem = chain.problems[0]
        raise PackageError(
            f"{store.name}: chỉ mục của {package.document_id} bị hỏng ({key}: {problem}); "
            "chưa lưu trữ gì.",
            hint="Chạy «hsdt archive audit --repair» trước.",
        )
    latest = chain.latest
    if latest is not None and latest.document_version >= package.version:
        if latest.document_version == package.version and latest.bag_id == package.bag_id:
            return latest
        raise PackageError(
            f"{package.document_id} phiên bản {latest.document_version} đã được lưu trữ "
            f"(gói {latest.bag_id[:12]}…, {latest.archived_at.isoformat()}); không thể lưu "
            f"phiên bản {package.version} sau nó.",
            hint="Hồ sơ đã thay đổi được lưu trữ thành phiên bản mới, số lớn hơn; các phiên bản "
            "đã lưu trữ giữ nguyên.",
        )
    sha256 = _store_files(store, package, retention, pool)
    entry = IndexEntry(
        document_id=package.document_id,
        sequence=latest.sequence + 1 if latest else 1,
        document_version=package.version,
        archived_at=package.archived_at,
        bag_id=package.bag_id,
        prefix=package.prefix,
        files=tuple(
            IndexedFile(
                path,
                len(data),
                sha256[path],
                sha512[path].result() if sha512 is not None else sha512_hex(data),
            )
            for path, data in package.files.items()
        ),
        retention=retention,
        previous_key=latest.key if latest else None,
        previous_sha256=chain.raw_sha256[-1] if latest else None,
    )
    # Written only now that every file is stored and verified: the package becomes visible.
    try:
        store.put(entry.key, entry.to_bytes(), retention=retention, content_type="application/json")
    except AlreadyExists:
        # Someone archived this document at the same moment: fine if it was this very package.
        winner = read_chain(store, package.document_id).latest
        if winner is not None and winner.bag_id == package.bag_id:
            return winner
        raise PackageError(
            f"{package.document_id} vừa được một tiến trình khác lưu trữ cùng lúc; gói này đã "
            "được ghi nhưng chưa vào chỉ mục.",
            hint="Xem lịch sử lưu trữ của hồ sơ rồi lưu trữ lại nếu cần.",
        ) from None
    return entry


def load_package(store: ObjectStore, entry: IndexEntry) -> ArchivalPackage:
    """The package an index entry names, every object verified against the entry's SHA-256 and
    SHA-512, and the bag validated."""
    files: dict[str, bytes] = {}
    for item in entry.files:
        key = entry.object_key(item.path)
        data = store.get(key, expected_sha256=item.sha256).data
        if sha512_hex(data) != item.sha512:
            raise IntegrityError(
                store.name, key, expected=item.sha512, actual=sha512_hex(data), what="sha512"
            )
        files[item.path] = data
    package = ArchivalPackage(
        entry.document_id, entry.document_version, dict(sorted(files.items()))
    )
    report = validate_package(package)
    if package.bag_id != entry.bag_id or not report.ok:
        problems = "; ".join(f"{f.path}: {f.message}" for f in report.findings[:3])
        raise PackageError(
            f"{store.name}: gói {entry.prefix} không hợp lệ "
            f"({problems or 'mã gói khác với chỉ mục'}).",
            hint="Chạy «hsdt archive audit --repair» để khôi phục từ bản sao thứ hai.",
        )
    return package


def read_package(
    store: ObjectStore, document_id: str, *, version: int | None = None
) -> ArchivalPackage:
    """The latest archived version of a document, or the given one, fully verified."""
    chain = read_chain(store, document_id)
    if chain.problems:
        key, problem = chain.problems[0]
        raise PackageError(
            f"{store.name}: chỉ mục của {document_id} bị hỏng ({key}: {problem}).",
            hint="Chạy «hsdt archive audit --repair».",
        )
    candidates = [e for e in chain.entries if version is None or e.document_version == version]
    if not candidates:
        which = f" phiên bản {version}" if version is not None else ""
        raise PackageError(f"{store.name}: chưa lưu trữ {document_id}{which}.")
    return load_package(store, candidates[-1])


def package_history(store: ObjectStore, document_id: str) -> tuple[IndexEntry, ...]:
    """Every archived version of a document, oldest first, from its verified index chain."""
    chain = read_chain(store, document_id)
    if chain.problems:
        key, problem = chain.problems[0]
        raise PackageError(f"{store.name}: chỉ mục của {document_id} bị hỏng ({key}: {problem}).")
    return chain.entries


def export_bag(package: ArchivalPackage, directory: Path) -> Path:
    """Write the package as a BagIt directory ``<directory>/<document_id>-v<version>`` for other
    archives and BagIt tools."""
    target = directory / f"{package.document_id}-v{package.version:04d}"
    if target.exists():
        raise PackageError(f"{target} đã tồn tại; hãy chọn thư mục khác.")
    for path, data in package.files.items():
        out = target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return target


def content_type(path: str) -> str:
    return _CONTENT_TYPES.get(Path(path).suffix, "application/octet-stream")


def _write_order(files: Mapping[str, bytes]) -> list[str]:
    def rank(path: str) -> int:
        if path.startswith("data/"):
            return 0
        if path.startswith("manifest-"):
            return 1
        if path in (BAG_INFO_TXT, BAGIT_TXT):
            return 2
        return 3  # tag manifests: the bag is complete once they are there

    # largest first within a group: the PDF's hashing and transfer are the longest, and started
    # first they end with the others instead of after them
    return sorted(files, key=lambda p: (rank(p), -len(files[p]), p))


def _store_files(
    store: ObjectStore,
    package: ArchivalPackage,
    retention: Retention,
    pool: ThreadPoolExecutor | None,
) -> dict[str, str]:
    """Every file of the bag, each read back and compared by the store (or, when an earlier
    attempt left it, confirmed against its SHA-256); returns each file's verified SHA-256.
    Returns only once all of them are; on a failure, queued files are not started, the uploads
    in flight end, then the first failure in write order is raised."""
    paths = _write_order(package.files)
    if pool is None:
        return {
            p: _put_or_confirm(store, package.key(p), package.files[p], retention) for p in paths
        }
    futures: list[Future[str]] = []
    try:
        for p in paths:
            futures.append(
                pool.submit(_put_or_confirm, store, package.key(p), package.files[p], retention)
            )
        wait(futures, return_when=FIRST_EXCEPTION)
    finally:
        # Also on an interrupt: no upload outlives this call, so nothing can land after the
        # caller has decided what to do next (e.g. after a failure was reported). The pool
        # stays for the next package; this package's queued uploads are withdrawn from it.
        for future in futures:
            future.cancel()
        wait(futures)
    for future in futures:  # the first failure in write order
        if not future.cancelled():
            future.result()
    return {p: future.result() for p, future in zip(paths, futures, strict=True)}


def _put_or_confirm(store: ObjectStore, key: str, data: bytes, retention: Retention) -> str:
    """Store ``data`` at ``key`` and return its SHA-256, as verified by the read-back."""
    try:
        info = store.put(key, data, retention=retention, content_type=content_type(key))
    except AlreadyExists:
        # Left by an interrupted run of the same package: keys are content-addressed, so the
        # existing object must be these very bytes. Prove it rather than assume it.
        digest = sha256_hex(data)
        store.get(key, expected_sha256=digest)
        return digest
    # put hashed the bytes and compared the read-back with that hash: no need to hash them again
    return info.sha256 if info.sha256 is not None else sha256_hex(data)


def _bag_info(package: ArchivalPackage, label: str) -> str:
    for line in package.files[BAG_INFO_TXT].decode("utf-8").splitlines():
        name, _, value = line.partition(":")
        if name == label:
            return value.strip()
    raise PackageError(f"bag-info.txt của {package.prefix} thiếu {label}.")


def _one_line(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())
