"""What "nothing lost, nothing half-done" means, checked on a home after a fault and a resume.

``check_done(root)`` holds every record of the home to the end state of a finished school batch:

- database rows, working-copy files and store objects agree: each document's newest version has
  its file, byte for byte the bytes the database holds, and those bytes verify (signatures,
  timestamps, LTA) against the home's trust store;
- each is archived exactly once: its ingest is complete, one ``document.archived`` event, and the
  package its index entry names loads from the store, every object verified and the bag valid,
  its record.pdf exactly the database's bytes;
- ``hsdt archive audit`` is clean (no missing, corrupt, unexpected or orphan object, so no
  package without its index and no leftover of an interrupted upload);
- ``hsdt audit verify`` passes (the hash-chained log is intact).

``litter(root)`` lists temporary files a killed process left behind (not records; reported).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

import api.cli_archive
import api.cli_audit  # noqa: F401  (registers «hsdt audit»)
from api.cli import cli
from archive import read_package
from service.archiving import ARCHIVED_STATE
from service.archiving_config import open_archive
from service.context import Context
from service.db.archive_models import ArchiveIngestRow
from service.db.models import DocumentRow, EventRow
from service.trust import trust_store
from signing.verify import verify_pdf


def hsdt(root: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--home", str(root), *args])
    assert "Traceback" not in result.output, result.output
    return result


@dataclass
class Done:
    documents: int = 0
    archived: int = 0
    problems: list[str] = field(default_factory=list)


def check_done(root: Path, *, verify_signatures: bool = True) -> Done:
    done = Done()
    ctx = Context.open(root)
    try:
        _check_records(ctx, done, verify_signatures)
    finally:
        ctx.close()
    audit = hsdt(root, "archive", "audit", "--json")
    if audit.exit_code != 0:
        done.problems.append(f"hsdt archive audit: exit {audit.exit_code}: {audit.output[-2000:]}")
    else:
        counts = json.loads(audit.output)["counts"]
        bad = {code: n for code, n in counts.items() if n}
        if bad:
            done.problems.append(f"hsdt archive audit found {bad}")
    verified = hsdt(root, "audit", "verify")
    if verified.exit_code != 0:
        done.problems.append(f"hsdt audit verify: exit {verified.exit_code}: {verified.output}")
    return done


def _check_records(ctx: Context, done: Done, verify_signatures: bool) -> None:
    with ctx.sessions() as session:
        rows = list(session.scalars(select(DocumentRow).order_by(DocumentRow.id)))
        ingests = {i.document_row: i for i in session.scalars(select(ArchiveIngestRow))}
        archived_events = Counter(
            (e.subject, json.loads(e.detail)["version"])
            for e in session.scalars(select(EventRow).where(EventRow.action == "document.archived"))
        )
    newest: dict[str, DocumentRow] = {}
    for row in rows:
        if row.document_id not in newest or row.version > newest[row.document_id].version:
            newest[row.document_id] = row
    if not newest:
        done.problems.append("no document at all")
        return
    trust = trust_store(ctx.home)
    stores = open_archive(ctx, replica_required=False)
    for document_id, row in sorted(newest.items()):
        done.documents += 1
        where = f"{document_id} v{row.version}"
        path = ctx.home.absolute(row.pdf_path)
        if row.pdf is None or not path.is_file() or path.read_bytes() != row.pdf:
            done.problems.append(f"{where}: working copy differs from the database's bytes")
            continue
        if row.state != ARCHIVED_STATE:
            done.problems.append(f"{where}: state {row.state!r}, not archived")
            continue
        if verify_signatures:
            report = verify_pdf(row.pdf, trust_roots=list(trust.roots), demo_mode=trust.demo_mode)
            if not report.bottom_line:
                done.problems.append(f"{where}: signed bytes do not verify")
        ingest = ingests.get(row.id)
        if ingest is None or ingest.completed_at is None or ingest.index_key is None:
            done.problems.append(f"{where}: archived but its ingest is not complete")
            continue
        if archived_events[(document_id, row.version)] != 1:
            n = archived_events[(document_id, row.version)]
            done.problems.append(f"{where}: {n} document.archived events (want exactly 1)")
        package = read_package(stores.primary, document_id, version=row.version)
        if package.bag_id != ingest.bag_id or package.files["data/record.pdf"] != row.pdf:
            done.problems.append(f"{where}: the archived package is not the database's record")
            continue
        done.archived += 1


def litter(root: Path) -> list[str]:
    """Temporary files of interrupted atomic writes (records/, samples/, the local store)."""
    found = [p for p in root.rglob("*.tmp") if p.is_file()]
    staging = root / "objects" / ".hsdt" / "tmp"
    if staging.is_dir():
        found += [p for p in staging.iterdir() if p.is_file()]
    return sorted(str(p.relative_to(root)) for p in found)
