"""Archive throughput: our adapters against bare loops, same run, same machine.

    .venv/bin/python bench/archive_throughput.py [N]
Local: LocalObjectStore.put vs a bare write+fsync+rename loop in the same directory tree.
S3 (moto over HTTP on 127.0.0.1): S3ObjectStore.put vs a bare boto3 put_object loop, same client.
"""

from __future__ import annotations

import logging
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from archive.config import S3Config
from archive.local_store import LocalObjectStore
from archive.package import PackageInput, archive_package, build_package
from archive.provenance import EventType, ProvenanceEvent
from archive.retention import Retention
from archive.s3_store import S3ObjectStore, create_bucket

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100
SIZE = 100_000
ROUNDS = 3
RET = Retention(datetime.now(UTC) + timedelta(days=36500))


def rate(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return N / (time.perf_counter() - t)


def bare_local(root: Path, data: bytes) -> None:
    root.mkdir(parents=True)
    for i in range(N):
        path = root / f"o{i}"
        tmp = root / f".o{i}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


def _package(document_id: str, pad: bytes) -> PackageInput:
    at = datetime(2026, 6, 30, tzinfo=UTC)
    return PackageInput(
        document_id=document_id,
        version=1,
        pdf=b"%PDF-1.7\n" + pad,
        canonical_json=b'{"hoc_sinh": "Giang Thi Mai"}',
        verification_report={"bottom_line": True},
        events=[ProvenanceEvent(EventType.SIGNED, at, "Trần Thị Hoa", "Hiệu trưởng")],
        archived_at=at,
        archived_by="Lò Văn Pếnh",
        organization="Trường PTDTBT TH và THCS Bản Xèo",
    )


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    data = os.urandom(SIZE)
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        for r in range(ROUNDS):
            store = LocalObjectStore(Path(tmp) / f"store{r}")
            results.setdefault("local bare write+fsync+rename", []).append(
                rate(lambda: bare_local(Path(tmp) / f"bare{r}", data))
            )
            results.setdefault("local LocalObjectStore.put", []).append(
                rate(lambda: [store.put(f"k/o{i}", data, retention=RET) for i in range(N)])
            )
            results.setdefault("local LocalObjectStore.get", []).append(
                rate(lambda: [store.get(f"k/o{i}") for i in range(N)])
            )

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        session = boto3.Session(
            aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1"
        )
        for _round in range(ROUNDS):
            config = S3Config(
                f"bench-{uuid.uuid4().hex[:8]}", f"http://127.0.0.1:{port}", "us-east-1", True
            )
            create_bucket(config, session=session)
            s3 = S3ObjectStore.connect(config, session=session)
            client = s3.client
            results.setdefault("moto bare boto3 put_object", []).append(
                rate(
                    lambda: [
                        client.put_object(Bucket=config.bucket, Key=f"bare/o{i}", Body=data)
                        for i in range(N)
                    ]
                )
            )
            results.setdefault("moto S3ObjectStore.put", []).append(
                rate(lambda: [s3.put(f"k/o{i}", data, retention=RET) for i in range(N)])
            )
            results.setdefault("moto S3ObjectStore.get", []).append(
                rate(lambda: [s3.get(f"k/o{i}") for i in range(N)])
            )
        # whole packages: a 55 KB PDF, its JSON, a report, provenance, 6 tag files, an index entry
        pad = os.urandom(55_000)
        pkgs = [build_package(_package(f"HB-1-2025-HS{i:04d}", pad)) for i in range(20)]
        with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
            local = LocalObjectStore(Path(tmp))
            t = time.perf_counter()
            for p in pkgs:
                archive_package(local, p, retention=RET)
            results["local packages/s"] = [len(pkgs) / (time.perf_counter() - t)]
        config = S3Config(
            f"bench-{uuid.uuid4().hex[:8]}", f"http://127.0.0.1:{port}", "us-east-1", True
        )
        create_bucket(config, session=session)
        s3 = S3ObjectStore.connect(config, session=session)
        t = time.perf_counter()
        for p in pkgs:
            archive_package(s3, p, retention=RET)
        results["moto packages/s"] = [len(pkgs) / (time.perf_counter() - t)]
    finally:
        server.stop()

    print(f"{N} objects of {SIZE // 1000} KB, median of {ROUNDS} rounds (objects/s):")
    for name, values in results.items():
        runs = ", ".join(f"{v:.0f}" for v in values)
        print(f"  {name:34s} {statistics.median(values):8.1f}   (runs: {runs})")
    lb = statistics.median(results["local bare write+fsync+rename"])
    lp = statistics.median(results["local LocalObjectStore.put"])
    mb = statistics.median(results["moto bare boto3 put_object"])
    mp = statistics.median(results["moto S3ObjectStore.put"])
    print(f"  ratio local put / bare: {lp / lb:.2f}   ratio moto put / bare boto3: {mp / mb:.2f}")


if __name__ == "__main__":
    main()
