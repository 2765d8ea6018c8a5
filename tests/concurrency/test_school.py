"""Everyone at once on one school (PostgreSQL): signers, importers, then archivers.

Threads of this process and separate processes (``concurrency.work``) are released together:
subject teachers sign their slots (one ``sign_batch`` each, own dev-PKI key), the homeroom
teacher, the principal and the seal sign as soon as the plan lets them, importers merge class
workbooks and score sheets of *other* classes (and the signed class's own workbook, same data)
into the stored year. An observer thread reads every document's bytes all along. After the
year's lock, several archivers run ``archive_signed`` at once. Then:

- revision chains: every revision the observer saw is a byte prefix of every later one (each
  commit is an incremental update of the one before, none overwritten), the revision counter is
  the number of commits the signers reported, the signed fields are exactly those commits'
  fields and exactly the signatures in the PDF, which verify (B-LTA);
- archive: one package per (document, version): one ingest row, one ``document.archived``, the
  package is the database's bytes, ``hsdt archive audit`` finds no unexpected or orphan object;
- datasets: the final stored year holds every importer's change, the signed class unchanged;
- ``hsdt audit verify`` passes.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from archive_flow.flow import configure
from archive_flow.signed_home import lock_year
from reliability.checks import check_done
from sqlalchemy import func, select

from concurrency.conftest import FULL, Processes, Tally, comment_of, school, with_comment
from concurrency.work import Op, import_files, sign_once, sign_until_done, signer
from records.canonical import dataset_from_json, dataset_to_json
from records.model import Dataset
from records.template import csv_template_bytes, xlsx_template_bytes
from service.context import Context
from service.db.archive_models import ArchiveIngestRow
from service.db.models import DatasetRow, DocumentRow
from service.importing import import_file
from service.rendering import render_dataset
from service.signing import SignerIdentity
from service.signing_env import ensure_dev_pki
from service.trust import trust_store
from signing.devpki import DevPki, serve_dev_pki
from signing.verify import verify_pdf

TRIALS = 3 if FULL else 1  # the whole school, afresh each time
ROUNDS = 2 if FULL else 1
IMPORTERS = 4 if FULL else 2  # other classes, each: its workbook, then a score sheet, per round
ARCHIVERS = 3 if FULL else 2


@pytest.mark.parametrize("trial", range(TRIALS))
def test_signers_importers_and_archivers_at_once_lose_nothing(
    trial: int, postgres_url: str, tmp_path: Path, tally: Tally
) -> None:
    clock = time.monotonic()
    dataset = school(1 + IMPORTERS)
    signed_class = dataset.classes[0]
    root = tmp_path / "home"
    ctx = Context.open(root)
    configure(ctx, '\n[archive.primary]\nkind = "local"\ndirectory = "objects"\n')
    first = dataset.model_copy(update={"classes": [signed_class]})
    source = root / "samples" / "school.json"
    source.parent.mkdir(parents=True)
    source.write_bytes(dataset_to_json(first))
    imported = import_file(ctx, source)
    render_dataset(ctx, imported.dataset_id, first, confirm_as="test")
    pki = ensure_dev_pki(ctx, first)
    files = _import_files(tmp_path / "imports", dataset)
    tally.seconds["setup"] += time.monotonic() - clock
    clock = time.monotonic()
    with serve_dev_pki(pki):
        ops, observed = _everyone_signs_and_imports(ctx, first, tmp_path, pki, files, tally)
    tally.seconds["sign+import"] += time.monotonic() - clock
    lock_year(ctx, first)
    clock = time.monotonic()
    ops += _archivers(ctx, tmp_path, tally)
    tally.seconds["archive"] += time.monotonic() - clock
    clock = time.monotonic()
    for op in ops:
        tally.operations[op.role] += 1
    tally.retried += sum(max(0, int(op.detail.get("attempts", 1)) - 1) for op in ops)

    bad = [op for op in ops if op.status not in ("signed", "skipped", "imported", "ok")]
    assert not bad, bad
    # between them the archivers archived each document once (the others found it done)
    runs = [op for op in ops if op.role == "archive"]
    archived = Counter(d for op in runs for d in op.detail["archived"])
    tally.archived_by_run += [len(op.detail["archived"]) for op in runs]
    with ctx.sessions() as session:
        everything = set(session.scalars(select(DocumentRow.document_id)))
    problems = [f"{d}: reported archived by {n} archivers" for d, n in archived.items() if n != 1]
    problems += [f"{d}: archived by no archiver" for d in everything - set(archived)]
    problems += _chains(ctx, ops, observed, tally) + _packages(ctx) + _datasets(ctx, dataset, files)
    ctx.close()
    # archived once, audit clean, audit log verifies (signatures: verified by _chains)
    problems += check_done(root, verify_signatures=False).problems
    tally.seconds["checks"] += time.monotonic() - clock
    tally.lost += problems
    assert not problems, problems


@dataclass
class Observed:
    revisions: dict[str, dict[int, bytes]] = field(default_factory=lambda: defaultdict(dict))
    problems: list[str] = field(default_factory=list)  # two different bytes for one revision


def _everyone_signs_and_imports(
    ctx: Context,
    first: Dataset,
    tmp_path: Path,
    pki: DevPki,
    files: dict[str, list[Path]],
    tally: Tally,
) -> tuple[list[Op], Observed]:
    cls = first.classes[0]
    subject_teachers = sorted(
        {t for s in cls.subjects for t in s.teachers} - {cls.homeroom_teacher}
    )
    principal, seal = first.school.principal, first.school.code
    processes = Processes(ctx.home.root, tmp_path / "workers")
    threads: list[tuple[str, Callable[[], list[Op]]]] = []
    # Half the subject teachers in threads, half in processes; the slots that wait for others:
    # homeroom teacher and seal in threads, the principal in a process.
    for n, person in enumerate(subject_teachers):
        if n % 2 == 0:
            threads.append((person, _bind(sign_once, ctx, _who(pki, person))))
        else:
            _start_signer(processes, tmp_path, pki, person, "sign")
    for person in (cls.homeroom_teacher, seal):
        threads.append((person, _bind(sign_until_done, ctx, _who(pki, person))))
    _start_signer(processes, tmp_path, pki, principal, "sign-until")
    for n, (name, paths) in enumerate(files.items()):
        if n % 2 == 0:
            threads.append((name, _bind(import_files, ctx, f"thread {name}", paths)))
        else:
            processes.start(name, "import", *map(str, paths))
    tally.workers["thread"] += len(threads)
    tally.workers["process"] += len(processes.started)

    observed = Observed()
    stop = threading.Event()
    watcher = threading.Thread(target=_observe, args=(ctx, observed, stop))
    watcher.start()
    results, crashes = _run_threads(threads, processes)
    stop.set()
    watcher.join()
    assert not crashes, crashes
    results += processes.results()
    _observe_once(ctx, observed)
    return results, observed


def _run_threads(
    threads: list[tuple[str, Callable[[], list[Op]]]], processes: Processes
) -> tuple[list[Op], list[BaseException]]:
    processes.wait_ready()
    start = threading.Barrier(len(threads) + 1)
    results: list[Op] = []
    crashes: list[BaseException] = []

    def run(work: Callable[[], list[Op]]) -> None:
        try:
            start.wait()
            results.extend(work())
        except BaseException as exc:  # reported by the test, with the others
            crashes.append(exc)

    running = [threading.Thread(target=run, args=(work,)) for _, work in threads]
    for thread in running:
        thread.start()
    start.wait()
    processes.release()
    for thread in running:
        thread.join(timeout=600)
    return results, crashes


def _archivers(ctx: Context, tmp_path: Path, tally: Tally) -> list[Op]:
    processes = Processes(ctx.home.root, tmp_path / "archivers")
    for n in range(ARCHIVERS):  # processes all: a thread, already warm, would win every race
        processes.start(f"archiver{n}", "archive")
    tally.workers["process"] += ARCHIVERS
    results, crashes = _run_threads([], processes)
    assert not crashes, crashes
    return results + processes.results()


def _observe(ctx: Context, observed: Observed, stop: threading.Event) -> None:
    while not stop.is_set():
        _observe_once(ctx, observed)
        time.sleep(0.01)


def _observe_once(ctx: Context, observed: Observed) -> None:
    with ctx.sessions() as session:
        for document, revision, pdf in session.execute(
            select(DocumentRow.document_id, DocumentRow.revision, DocumentRow.pdf)
        ):
            if pdf is None:
                continue
            seen = observed.revisions[document].setdefault(revision, pdf)
            if seen != pdf:
                observed.problems.append(f"{document}: two different bytes, revision {revision}")


def _chains(ctx: Context, ops: list[Op], observed: Observed, tally: Tally) -> list[str]:
    problems = list(observed.problems)
    commits: dict[str, list[Op]] = defaultdict(list)
    for op in ops:
        if op.role == "sign" and op.status == "signed":
            commits[op.subject].append(op)
    trust = trust_store(ctx.home)
    with ctx.sessions() as session:
        rows = list(session.scalars(select(DocumentRow)))
    for row in rows:
        where = f"{row.document_id} v{row.version}"
        assert row.pdf is not None
        revisions = sorted(observed.revisions[row.document_id].items())
        # the observer polls, so two commits close together may show as one step: counted
        tally.revisions_seen += len(revisions)
        tally.revisions += row.revision + 1
        for (r1, earlier), (r2, later) in itertools.pairwise(revisions):
            if not later.startswith(earlier):
                problems.append(f"{where}: revision {r1} is not a prefix of revision {r2}")
        mine = commits[row.document_id]
        if row.revision != len(mine):
            problems.append(f"{where}: revision {row.revision}, {len(mine)} commits reported")
        fields = [f for f in row.signed_fields.split(",") if f]
        if sorted(fields) != sorted(f for op in mine for f in op.detail["fields"]):
            problems.append(f"{where}: signed fields {fields} are not the commits' fields")
        report = verify_pdf(row.pdf, trust_roots=list(trust.roots), demo_mode=trust.demo_mode)
        if not report.bottom_line:
            problems.append(f"{where}: does not verify")
        if sorted(s.field_name for s in report.signatures) != sorted(fields):
            problems.append(f"{where}: the PDF's signatures are not the signed fields {fields}")
    return problems


def _packages(ctx: Context) -> list[str]:
    with ctx.sessions() as session:
        per_row = Counter(session.scalars(select(ArchiveIngestRow.document_row)))
        rows = session.scalar(select(func.count()).select_from(DocumentRow))
    twice = {row: n for row, n in per_row.items() if n != 1}
    problems = [f"document row {row}: {n} ingest rows" for row, n in twice.items()]
    if len(per_row) != rows:
        problems.append(f"{len(per_row)} documents archived of {rows}")
    return problems


def _datasets(ctx: Context, dataset: Dataset, files: dict[str, list[Path]]) -> list[str]:
    with ctx.sessions() as session:
        newest = session.scalars(select(DatasetRow).order_by(DatasetRow.id.desc())).first()
    assert newest is not None
    final = dataset_from_json(newest.canonical)
    problems = []
    if final.classes[0] != dataset.classes[0]:
        problems.append("the signed class changed")
    for n, name in enumerate(files):
        cls = dataset.classes[1 + n]
        want = f"Lần {ROUNDS - 1} của {name}"
        if comment_of(final, cls.id, "TOAN") != want:
            problems.append(f"class {cls.id}: {comment_of(final, cls.id, 'TOAN')!r}, not {want!r}")
    return problems


def _import_files(folder: Path, dataset: Dataset) -> dict[str, list[Path]]:
    """Per importer: its class's workbook, then a score sheet with its own comment, each round;
    the first importer also re-imports the signed class's workbook (the same data)."""
    folder.mkdir(parents=True)
    files: dict[str, list[Path]] = {}
    for n in range(IMPORTERS):
        name = f"importer{n}"
        cls = dataset.classes[1 + n]
        paths = []
        for r in range(ROUNDS):
            book = folder / f"{name}-{r}.xlsx"
            book.write_bytes(xlsx_template_bytes(dataset=dataset, class_id=cls.id))
            sheet = folder / f"{name}-{r}.csv"
            scores = csv_template_bytes(
                grade=cls.grade, subject="TOAN", dataset=dataset, class_id=cls.id
            )
            sheet.write_bytes(with_comment(scores, f"Lần {r} của {name}"))
            paths += [book, sheet]
        if n == 0:
            same = folder / "signed-class.xlsx"
            same.write_bytes(xlsx_template_bytes(dataset=dataset, class_id=dataset.classes[0].id))
            paths.insert(1, same)
        files[name] = paths
    return files


def _who(pki: DevPki, person: str) -> SignerIdentity:
    identity = pki.identity(person)
    return signer(person, identity.pkcs12_path, identity.passphrase)


def _start_signer(
    processes: Processes, tmp_path: Path, pki: DevPki, person: str, role: str
) -> None:
    identity = pki.identity(person)
    secret = tmp_path / f"{person}.pass"
    secret.write_bytes(identity.passphrase)
    processes.start(person, role, person, str(identity.pkcs12_path), str(secret))


def _bind(function: Callable[..., list[Op]], *args: object) -> Callable[[], list[Op]]:
    return lambda: function(*args)
