"""The second copy: packages replicated to another bucket, endpoint or directory, both verified.

Replication follows the index, package by package: every object of a package is read from the
source (verified against the index's SHA-256 and SHA-512), written create-only to the target
(which reads it back), or, when the target already has it, read there and checked as well. The
index entry is copied last and byte for byte, so the target's hash chain is the source's. Objects
no index entry names (left by an interrupted run) are never replicated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from archive.errors import ArchiveError, IntegrityError, NotFound, StoreFailure
from archive.index import IndexEntry, indexed_documents, read_chain
from archive.integrity import sha512_hex
from archive.package import content_type
from archive.retention import Retention
from archive.store import ObjectStore


@dataclass(frozen=True)
class ReplicationFailure:
    key: str
    message: str


@dataclass(frozen=True)
class ReplicationReport:
    source: str
    target: str
    copied: tuple[str, ...]  # written to the target in this run
    verified: tuple[str, ...]  # already on the target, read back and matched
    failures: tuple[ReplicationFailure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "target": self.target,
            "ok": self.ok,
            "copied": list(self.copied),
            "verified": list(self.verified),
            "failures": [{"key": f.key, "message": f.message} for f in self.failures],
        }


def replicate(
    source: ObjectStore, target: ObjectStore, *, document_ids: Iterable[str] | None = None
) -> ReplicationReport:
    """Bring ``target`` up to ``source`` for the given documents (default: all indexed ones).

    A damaged package is reported and skipped; the others are still copied. A store that cannot
    be used at all (StoreFailure) stops the run.
    """
    copied: list[str] = []
    verified: list[str] = []
    failures: list[ReplicationFailure] = []
    for document_id in document_ids if document_ids is not None else indexed_documents(source):
        chain = read_chain(source, document_id)
        if chain.problems:
            failures += [ReplicationFailure(k, m) for k, m in chain.problems]
            continue
        for entry, raw_sha256 in zip(chain.entries, chain.raw_sha256, strict=True):
            try:
                done = _replicate_entry(source, target, entry, raw_sha256)
            except StoreFailure:
                raise
            except ArchiveError as exc:
                failures.append(ReplicationFailure(getattr(exc, "key", entry.key), exc.message))
                break  # later entries chain onto this one: copying them would break the chain
            copied += done[0]
            verified += done[1]
    return ReplicationReport(
        source.name, target.name, tuple(copied), tuple(verified), tuple(failures)
    )


def replicate_package(
    source: ObjectStore, target: ObjectStore, entry: IndexEntry
) -> ReplicationReport:
    """Copy one freshly archived package (and every earlier entry the target lacks)."""
    return replicate(source, target, document_ids=[entry.document_id])


def _replicate_entry(
    source: ObjectStore, target: ObjectStore, entry: IndexEntry, raw_sha256: str
) -> tuple[list[str], list[str]]:
    copied: list[str] = []
    verified: list[str] = []
    items = [(entry.object_key(f.path), f.sha256, f.sha512) for f in entry.files]
    for key, sha256, sha512 in [*items, (entry.key, raw_sha256, None)]:  # the index entry last
        if _copy_one(source, target, key, sha256, sha512, entry.retention):
            copied.append(key)
        else:
            verified.append(key)
    return copied, verified


def _copy_one(
    source: ObjectStore,
    target: ObjectStore,
    key: str,
    sha256: str,
    sha512: str | None,
    retention: Retention,
) -> bool:
    """True when copied, False when the target already had a verified copy."""
    try:
        target.get(key, expected_sha256=sha256)  # a damaged copy raises IntegrityError
        return False
    except NotFound:
        pass
    original = source.get(key, expected_sha256=sha256)
    if sha512 is not None and sha512_hex(original.data) != sha512:
        raise IntegrityError(
            source.name, key, expected=sha512, actual=sha512_hex(original.data), what="sha512"
        )
    lock = original.info.retention
    if lock is not None and lock.at_least(retention):
        retention = Retention(lock.retain_until, lock.legal_hold)  # extended or held since
    target.put(key, original.data, retention=retention, content_type=content_type(key))
    return True
