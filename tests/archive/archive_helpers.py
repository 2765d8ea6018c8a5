"""Shared pieces of the archive tests: a movable clock, the store harness, sample packages."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archive.local_store import LocalObjectStore
from archive.package import PackageInput
from archive.provenance import EventType, ProvenanceEvent
from archive.s3_store import S3ObjectStore
from archive.store import ObjectStore

SCHOOL = "Trường PTDTBT TH và THCS Bản Xèo"


class MovableClock:
    """Starts at the real time (S3 servers judge retain-until dates by their own clock)."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


@dataclass
class StoreUnderTest:
    store: ObjectStore
    kind: str
    corrupt: Callable[[str, bytes], None]  # replace an object's bytes behind the store's back
    lose: Callable[[str], None]  # make an object disappear behind the store's back


def local_under_test(root: Path, clock: MovableClock) -> StoreUnderTest:
    store = LocalObjectStore(root, now=clock.now)

    def corrupt(key: str, data: bytes) -> None:
        path = root / key
        os.chmod(path, 0o644)
        path.write_bytes(data)

    def lose(key: str) -> None:
        (root / key).unlink()

    return StoreUnderTest(store, "local", corrupt, lose)


def s3_under_test(store: S3ObjectStore, raw_s3: Any) -> StoreUnderTest:
    bucket = store.bucket

    def corrupt(key: str, data: bytes) -> None:
        # Another tool writes a new version with the old metadata: the bytes change, the
        # recorded sha256 does not. The original version stays locked underneath.
        old = raw_s3.head_object(Bucket=bucket, Key=key)
        raw_s3.put_object(Bucket=bucket, Key=key, Body=data, Metadata=old.get("Metadata", {}))

    def lose(key: str) -> None:
        raw_s3.delete_object(Bucket=bucket, Key=key)  # a delete marker: allowed despite the lock

    return StoreUnderTest(store, "s3", corrupt, lose)


def minimal_pdf(text: str = "Học bạ") -> bytes:
    """A small, valid one-page PDF: the archive treats it as opaque bytes."""
    body = f"BT /F1 12 Tf 72 720 Td ({text.encode('ascii', 'replace').decode()}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


ARCHIVED_AT = datetime(2026, 6, 30, 9, 15, tzinfo=UTC)


def package_input(
    document_id: str = "HB-30112233-2025-HS0001",
    version: int = 1,
    *,
    student: str = "Giàng Thị Mai",
    archived_at: datetime = ARCHIVED_AT,
    note: str = "",
) -> PackageInput:
    signed = archived_at - timedelta(days=2)
    return PackageInput(
        document_id=document_id,
        version=version,
        pdf=minimal_pdf(f"{document_id} v{version} {note}"),
        canonical_json=(
            f'{{"document_id": "{document_id}", "hoc_sinh": "{student}", "ghi_chu": "{note}"}}\n'
        ).encode(),
        verification_report={"bottom_line": True, "signatures": [{"signer": "Trần Thị Hoa"}]},
        events=[
            ProvenanceEvent(EventType.SIGNED, signed, "Trần Thị Hoa", "Hiệu trưởng", "HT"),
            ProvenanceEvent(
                EventType.RENDERED, signed - timedelta(days=1), "hsdt", "software", "0.1.0"
            ),
            ProvenanceEvent(
                EventType.LOCKED, signed + timedelta(hours=1), "Lò Văn Pếnh", "Văn thư"
            ),
        ],
        archived_at=archived_at,
        archived_by="Lò Văn Pếnh",
        organization=SCHOOL,
        title=f"Học bạ THCS — {student} — 2025–2026",
    )
