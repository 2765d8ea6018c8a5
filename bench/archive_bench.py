"""Archive throughput: packages archived per second to S3 (moto over HTTP) vs a bare boto3 loop.

    .venv/bin/python -m bench.archive_bench [--packages 20] [--rounds 5] [--workers N]
                                            [--rtt-ms MS] [--out bench/out/archive.json]

Three contenders, interleaved package by package (who goes first rotates), each writing into its
own fresh Object Lock bucket per round on the same moto server, through the same boto3 client
(``archive.s3_store.make_client``: one client configuration for all three):

  bare        the anchor: a sequential loop of plain ``put_object`` calls with the same keys and
              the same bytes as one package (its bag files and its index entry)
  ours        ``archive_package``: read the index chain, upload the bag files (conditional,
              SHA-256 + Content-MD5, COMPLIANCE lock) ``upload_workers`` at a time, each read back
              by version id and compared, then the index entry, also read back
  sequential  the same with ``upload_workers=1``: what ``archive_package`` did before parallel
              uploads, measured in the same run

The packages are real: học bạ THCS of the sample school, each with its own canonical JSON, title
and provenance; the PDF is one of them rendered and signed with its whole plan (every slot at
B-LT, then the document timestamp) through the development PKI, and the verification report is
``verify_pdf`` of it. Signing and verifying happen once, at start-up, and are not measured; the
archive treats the PDF as opaque bytes, so every package carries the same signed PDF.

Each timed call also records this process's CPU (every thread) and the server process's CPU:
wall times on a shared machine swing with its load, CPU per package much less, and the two
together say where the time goes. Requests per package are counted once, on the wire.
``--rtt-ms`` holds every request (all contenders alike) before it is sent, to model a provider
across a network; the default, 0, is the loopback worst case where only CPU counts.

The moto server runs in its own process (``python -m moto.server``): in this process its werkzeug
threads would compete with the benchmark's for the GIL. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import boto3

from archive.config import S3Config
from archive.package import (
    ArchivalPackage,
    PackageInput,
    archive_package,
    build_package,
)
from archive.provenance import EventType, ProvenanceEvent
from archive.retention import Retention, RetentionPolicy
from archive.s3_store import UPLOAD_WORKERS, S3ObjectStore, create_bucket, make_client
from records.canonical import canonical_json
from records.documents import RecordDocument, RecordType, all_documents
from records.sample import generate_school
from records.slots import SignatureSlot, SignerRole
from render import render_document
from service.archiving_ingest import describe_record
from signing.backends import load_pkcs12_signer
from signing.devpki import DevPki, PersonSpec, create_dev_pki, serve_dev_pki
from signing.ltv import async_add_document_timestamp
from signing.pades import FieldLocks, SigningServices, async_sign_slot
from signing.plans import default_slots
from signing.verify import verify_pdf

VERIFY_URL = "https://hocba.example.edu.vn/xac-minh"
REGION = "us-east-1"
CONTENDERS = ("ours", "sequential", "bare")
ARCHIVED_BY = "Lò Văn Pếnh"

# ------------------------------------------------------------------ the workload


@dataclass(frozen=True)
class Workload:
    packages: list[ArchivalPackage]
    pdf_bytes: int
    signatures: int
    timestamps: int


def _sign_with_plan(pdf: bytes, slots: Sequence[SignatureSlot], pki: DevPki) -> bytes:
    async def run() -> bytes:
        signed = pdf
        async with SigningServices(tsa_url=pki.tsa_url, trust_roots=pki.trust_roots()) as net:
            for slot in slots:
                identity = pki.identity(str(slot.signer_id))
                signer = load_pkcs12_signer(identity.pkcs12_path, identity.passphrase)
                signed = await async_sign_slot(
                    signed,
                    field_name=slot.field_name,
                    signer=signer,
                    signer_name=slot.signer_name,
                    role_label=slot.label,
                    timestamper=net.timestamper,
                    validation_context=net.validation_context(signer.signing_cert),
                    level="B-LT",
                    field_locks=FieldLocks(slot.locks),
                )
            return await async_add_document_timestamp(
                signed, timestamper=net.timestamper, validation_context=net.validation_context()
            )

    return asyncio.run(run())


def _events(slots: Sequence[SignatureSlot], at: datetime) -> list[ProvenanceEvent]:
    """What the service derives from its events table: rendered, each signature, the timestamp,
    the verification at ingest."""
    rendered = at - timedelta(days=3)
    signed = [
        ProvenanceEvent(
            EventType.SIGNED,
            rendered + timedelta(hours=1 + n),
            slot.signer_name,
            slot.label,
            agent_id=str(slot.signer_id),
            detail=f"ô {slot.field_name}",
        )
        for n, slot in enumerate(slots)
    ]
    return [
        ProvenanceEvent(EventType.RENDERED, rendered, "hsdt", "Phần mềm kết xuất"),
        *signed,
        ProvenanceEvent(
            EventType.TIMESTAMPED, at - timedelta(days=1), "TSA", "Tổ chức cấp dấu thời gian"
        ),
        ProvenanceEvent(EventType.VERIFIED, at, "hsdt", "Phần mềm kiểm tra chữ ký số"),
    ]


def build_workload(count: int, archived_at: datetime) -> Workload:
    classes = 1 + count // 35  # a class of the sample school has ~35 students
    dataset = generate_school(seed=2026, primary_classes=0, secondary_classes=classes)
    docs: list[RecordDocument] = [
        d for d in all_documents(dataset) if d.record_type is RecordType.HOC_BA_TRUNG_HOC
    ][:count]
    first = docs[0]
    slots = default_slots(first)
    people = {
        str(s.signer_id): PersonSpec(
            str(s.signer_id),
            s.signer_name,
            "organisation" if s.role is SignerRole.SCHOOL_SEAL else "person",
            dataset.school.name,
        )
        for s in slots
    }
    rendered = render_document(first, slots, verify_url=VERIFY_URL).pdf
    with tempfile.TemporaryDirectory(prefix="hsdt-archive-bench-") as tmp:
        pki = create_dev_pki(Path(tmp) / "pki", list(people.values()))
        with serve_dev_pki(pki):  # only while signing: it is stopped before anything is timed
            pdf = _sign_with_plan(rendered, slots, pki)
            report = verify_pdf(pdf, trust_roots=pki.trust_roots(), demo_mode=True)
    if not report.bottom_line:
        raise RuntimeError("the signed record does not verify")
    packages = []
    for doc in docs:
        record = canonical_json(doc.payload)
        organization, title = describe_record(record)
        packages.append(
            build_package(
                PackageInput(
                    document_id=doc.document_id,
                    version=1,
                    pdf=pdf,
                    canonical_json=record,
                    verification_report=report.to_json(),
                    events=_events(default_slots(doc), archived_at),
                    archived_at=archived_at,
                    archived_by=ARCHIVED_BY,
                    organization=organization,
                    title=title,
                )
            )
        )
    return Workload(packages, len(pdf), len(report.signatures), len(report.timestamps))


# ------------------------------------------------------------------ the server and the stores


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class MotoProcess:
    endpoint: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU of the server so far, all its threads (Linux /proc; 10 ms ticks)."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def moto_server() -> Iterator[MotoProcess]:
    """``python -m moto.server`` in a child process (werkzeug, one thread per connection)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # one log line per request otherwise
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the moto server did not start")
            time.sleep(0.05)
        yield MotoProcess(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Server:
    moto: MotoProcess
    session: boto3.Session
    client: Any  # one client, shared by every contender

    def bucket(self, label: str) -> str:
        config = S3Config(f"bench-{label}-{uuid.uuid4().hex[:8]}", self.moto.endpoint, REGION, True)
        create_bucket(config, session=self.session)
        return config.bucket

    def store(self, label: str, workers: int) -> S3ObjectStore:
        config = S3Config(self.bucket(label), self.moto.endpoint, REGION, True)
        return S3ObjectStore(self.client, config, upload_workers=workers)


def connect(moto: MotoProcess, *, rtt_ms: float = 0.0) -> Server:
    """``rtt_ms`` > 0 holds every request that long before it leaves (every contender alike):
    a provider across a network instead of a server on the same machine."""
    session = boto3.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION
    )
    config = S3Config("unused", moto.endpoint, REGION, True)
    client = make_client(config, session=session)
    if rtt_ms > 0:
        client.meta.events.register("before-send.s3", partial(_delay, rtt_ms / 1000))
    return Server(moto, session, client)


def _delay(seconds: float, **_: Any) -> None:
    time.sleep(seconds)


# ------------------------------------------------------------------ the contenders


Objects = list[tuple[str, bytes]]


def bare_loop(client: Any, bucket: str, objects: Objects) -> None:
    for key, data in objects:
        client.put_object(Bucket=bucket, Key=key, Body=data)


@dataclass
class RequestCounter:
    """Requests a client sends, by operation (uploads may run in several threads)."""

    counts: Counter[str]
    lock: threading.Lock

    def __call__(self, event_name: str, **_: Any) -> None:
        with self.lock:
            self.counts[event_name.rsplit(".", 1)[-1]] += 1


@contextlib.contextmanager
def counting(client: Any) -> Iterator[Counter[str]]:
    counter = RequestCounter(Counter(), threading.Lock())
    client.meta.events.register("before-send.s3", counter)
    try:
        yield counter.counts
    finally:
        client.meta.events.unregister("before-send.s3", counter)


@dataclass(frozen=True)
class Sample:
    wall: float
    client_cpu: float  # this process, every thread
    server_cpu: float  # the moto process


def _sample(fn: Callable[[], object], moto: MotoProcess) -> Sample:
    server, client, start = moto.cpu_seconds(), time.process_time(), time.perf_counter()
    fn()
    wall = time.perf_counter() - start
    return Sample(wall, time.process_time() - client, moto.cpu_seconds() - server)


# ------------------------------------------------------------------ measuring


def measure(
    server: Server, work: Workload, retention: Retention, rounds: int, workers: int
) -> tuple[dict[str, list[list[Sample]]], dict[str, dict[str, int]]]:
    """Samples per contender, round and package; requests per package, per contender."""
    # Warm-up: every package once (not timed). Its index entries are exactly what each package
    # writes into a fresh bucket (sequence 1, no predecessor): the bare loop sends the same bytes.
    warm = server.store("warm", workers)
    entries = [archive_package(warm, p, retention=retention) for p in work.packages]
    objects: list[Objects] = [
        [(p.key(path), data) for path, data in p.files.items()] + [(e.key, e.to_bytes())]
        for p, e in zip(work.packages, entries, strict=True)
    ]

    requests: dict[str, dict[str, int]] = {}
    probe = work.packages[0]
    for name, store_workers in (("ours", workers), ("sequential", 1)):
        store = server.store(f"count-{name}", store_workers)
        with counting(server.client) as counts:
            archive_package(store, probe, retention=retention)
        requests[name] = dict(sorted(counts.items()))
    bare_bucket = server.bucket("count-bare")
    with counting(server.client) as counts:
        bare_loop(server.client, bare_bucket, objects[0])
    requests["bare"] = dict(counts)

    samples: dict[str, list[list[Sample]]] = {name: [] for name in CONTENDERS}
    for r in range(rounds):
        ours = server.store(f"ours{r}", workers)
        sequential = server.store(f"seq{r}", 1)
        bare = server.bucket(f"bare{r}")
        for name in CONTENDERS:
            samples[name].append([])
        for i, package in enumerate(work.packages):
            runs: list[tuple[str, Callable[[], object]]] = [
                ("ours", partial(archive_package, ours, package, retention=retention)),
                ("sequential", partial(archive_package, sequential, package, retention=retention)),
                ("bare", partial(bare_loop, server.client, bare, objects[i])),
            ]
            shift = (i + r) % len(runs)  # rotate who goes first
            for name, fn in runs[shift:] + runs[:shift]:
                samples[name][r].append(_sample(fn, server.moto))
    return samples, requests


def summarize(samples: dict[str, list[list[Sample]]], packages: int) -> dict[str, Any]:
    rate = {
        name: [packages / sum(s.wall for s in round_) for round_ in rounds]
        for name, rounds in samples.items()
    }
    out: dict[str, Any] = {}
    for name, rounds in samples.items():
        every = list(itertools.chain.from_iterable(rounds))
        out[name] = {
            "packages_per_s": round(statistics.median(rate[name]), 2),
            "packages_per_s_rounds": [round(x, 2) for x in rate[name]],
            "median_ms_per_package": round(statistics.median(s.wall for s in every) * 1000, 1),
            "cpu_ms_per_package": {
                "client": round(sum(s.client_cpu for s in every) / len(every) * 1000, 1),
                "server": round(sum(s.server_cpu for s in every) / len(every) * 1000, 1),
            },
            # this round's packages/s over the bare loop's in the same round
            "ratio_vs_bare_rounds": [
                round(o / b, 3) for o, b in zip(rate[name], rate["bare"], strict=True)
            ],
        }
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--packages", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=UPLOAD_WORKERS)
    parser.add_argument("--rtt-ms", type=float, default=0.0, help="network delay per request")
    parser.add_argument("--out", type=Path, default=Path("bench/out/archive.json"))
    args = parser.parse_args(argv)

    archived_at = datetime.now(UTC).replace(microsecond=0)
    setup_started = time.perf_counter()
    work = build_workload(args.packages, archived_at)
    setup_s = time.perf_counter() - setup_started
    retention = RetentionPolicy(years=100).retention_for(archived_at)
    load_before = os.getloadavg()[0]
    with moto_server() as moto:
        server = connect(moto, rtt_ms=args.rtt_ms)
        samples, requests = measure(server, work, retention, args.rounds, args.workers)
    load_after = os.getloadavg()[0]

    contenders = summarize(samples, len(work.packages))
    sizes = [sum(len(b) for b in p.files.values()) for p in work.packages]
    ratio = statistics.median(contenders["ours"]["ratio_vs_bare_rounds"])
    before = statistics.median(contenders["sequential"]["ratio_vs_bare_rounds"])
    result: dict[str, Any] = {
        "what": "archive_package of signed học bạ THCS to S3 (moto over HTTP, its own process) "
        "vs a bare sequential boto3 put_object loop of the same keys and bytes, same client",
        "packages": len(work.packages),
        "rounds": args.rounds,
        "objects_per_package": len(work.packages[0].files) + 1,
        "bytes_per_package_median": int(statistics.median(sizes)),
        "signed_pdf_bytes": work.pdf_bytes,
        "signatures_in_pdf": work.signatures,
        "document_timestamps_in_pdf": work.timestamps,
        "upload_workers": args.workers,
        "added_rtt_ms_per_request": args.rtt_ms,
        "ours_packages_per_s": contenders["ours"]["packages_per_s"],
        "bare_packages_per_s": contenders["bare"]["packages_per_s"],
        "sequential_packages_per_s": contenders["sequential"]["packages_per_s"],
        # median over rounds of (packages/s ÷ the bare loop's packages/s in the same round)
        "ratio_vs_boto3": round(ratio, 3),
        "ratio_sequential_vs_boto3": round(before, 3),
        "target_ratio": 0.8,
        "contenders": contenders,
        "requests_per_package": requests,
        "setup_s": round(setup_s, 1),
        "environment": {
            "server": "python -m moto.server in a separate process (werkzeug, threaded; it "
            "closes every connection), 127.0.0.1, in-memory",
            "client": "one boto3 client from archive.s3_store.make_client shared by all contenders",
            "python": platform.python_version(),
            "boto3": version("boto3"),
            "moto": version("moto"),
            "cores": os.cpu_count(),
            "load_1min_before": round(load_before, 2),
            "load_1min_after": round(load_after, 2),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return result


if __name__ == "__main__":
    main()
