"""Audit log: append throughput against the bare insert it replaced, and verification time.

    .venv/bin/python -m bench.audit_bench [--entries 2000] [--verify 10000] [--rounds 3]
        [--postgres URL] [--out bench/out/audit.json]

Append: one entry per transaction (as the use cases record them) through ``Context.record_event``
against the anchor, the pre-audit-log ``record_event`` (an ``EventRow`` insert, no chain), in the
same database, interleaved round by round; also 4 threads at once, and 100 entries per
transaction. Verify: ``verify_audit_log`` over a log of ``--verify`` entries with one anchor
(no TSA call: the anchor's token is checked, which is part of the measured time). SQLite always;
PostgreSQL when a server answers at ``--postgres`` (default: $HSDT_TEST_POSTGRES or the local one).
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from service.audit_anchor import anchor_log
from service.audit_verify import verify_audit_log
from service.context import Context
from service.db.models import EventRow
from signing.devpki import create_dev_pki

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = os.environ.get(
    "HSDT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def database(kind: str, tmp: Path, admin_url: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        return
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"hsdt_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def home(url: str, tmp: Path) -> Iterator[Context]:
    os.environ["HSDT_DATABASE_URL"] = url
    root = tmp / f"home-{uuid.uuid4().hex[:8]}"
    ctx = Context.open(root)
    try:
        yield ctx
    finally:
        ctx.close()
        os.environ.pop("HSDT_DATABASE_URL", None)
        shutil.rmtree(root, ignore_errors=True)


def chained(ctx: Context, n: int) -> None:
    for i in range(n):
        with ctx.sessions.begin() as s:
            ctx.record_event(s, "bench.append", f"HB-{i:05d}", version=1, field="gvcn")


def bare(ctx: Context, n: int) -> None:
    """What record_event did before the audit log: one ORM insert, nothing else."""
    for i in range(n):
        with ctx.sessions.begin() as s:
            s.add(
                EventRow(
                    at=ctx.clock.now(),
                    actor=ctx.actor,
                    action="bench.bare",
                    subject=f"HB-{i:05d}",
                    detail='{"field":"gvcn","version":1}',
                )
            )


def batched(ctx: Context, n: int, per: int = 100) -> None:
    for b in range(n // per):
        with ctx.sessions.begin() as s:
            for i in range(per):
                ctx.record_event(s, "bench.batch", f"HB-{b}-{i}", version=1)


def threaded(ctx: Context, n: int, threads: int = 4) -> None:
    def work() -> None:
        chained(ctx, n // threads)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def rate(n: int, run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return n / (time.perf_counter() - started)


def bench_append(kind: str, url: str, tmp: Path, entries: int, rounds: int) -> dict[str, Any]:
    samples: dict[str, list[float]] = {}
    with home(url, tmp) as ctx:
        for r in range(rounds):
            contenders = [
                ("bare insert (before), 1 per tx", lambda: bare(ctx, entries)),
                ("chained record_event, 1 per tx", lambda: chained(ctx, entries)),
            ]
            if r % 2:
                contenders.reverse()  # neither always runs on a warmer cache
            for name, run in contenders:
                samples.setdefault(name, []).append(rate(entries, run))
            samples.setdefault("chained, 4 threads, 1 per tx", []).append(
                rate(entries, lambda: threaded(ctx, entries))
            )
            samples.setdefault("chained, 100 per tx", []).append(
                rate(entries, lambda: batched(ctx, entries))
            )
        with ctx.engine.begin() as c:  # the anchor's rows are unchained, and verify says so
            c.execute(text("DELETE FROM events WHERE seq IS NULL"))
        report = verify_audit_log(ctx)
        assert report.ok, report.findings  # the benchmark's own log must stay intact
    medians = {k: round(statistics.median(v)) for k, v in samples.items()}
    return {
        "entries_per_second": medians,
        "ratio_chained_vs_bare": round(
            medians["chained record_event, 1 per tx"] / medians["bare insert (before), 1 per tx"],
            3,
        ),
    }


def bench_verify(url: str, tmp: Path, size: int, rounds: int) -> dict[str, Any]:
    with home(url, tmp) as ctx:
        create_dev_pki(ctx.home.pki_dir, [])
        batched(ctx, size, per=500)
        anchor_log(ctx)  # one anchor at the head: its token check is part of verify
        seconds = []
        for _ in range(rounds):
            started = time.perf_counter()
            report = verify_audit_log(ctx)
            seconds.append(time.perf_counter() - started)
            assert report.ok and report.entries == size, report.findings
    return {"entries": size, "verify_seconds_median": round(statistics.median(seconds), 3)}


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="bench.audit_bench")
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--verify", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "audit.json")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp_name:
        tmp = Path(tmp_name)
        for kind in ("sqlite", "postgresql"):
            try:
                with database(kind, tmp, args.postgres) as url:
                    results[kind] = bench_append(kind, url, tmp, args.entries, args.rounds)
                with database(kind, tmp, args.postgres) as url:
                    results[kind]["verify"] = bench_verify(url, tmp, args.verify, args.rounds)
            except OperationalError as exc:
                results[kind] = {"skipped": f"not reachable: {exc.orig}"}
    sqlite = results.get("sqlite", {})
    if "ratio_chained_vs_bare" in sqlite:
        results["ratio_chained_vs_bare_sqlite"] = sqlite["ratio_chained_vs_bare"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
