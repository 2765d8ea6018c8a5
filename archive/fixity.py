"""Fixity audit: re-read archived objects and hold them to the index, the bag and the store.

``audit`` is pure apart from the stores it is given (time, sampling seed and the last-checked
times come in as arguments). It reports, per store:

- missing     an object the index names is not there
- corrupt     its bytes do not match the index's SHA-256/SHA-512 (or the store's own checksum)
- unexpected  an object no index entry names, outside any package folder
- orphan      objects of a package folder no index entry names: left by an interrupted archive
              run (a warning: nothing archived is affected; they stay locked until retention ends)
- bag-invalid the package's bytes are intact but the bag does not validate
- index-damaged no store holds a clean hash chain for a document
- retention-weak an object's lock is missing, not COMPLIANCE, or shorter than the index asks

With ``repair`` and a second store, missing and corrupt objects are restored from the copy that
verifies, package files before index entries, and weak locks are strengthened. Nothing is ever
deleted: unexpected and orphan objects are only reported.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from archive.bagit import BagReport
from archive.errors import ArchiveError, IntegrityError, NotFound, StoreFailure
from archive.index import (
    INDEX_PREFIX,
    PACKAGE_PREFIX,
    IndexChain,
    IndexEntry,
    indexed_documents,
    read_chain,
)
from archive.integrity import sha512_hex
from archive.package import ArchivalPackage, validate_package
from archive.retention import Retention, utc_seconds
from archive.store import ObjectStore


class AuditCode(StrEnum):
    MISSING = "missing"
    CORRUPT = "corrupt"
    UNEXPECTED = "unexpected"
    ORPHAN = "orphan"
    BAG_INVALID = "bag-invalid"
    INDEX_DAMAGED = "index-damaged"
    RETENTION_WEAK = "retention-weak"


_LABELS = {
    AuditCode.MISSING: "thiếu",
    AuditCode.CORRUPT: "hỏng",
    AuditCode.UNEXPECTED: "lạ",
    AuditCode.ORPHAN: "mồ côi",
    AuditCode.BAG_INVALID: "gói sai",
    AuditCode.INDEX_DAMAGED: "chỉ mục hỏng",
    AuditCode.RETENTION_WEAK: "khóa yếu",
}


@dataclass(frozen=True)
class AuditFinding:
    code: AuditCode
    store: str
    key: str
    message: str
    expected: str | None = None
    actual: str | None = None
    repaired: bool = False

    @property
    def is_warning(self) -> bool:
        return self.code is AuditCode.ORPHAN

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "severity": "warning" if self.is_warning else "error",
            "store": self.store,
            "key": self.key,
            "message": self.message,
            "expected": self.expected,
            "actual": self.actual,
            "repaired": self.repaired,
        }


@dataclass(frozen=True)
class AuditedPackage:
    """One package the audit read; ``key`` is its index entry (use it for ``last_checked``)."""

    key: str
    document_id: str
    document_version: int
    ok: bool


@dataclass(frozen=True)
class AuditReport:
    checked_at: datetime
    stores: tuple[str, ...]
    selection: str
    packages: tuple[AuditedPackage, ...]
    objects_checked: int
    bytes_read: int
    findings: tuple[AuditFinding, ...]

    @property
    def ok(self) -> bool:
        """True when nothing is wrong (orphans are warnings; repaired findings count as fixed)."""
        return all(f.repaired or f.is_warning for f in self.findings)

    def count(self, code: AuditCode) -> int:
        return sum(1 for f in self.findings if f.code is code)

    def to_json(self) -> dict[str, object]:
        return {
            "checked_at": self.checked_at.isoformat().replace("+00:00", "Z"),
            "ok": self.ok,
            "stores": list(self.stores),
            "selection": self.selection,
            "packages_checked": len(self.packages),
            "objects_checked": self.objects_checked,
            "bytes_read": self.bytes_read,
            "counts": {code.value: self.count(code) for code in AuditCode},
            "repaired": sum(1 for f in self.findings if f.repaired),
            "packages": [
                {
                    "key": p.key,
                    "document_id": p.document_id,
                    "version": p.document_version,
                    "ok": p.ok,
                }
                for p in self.packages
            ],
            "findings": [f.to_json() for f in self.findings],
        }

    def to_text(self) -> str:
        """The human report, in Vietnamese."""
        lines = [
            f"Kiểm tra toàn vẹn lúc {self.checked_at.isoformat().replace('+00:00', 'Z')}",
            *(f"  kho: {name}" for name in self.stores),
            f"Đã kiểm tra {len(self.packages)} gói ({self.selection}), {self.objects_checked} "
            f"đối tượng, {self.bytes_read:,} byte.".replace(
                f"{self.bytes_read:,}", f"{self.bytes_read:,}".replace(",", ".")
            ),
        ]
        for f in self.findings:
            mark = "đã sửa" if f.repaired else ("cảnh báo" if f.is_warning else "LỖI")
            lines.append(f"[{mark}] {_LABELS[f.code]}: {f.store}: {f.key} — {f.message}")
        errors = sum(1 for f in self.findings if not f.is_warning)
        repaired = sum(1 for f in self.findings if f.repaired)
        warnings = sum(1 for f in self.findings if f.is_warning)
        if self.ok and not self.findings:
            lines.append("Kết quả: mọi đối tượng đều nguyên vẹn.")
        else:
            lines.append(
                f"Kết quả: {errors} lỗi ({repaired} đã sửa), {warnings} cảnh báo"
                + ("." if self.ok else " — cần xử lý.")
            )
        return "\n".join(lines)


@dataclass
class _Run:
    stores: Sequence[ObjectStore]
    findings: list[AuditFinding] = field(default_factory=list)
    objects_checked: int = 0
    bytes_read: int = 0

    def add(
        self,
        code: AuditCode,
        store: ObjectStore,
        key: str,
        message: str,
        *,
        expected: str | None = None,
        actual: str | None = None,
    ) -> None:
        self.findings.append(AuditFinding(code, store.name, key, message, expected, actual))


def audit(
    primary: ObjectStore,
    secondary: ObjectStore | None = None,
    *,
    now: datetime,
    sample: int | None = None,
    older_than: timedelta | None = None,
    last_checked: Mapping[str, datetime] | None = None,
    repair: bool = False,
    seed: int | None = None,
) -> AuditReport:
    """Audit the packages of ``primary`` (and their copies in ``secondary``).

    ``older_than`` keeps packages whose last check (``last_checked[index key]``, else their
    archive time) is at least that old; ``sample`` then picks that many at random, reproducibly
    for a given ``seed`` (default: derived from ``now``). Unexpected objects are looked for in
    every run, sampled or not: listing is cheap, reading is not.
    """
    stores = [primary] if secondary is None else [primary, secondary]
    run = _Run(stores)
    now = utc_seconds(now)
    references = _reference_entries(run, stores)

    selected = sorted(references, key=lambda pair: pair[0].key)
    selection = "tất cả"
    if older_than is not None:
        seen = last_checked or {}
        cutoff = now - older_than
        selected = [p for p in selected if seen.get(p[0].key, p[0].archived_at) <= cutoff]
        selection = f"chưa kiểm tra trong {older_than.days} ngày"
    if sample is not None and sample < len(selected):
        rng = random.Random(seed if seed is not None else int(now.timestamp()))
        selected = sorted(rng.sample(selected, sample), key=lambda pair: pair[0].key)
        selection = f"ngẫu nhiên {sample} gói, " + selection

    audited = []
    for entry, raw_sha256 in selected:
        before = len(run.findings)
        good = _check_package(run, entry, raw_sha256)
        if repair:
            _repair(run, entry, raw_sha256, good, before)
        ok = all(f.repaired for f in run.findings[before:])
        audited.append(AuditedPackage(entry.key, entry.document_id, entry.document_version, ok))

    _find_unexpected(run, [entry for entry, _ in references])
    return AuditReport(
        checked_at=now,
        stores=tuple(s.name for s in stores),
        selection=selection,
        packages=tuple(audited),
        objects_checked=run.objects_checked,
        bytes_read=run.bytes_read,
        findings=tuple(run.findings),
    )


def _reference_entries(run: _Run, stores: Sequence[ObjectStore]) -> list[tuple[IndexEntry, str]]:
    """Per document, the longest clean hash chain among the stores (the primary on a tie)."""
    documents = sorted({d for store in stores for d in indexed_documents(store)})
    references: list[tuple[IndexEntry, str]] = []
    for document_id in documents:
        chains: list[IndexChain] = [read_chain(store, document_id) for store in stores]
        clean = [c for c in chains if not c.problems]
        if clean:
            best = max(clean, key=lambda c: len(c.entries))  # max keeps the first on a tie
        else:
            best = chains[0]
            for store, chain in zip(stores, chains, strict=True):
                for key, problem in chain.problems:
                    run.add(AuditCode.INDEX_DAMAGED, store, key, problem)
        references += list(zip(best.entries, best.raw_sha256, strict=True))
    return references


def _check_package(run: _Run, entry: IndexEntry, raw_sha256: str) -> dict[str, bytes]:
    """Check every object of one package in every store; return verified bytes by key."""
    good: dict[str, bytes] = {}
    items = [(entry.object_key(f.path), f.sha256, f.sha512) for f in entry.files]
    for key, sha256, sha512 in [*items, (entry.key, raw_sha256, None)]:
        for store in run.stores:
            data = _check_object(run, store, key, sha256, sha512, entry.retention)
            if data is not None:
                good.setdefault(key, data)
    files = {
        f.path: good[entry.object_key(f.path)]
        for f in entry.files
        if entry.object_key(f.path) in good
    }
    if len(files) == len(entry.files):
        package = ArchivalPackage(
            entry.document_id, entry.document_version, dict(sorted(files.items()))
        )
        report: BagReport = validate_package(package)
        problems = [f"{f.path}: {f.message}" for f in report.findings]
        if package.bag_id != entry.bag_id:
            problems.append(f"mã gói {package.bag_id} khác mã trong chỉ mục {entry.bag_id}")
        if problems:
            run.add(AuditCode.BAG_INVALID, run.stores[0], entry.prefix, "; ".join(problems))
    return good


def _check_object(
    run: _Run,
    store: ObjectStore,
    key: str,
    sha256: str,
    sha512: str | None,
    retention: Retention,
) -> bytes | None:
    run.objects_checked += 1
    try:
        stored = store.get(key, expected_sha256=sha256)
    except NotFound:
        run.add(AuditCode.MISSING, store, key, "chỉ mục có ghi nhưng kho không có", expected=sha256)
        return None
    except IntegrityError as exc:
        run.add(AuditCode.CORRUPT, store, key, exc.what, expected=exc.expected, actual=exc.actual)
        return None
    except StoreFailure:
        raise
    except ArchiveError as exc:
        run.add(AuditCode.CORRUPT, store, key, exc.message, expected=sha256)
        return None
    run.bytes_read += len(stored.data)
    if sha512 is not None and sha512_hex(stored.data) != sha512:
        actual = sha512_hex(stored.data)
        run.add(AuditCode.CORRUPT, store, key, "sha512", expected=sha512, actual=actual)
        return None
    lock = stored.info.retention
    if lock is None or not lock.at_least(retention):
        run.add(
            AuditCode.RETENTION_WEAK,
            store,
            key,
            "khóa lưu giữ yếu hơn mức chỉ mục yêu cầu",
            expected=str(retention.to_json()),
            actual=str(lock.to_json()) if lock else "không có khóa",
        )
    return stored.data


def _repair(
    run: _Run, entry: IndexEntry, raw_sha256: str, good: Mapping[str, bytes], first: int
) -> None:
    """Restore what this package's findings name, from the copy that verified."""
    by_name = {store.name: store for store in run.stores}
    expected = {entry.object_key(f.path): f.sha256 for f in entry.files}
    expected[entry.key] = raw_sha256
    pending = sorted(
        range(first, len(run.findings)),
        key=lambda i: run.findings[i].key.startswith(INDEX_PREFIX),  # package files first
    )
    for i in pending:
        finding = run.findings[i]
        store = by_name[finding.store]
        try:
            if finding.code in (AuditCode.MISSING, AuditCode.CORRUPT):
                if finding.key not in good:
                    note = "không có bản sao tốt để khôi phục"
                    run.findings[i] = replace(finding, message=f"{finding.message} ({note})")
                    continue
                data = good[finding.key]
                store.restore(
                    finding.key,
                    data,
                    expected_sha256=expected[finding.key],
                    retention=entry.retention,
                )
            elif finding.code is AuditCode.RETENTION_WEAK:
                info = store.extend_retention(finding.key, entry.retention.retain_until)
                if entry.retention.legal_hold and not info.legal_hold:
                    store.place_legal_hold(finding.key)
            else:
                continue
        except StoreFailure:
            raise
        except ArchiveError as exc:
            note = f"sửa không được: {exc.message}"
            run.findings[i] = replace(finding, message=f"{finding.message} ({note})")
            continue
        run.findings[i] = replace(finding, repaired=True)


AUDIT_ANCHOR_PREFIX = "audit/"  # RFC 3161 anchors of the audit log (service/audit_anchor.py)


def _find_unexpected(run: _Run, entries: Sequence[IndexEntry]) -> None:
    expected = {entry.key for entry in entries}
    expected |= {entry.object_key(f.path) for entry in entries for f in entry.files}
    for store in run.stores:
        orphans: dict[str, int] = {}
        for listed in store.list_objects():
            if listed.key in expected or listed.key.startswith(AUDIT_ANCHOR_PREFIX):
                continue  # audit-log anchors are checked by «hsdt audit verify»
            folder = _package_folder(listed.key)
            if folder is not None:
                orphans[folder] = orphans.get(folder, 0) + 1
            else:
                run.add(AuditCode.UNEXPECTED, store, listed.key, "không thuộc gói lưu trữ nào")
        for folder, count in sorted(orphans.items()):
            run.add(
                AuditCode.ORPHAN,
                store,
                folder,
                f"{count} đối tượng của một gói chưa vào chỉ mục (một lần lưu trữ bị gián đoạn); "
                "chúng bị khóa đến hết hạn lưu giữ, không ảnh hưởng hồ sơ đã lưu trữ",
            )


def _package_folder(key: str) -> str | None:
    """``packages/<doc>/v<NNNN>/<bag id>/`` for a key inside one, else None."""
    parts = key.split("/")
    if (
        len(parts) >= 5
        and key.startswith(PACKAGE_PREFIX)
        and parts[2].startswith("v")
        and len(parts[3]) == 64
    ):
        return "/".join(parts[:4]) + "/"
    return None
