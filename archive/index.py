"""The package index: append-only and hash-chained, so nothing in it is ever overwritten.

Each archived version of a document adds one immutable object ``index/<document_id>/<seq>.json``
(seq = 000001, 000002, … in archive order). An entry names its package (prefix and bag id), lists
every object of the package with size, SHA-256 and SHA-512, records the retention asked for, and
points to its predecessor by key and SHA-256. The entry is written *after* every object of its
package: an interrupted archive run never shows an incomplete package as archived.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.errors import ArchiveError, PackageError, StoreFailure
from archive.integrity import sha256_hex
from archive.provenance import canonical_json
from archive.retention import Retention
from archive.store import ObjectStore, check_key

INDEX_PREFIX = "index/"
PACKAGE_PREFIX = "packages/"
INDEX_FORMAT = "hsdt-archive-index/1"
_INDEX_KEY = re.compile(r"index/([^/]+)/(\d{6})\.json\Z")


def index_key(document_id: str, sequence: int) -> str:
    return check_key(f"{INDEX_PREFIX}{document_id}/{sequence:06d}.json")


def parse_index_key(key: str) -> tuple[str, int] | None:
    match = _INDEX_KEY.match(key)
    return (match.group(1), int(match.group(2))) if match else None


@dataclass(frozen=True)
class IndexedFile:
    path: str  # inside the bag, e.g. "data/record.pdf"
    size: int
    sha256: str
    sha512: str


@dataclass(frozen=True)
class IndexEntry:
    document_id: str
    sequence: int
    document_version: int
    archived_at: datetime
    bag_id: str  # SHA-256 of the bag's tagmanifest-sha256.txt
    prefix: str  # where the bag's objects are, ending in "/"
    files: tuple[IndexedFile, ...]
    retention: Retention
    previous_key: str | None
    previous_sha256: str | None

    @property
    def key(self) -> str:
        return index_key(self.document_id, self.sequence)

    def object_key(self, path: str) -> str:
        return self.prefix + path

    def to_bytes(self) -> bytes:
        return canonical_json(
            {
                "format": INDEX_FORMAT,
                "document_id": self.document_id,
                "sequence": self.sequence,
                "document_version": self.document_version,
                "archived_at": self.archived_at.isoformat().replace("+00:00", "Z"),
                "bag": {
                    "id": self.bag_id,
                    "prefix": self.prefix,
                    "files": [
                        {"path": f.path, "size": f.size, "sha256": f.sha256, "sha512": f.sha512}
                        for f in self.files
                    ],
                },
                "retention": self.retention.to_json(),
                "previous": (
                    {"key": self.previous_key, "sha256": self.previous_sha256}
                    if self.previous_key
                    else None
                ),
            }
        )

    @staticmethod
    def from_bytes(raw: bytes, *, key: str) -> IndexEntry:
        try:
            doc: dict[str, Any] = json.loads(raw)
            if doc.get("format") != INDEX_FORMAT:
                raise ValueError(f"unknown format {doc.get('format')!r}")
            previous = doc["previous"]
            entry = IndexEntry(
                document_id=str(doc["document_id"]),
                sequence=int(doc["sequence"]),
                document_version=int(doc["document_version"]),
                archived_at=datetime.fromisoformat(str(doc["archived_at"]).replace("Z", "+00:00")),
                bag_id=str(doc["bag"]["id"]),
                prefix=str(doc["bag"]["prefix"]),
                files=tuple(
                    IndexedFile(str(f["path"]), int(f["size"]), str(f["sha256"]), str(f["sha512"]))
                    for f in doc["bag"]["files"]
                ),
                retention=Retention.from_json(doc["retention"]),
                previous_key=str(previous["key"]) if previous else None,
                previous_sha256=str(previous["sha256"]) if previous else None,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise PackageError(
                f"không đọc được mục chỉ mục {key} ({exc}).",
                hint="Chạy «hsdt archive audit --repair» để khôi phục từ bản sao thứ hai.",
            ) from exc
        if entry.key != key:
            raise PackageError(f"mục chỉ mục {key} lại mô tả {entry.key}.")
        return entry


@dataclass(frozen=True)
class IndexChain:
    """The index of one document as read from one store, with what is wrong with it."""

    document_id: str
    entries: tuple[IndexEntry, ...]
    raw_sha256: tuple[str, ...]  # SHA-256 of each entry's bytes, as stored
    problems: tuple[tuple[str, str], ...]  # (key, what is wrong)

    @property
    def latest(self) -> IndexEntry | None:
        return self.entries[-1] if self.entries else None


def chain_problems(
    entries: Sequence[IndexEntry], raw_sha256: Sequence[str]
) -> list[tuple[str, str]]:
    """Sequences 1..n without gaps, each entry linked to the exact bytes of its predecessor,
    document versions strictly increasing."""
    problems: list[tuple[str, str]] = []
    for n, entry in enumerate(entries):
        if entry.sequence != n + 1:
            problems.append((entry.key, f"số thứ tự {entry.sequence}, đáng lẽ là {n + 1}"))
            continue
        if n == 0:
            if entry.previous_key is not None:
                problems.append((entry.key, "mục đầu tiên lại trỏ tới một mục trước nó"))
            continue
        before = entries[n - 1]
        if entry.previous_key != before.key or entry.previous_sha256 != raw_sha256[n - 1]:
            problems.append(
                (
                    entry.key,
                    f"không liên kết đúng với {before.key} (sha256 đang lưu {raw_sha256[n - 1]}, "
                    f"liên kết ghi {entry.previous_sha256})",
                )
            )
        if entry.document_version <= before.document_version:
            problems.append(
                (
                    entry.key,
                    f"phiên bản {entry.document_version} lại đứng sau phiên bản "
                    f"{before.document_version}",
                )
            )
    return problems


def read_chain(store: ObjectStore, document_id: str) -> IndexChain:
    """Read and check one document's index. Store outages raise; damage is reported."""
    entries: list[IndexEntry] = []
    hashes: list[str] = []
    problems: list[tuple[str, str]] = []
    for listed in store.list_objects(f"{INDEX_PREFIX}{check_key(document_id)}/"):
        if parse_index_key(listed.key) is None:
            problems.append((listed.key, "không phải mục chỉ mục"))
            continue
        try:
            raw = store.get(listed.key).data
            entries.append(IndexEntry.from_bytes(raw, key=listed.key))
            hashes.append(sha256_hex(raw))
        except StoreFailure:
            raise
        except ArchiveError as exc:
            problems.append((listed.key, exc.message))
    problems.extend(chain_problems(entries, hashes))
    return IndexChain(document_id, tuple(entries), tuple(hashes), tuple(problems))


def indexed_documents(store: ObjectStore) -> list[str]:
    """Every document id with at least one index object, sorted."""
    ids = {
        parsed[0]
        for listed in store.list_objects(INDEX_PREFIX)
        if (parsed := parse_index_key(listed.key)) is not None
    }
    return sorted(ids)
