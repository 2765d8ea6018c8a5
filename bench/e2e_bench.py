"""End-to-end school batch: import → confirm → render → full signing plan → lock → archive.

    .venv/bin/python -m bench.e2e_bench [--sizes 100,1000] [--workers 2] [--quick]
                                        [--out bench/out/e2e.json]

Each run is one school of about N records (rendered documents: học bạ, bảng tổng hợp, sổ theo
dõi) from ``records.sample.generate_school`` with as many primary and secondary classes as give
the nearest count (~85 documents per pair of classes), played through the service layer as the
demo does, in a fresh subprocess on a fresh home (SQLite, the local archive store in
``objects/``), so that its memory is its own:

  setup     dev PKI and the demo's accounts (not part of the batch's time)
  import    the school year (JSON) by the school admin
  confirm   every class by its homeroom teacher (service.lifecycle.confirm_class)
  render    service.rendering.render_dataset with W processes
  sign      service.demo_signing.sign_everything: W worker processes, each taking one class at
            a time through its whole plan (subject teachers, homeroom teacher, principal, the
            school seal on its SoftHSM2 token and the document timestamp, B-LTA), ``WORKERS`` = W
  lock      the school admin locks the year (service.locks.open_lock)
  archive   service.archiving.archive_signed: each document verified again, packaged and stored in
            the local store with its second copy, in W worker processes (``WORKERS`` = W)

Workers are forked processes replaced after a few tasks (service.worker_pool), so the parent only
hands out work.

Runs: every size with W workers, and the largest size once more with one worker (speed-up).
Memory, per run: the peak over time of the sum over the child and all its descendants, sampled
every 0.1 s from /proc/<pid>/smaps_rollup — of PSS (``peak_tree_pss_mb``: each page counted once,
what the machine must hold) and of RSS (``peak_tree_rss_mb``: counts the pages forked workers
still share with their parent once per process, an upper bound); and the largest single process
(``ru_maxrss`` of the child and of its largest reaped worker, from getrusage in the child; the
child's peak after each stage shows which stage raised it). Ratios: peak tree PSS of the largest
size ÷ the smallest (target ≤ 1.2; the RSS and main-process ratios are reported too) and batch
time with one worker ÷ with W on the largest size (target ≥ 1.7 with W = 2). CPU seconds and
cores used per stage (this process and its reaped workers) and load averages before and after
each run make a run on a shared machine visible. ``--quick`` (development): sizes 100 and 300.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PER_CLASS_PAIR = 85  # documents of one primary + one secondary class of the sample school
SEED = 2026
STAGE_FILE = "stage"  # the child writes the running stage here; the sampler reads it
LOCK_REASON = "Khoá sổ cuối năm học (đo hiệu năng)"


# ------------------------------------------------------------------------------ the child


def classes_for(records: int) -> tuple[int, int]:
    """(primary, secondary) classes whose documents come nearest to ``records``."""
    half = PER_CLASS_PAIR / 2
    best = min(
        ((p, s) for p in range(0, 41) for s in range(0, 41) if p + s and abs(p - s) <= 1),
        key=lambda ps: (abs((ps[0] + ps[1]) * half - records), -ps[0]),
    )
    return best


def run_child(records: int, workers: int, home: Path) -> dict[str, Any]:
    """The batch, in this process (a fresh one): per-stage seconds, counts and own memory."""
    import service.archiving
    import service.demo_signing
    from records.canonical import dataset_to_json
    from records.documents import all_documents
    from records.sample import generate_school
    from service.archiving import archive_signed
    from service.context import Context
    from service.demo_people import Person, ensure_people
    from service.demo_signing import sign_everything
    from service.files import write_atomic
    from service.importing import import_file
    from service.lifecycle import confirm_class
    from service.locks import LockScope, LockTerm, open_lock
    from service.rendering import render_dataset
    from service.signing import ensure_dev_pki

    def as_person(ctx: Context, person: Person) -> Context:
        return replace(ctx, actor=person.username)  # the audit trail names who did each step

    # W processes in every parallel stage (module settings read at call time)
    service.demo_signing.WORKERS = workers
    service.archiving.WORKERS = workers
    times: dict[str, float] = {}
    cpu: dict[str, float] = {}
    maxrss: dict[str, float] = {}
    cpu_mark = [_cpu_seconds()]

    stage_file = home.parent / STAGE_FILE

    def begin(name: str) -> float:
        """Names the stage now running, for the parent's memory sampler."""
        stage_file.write_text(name, encoding="utf-8")
        return time.perf_counter()

    def stage(name: str, started: float) -> None:
        """Wall and CPU seconds of a stage (CPU: this process and its workers, which every stage
        reaps before it returns), and this process's peak RSS so far (which stage raised it)."""
        times[name] = round(time.perf_counter() - started, 3)
        now = _cpu_seconds()
        cpu[name], cpu_mark[0] = round(now - cpu_mark[0], 2), now
        maxrss[name] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    start = begin("setup")
    primary, secondary = classes_for(records)
    ds = generate_school(seed=SEED, primary_classes=primary, secondary_classes=secondary)
    documents = sum(1 for _ in all_documents(ds))
    ctx = Context.open(home)
    try:
        sample = home / "samples" / f"{ds.school.code}-{ds.school_year}.json"
        write_atomic(sample, dataset_to_json(ds))
        pki = ensure_dev_pki(ctx, ds)
        people = ensure_people(ctx, ds, pki)
        admin, clerk = people.admin, people.clerk
        stage("setup", start)

        start = begin("import")
        imported = import_file(as_person(ctx, admin), sample)
        stage("import", start)

        start = begin("confirm")
        for c in ds.classes:
            homeroom = people.teacher(c.homeroom_teacher)
            confirm_class(
                as_person(ctx, homeroom),
                homeroom.principal,
                c.id,
                year=ds.school_year,
                school=ds.school.code,
            )
        stage("confirm", start)

        start = begin("render")
        rendered = render_dataset(
            as_person(ctx, admin),
            imported.dataset_id,
            ds,
            workers=workers,
            principal=admin.principal,
        )
        stage("render", start)

        start = begin("sign")
        signing = sign_everything(ctx, ds, people)
        stage("sign", start)

        start = begin("lock")
        window = open_lock(
            as_person(ctx, admin),
            admin.principal,
            LockScope(ds.province.code, ds.district.code, ds.school.code),
            year=ds.school_year,
            term=LockTerm.YEAR,
            reason=LOCK_REASON,
        )
        stage("lock", start)

        start = begin("archive")
        archived = archive_signed(as_person(ctx, clerk))
        stage("archive", start)
    finally:
        ctx.close()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "classes": {"primary": primary, "secondary": secondary},
        "documents": documents,
        "rendered": sum(rendered.rendered.values()),
        "pages": rendered.pages,
        "signatures": sum(signing.signatures.values()),
        "signatures_by_step": signing.signatures,
        "sign_seconds_by_step": {k: round(v, 2) for k, v in signing.timings.items()},
        "seal_backend": signing.seal_backend,
        "signed_documents": signing.signed_documents,
        "signing_problems": signing.problems[:5],
        "locked": window.documents,
        "archived": sum(1 for d in archived.documents if d.status.value == "archived"),
        "archive_ok": archived.ok,
        "seconds": times,
        "cpu_seconds": cpu,
        "cores_used": {k: round(cpu[k] / v, 2) for k, v in times.items() if v >= 0.5},
        "main_maxrss_mb_after": maxrss,
        "ru_maxrss_main_mb": round(own / 1024, 1),
        "ru_maxrss_largest_worker_mb": round(workers_max / 1024, 1),
    }


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# --------------------------------------------------------------------------- the parent


def _tree(root: int) -> list[int]:
    """``root`` and every descendant, from /proc (Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += parents.get(pid, [])
    return out


def _memory(pid: int) -> dict[str, int]:
    """Rss, Pss, Pss_Anon, Pss_File of a process in bytes (0 when gone); PSS shares pages a
    forked worker still has in common with its parent among them, so summed over a tree it
    counts each page once. Anon: heaps; File: mapped files (libraries, SQLite's shared memory)."""
    fields = dict.fromkeys(("Rss", "Pss", "Pss_Anon", "Pss_File"), 0)
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in fields:
                fields[name] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return fields


class TreeSampler(threading.Thread):
    """The largest sums of RSS and PSS over a process tree, sampled every ``interval`` s."""

    def __init__(self, root: int, stage_file: Path, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root, self.stage_file, self.interval = root, stage_file, interval
        self.peak_rss = self.peak_pss = self.peak_processes = 0
        self.pss_by_stage: dict[str, int] = {}  # which stage the peak is in
        self.peak_parts: list[dict[str, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            pids = _tree(self.root)
            sizes = [_memory(p) for p in pids]
            rss, pss = sum(s["Rss"] for s in sizes), sum(s["Pss"] for s in sizes)
            if rss > self.peak_rss:
                self.peak_rss, self.peak_processes = rss, len(pids)
            if pss > self.peak_pss:  # who holds what at the peak: the batch process first
                self.peak_pss = pss
                self.peak_parts = [
                    {k: round(v / 2**20, 1) for k, v in s.items() if k.startswith("Pss")}
                    for s in sizes
                ]
            try:
                name = self.stage_file.read_text(encoding="utf-8") or "start"
            except OSError:
                name = "start"
            self.pss_by_stage[name] = max(self.pss_by_stage.get(name, 0), pss)
            self.stop.wait(self.interval)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_once(records: int, workers: int) -> dict[str, Any]:
    """One batch in a fresh subprocess on a fresh home; its report plus what the parent saw."""
    with tempfile.TemporaryDirectory(prefix="hsdt-e2e-bench-") as tmp:
        result = Path(tmp) / "result.json"
        command = [
            sys.executable, "-m", "bench.e2e_bench", "--child",
            "--records", str(records), "--workers", str(workers),
            "--home", str(Path(tmp) / "home"), "--result", str(result),
        ]  # fmt: skip
        load_before = _load()
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT)
        sampler = TreeSampler(child.pid, Path(tmp) / STAGE_FILE)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        if child.returncode != 0:
            raise RuntimeError(f"e2e child (N={records}, W={workers}) exit {child.returncode}")
        data: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    seconds = data["seconds"]
    batch = round(sum(v for k, v in seconds.items() if k != "setup"), 3)
    docs = data["documents"]
    data.update(
        {
            "records_asked": records,
            "workers": workers,
            "batch_seconds": batch,
            "process_seconds": round(wall, 1),
            # of the whole tree: ~W on a quiet machine in the parallel stages, less when shared
            "cpu_seconds_total": round(usage.ru_utime + usage.ru_stime, 1),
            "docs_per_s": round(docs / batch, 2),
            "render_docs_per_s": round(docs / seconds["render"], 2),
            "sign_docs_per_s": round(docs / seconds["sign"], 2),
            "signatures_per_s": round(data["signatures"] / seconds["sign"], 1),
            "archive_docs_per_s": round(docs / seconds["archive"], 2),
            "peak_tree_rss_mb": round(sampler.peak_rss / 2**20, 1),
            "peak_tree_pss_mb": round(sampler.peak_pss / 2**20, 1),
            "peak_tree_processes": sampler.peak_processes,
            "peak_tree_pss_mb_by_process": sampler.peak_parts,
            "peak_tree_pss_mb_by_stage": {
                k: round(v / 2**20, 1) for k, v in sampler.pss_by_stage.items()
            },
            # wait4: the child and its reaped descendants; ru_maxrss is the largest one (KiB)
            "wait4_maxrss_mb": round(usage.ru_maxrss / 1024, 1),
            "load_before": load_before,
            "load_after": _load(),
        }
    )
    return data


def run(sizes: Sequence[int], workers: int, *, one_worker: bool = True) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    largest = max(sizes)
    plan = [(n, workers) for n in sorted(sizes)]
    if one_worker and workers > 1:
        plan.append((largest, 1))
    for n, w in plan:
        print(f"  e2e: N={n}, W={w} …", file=sys.stderr, flush=True)
        runs.append(run_once(n, w))
        r = runs[-1]
        print(
            f"  e2e: {r['documents']} documents, {r['batch_seconds']} s, "
            f"peak RSS {r['peak_tree_rss_mb']} MB, PSS {r['peak_tree_pss_mb']} MB",
            file=sys.stderr,
            flush=True,
        )
    small = next(r for r in runs if r["records_asked"] == min(sizes) and r["workers"] == workers)
    big = next(r for r in runs if r["records_asked"] == largest and r["workers"] == workers)
    one = next((r for r in runs if r["records_asked"] == largest and r["workers"] == 1), None)
    ok = all(r["archived"] == r["documents"] == r["signed_documents"] for r in runs)
    # the headline is PSS (each page counted once over the tree); RSS counts the pages forked
    # workers share with their parent once per process
    pss = bool(small.get("peak_tree_pss_mb") and big.get("peak_tree_pss_mb"))
    key = "peak_tree_pss_mb" if pss else "peak_tree_rss_mb"
    ratios: dict[str, Any] = {
        "memory_largest_over_smallest": round(big[key] / small[key], 2),
        "memory_measure": "sum of PSS over the process tree" if pss else "sum of RSS",
        "memory_rss_largest_over_smallest": round(
            big["peak_tree_rss_mb"] / small["peak_tree_rss_mb"], 2
        ),
        "memory_main_largest_over_smallest": round(
            big["ru_maxrss_main_mb"] / small["ru_maxrss_main_mb"], 2
        ),
        "target_memory": 1.2,
    }
    if one is not None:
        ratios["speedup_one_to_w"] = round(one["batch_seconds"] / big["batch_seconds"], 2)
        ratios["speedup_by_stage"] = {
            k: round(one["seconds"][k] / big["seconds"][k], 2)
            for k in ("render", "sign", "archive")
            if big["seconds"][k] > 0
        }
        ratios["target_speedup"] = 1.7
    return {
        "what": "end-to-end school batch (import, confirm, render, full signing plan, lock, "
        "archive to the local store), each run in a fresh process on a fresh home",
        "sizes": list(sizes),
        "workers": workers,
        "all_signed_and_archived": ok,
        "ratios": ratios,
        "runs": runs,
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "database": "sqlite",
            "store": "local (home objects/)",
        },
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"\n{'N':>5}{'docs':>6}{'W':>3}{'import':>8}{'render':>8}{'sign':>8}{'lock':>7}"
        f"{'archive':>9}{'total s':>9}{'docs/s':>8}{'sig/s':>7}{'PSS MB':>9}{'load':>12}"
    )
    for r in result["runs"]:
        s = r["seconds"]
        print(
            f"{r['records_asked']:>5}{r['documents']:>6}{r['workers']:>3}{s['import']:>8.1f}"
            f"{s['render']:>8.1f}{s['sign']:>8.1f}{s['lock']:>7.1f}{s['archive']:>9.1f}"
            f"{r['batch_seconds']:>9.1f}{r['docs_per_s']:>8.2f}{r['signatures_per_s']:>7.1f}"
            f"{r.get('peak_tree_pss_mb', 0):>9.0f}"
            f"{r['load_before'][0]:>6.1f}→{r['load_after'][0]:<5.1f}"
        )
    for r in result["runs"]:
        used = ", ".join(f"{k} {v}" for k, v in r["cores_used"].items() if k != "setup")
        print(f"cores used, N={r['records_asked']} W={r['workers']}: {used}")
    ratios = result["ratios"]
    print(
        f"\npeak memory ({ratios['memory_measure']}), largest / smallest: "
        f"{ratios['memory_largest_over_smallest']} (target ≤ {ratios['target_memory']}); "
        f"RSS: {ratios['memory_rss_largest_over_smallest']}; main process alone: "
        f"{ratios['memory_main_largest_over_smallest']}"
    )
    if "speedup_one_to_w" in ratios:
        print(
            f"speed-up from 1 to {result['workers']} workers: {ratios['speedup_one_to_w']} "
            f"(target ≥ {ratios['target_speedup']}); by stage {ratios['speedup_by_stage']}"
        )
    if not result["all_signed_and_archived"]:
        print("NOT every document was signed and archived: see runs[].signing_problems")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="records per run, comma-separated")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="sizes 100 and 300 (development)")
    parser.add_argument(
        "--no-one-worker", action="store_true", help="skip the one-worker run (no speed-up)"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/out/e2e.json"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--records", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        data = run_child(args.records, args.workers, args.home)
        args.result.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return data
    sizes = [100, 300] if args.quick else [int(x) for x in args.sizes.split(",")]
    if len(sizes) < 2 or min(sizes) < 1 or args.workers < 1:
        parser.error("need two or more sizes ≥ 1 and --workers ≥ 1")
    result = run(sizes, args.workers, one_worker=not args.no_one_worker)
    result["quick"] = args.quick
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print_table(result)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
