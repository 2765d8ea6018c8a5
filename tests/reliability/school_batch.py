"""The school batch the crash trials kill: import → render → sign → lock → archive, as a process.

    python -m reliability.school_batch HOME      (cwd: the repository; PYTHONPATH=.:tests)

Every step is the service's own use case and is idempotent, so the recovery after a crash is to
run the very same command again. It prints ``PHASE <name>`` (flushed) as each step starts, so
the harness can kill it inside a chosen step, and ``DONE`` at the end. The small school of
tests/support/schools.py; the development PKI is served by this process while it signs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from archive_flow.signed_home import lock_year, sign_everything
from sqlalchemy import func, select
from support.schools import small_school

from records.canonical import dataset_to_json
from service.archiving import archive_signed
from service.context import Context
from service.db.models import DocumentRow
from service.files import write_atomic
from service.importing import import_file
from service.rendering import render_dataset
from service.signing_env import ensure_dev_pki
from signing.devpki import serve_dev_pki


def phase(name: str) -> None:
    print(f"PHASE {name}", flush=True)


def main(root: Path) -> int:
    dataset = small_school()
    ctx = Context.open(root)
    try:
        phase("import")
        source = root / "samples" / "school.json"
        if not source.is_file():
            write_atomic(source, dataset_to_json(dataset))
        imported = import_file(ctx, source)
        phase("render")
        render_dataset(ctx, imported.dataset_id, dataset, workers=1, confirm_as="test")
        phase("sign")
        pki = ensure_dev_pki(ctx, dataset)
        with serve_dev_pki(pki):
            sign_everything(ctx, dataset, pki)
        phase("lock")
        with ctx.sessions() as session:
            signed = session.scalar(
                select(func.count()).select_from(DocumentRow).where(DocumentRow.state == "signed")
            )
        if signed:  # the year's lock window (opened once; a resumed run finds them locked)
            lock_year(ctx, dataset)
        phase("archive")
        report = archive_signed(ctx)
        if not report.ok:
            print(report.to_json(), file=sys.stderr)
            return 1
    finally:
        ctx.close()
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
