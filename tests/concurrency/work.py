"""The concurrent workers: one signer, importer or archiver, as a thread or as a process.

    python -m concurrency.work HOME GO_FILE READY_FILE ROLE ARGS...   (PYTHONPATH=.:tests)

ROLE is ``sign PERSON P12 PASSPHRASE_FILE`` (one batch: a subject teacher's slots, ready from
the start), ``sign-until PERSON P12 PASSPHRASE_FILE`` (a homeroom teacher, principal or seal:
signs what the plan allows, again and again, until every record is signed), ``import FILE...``
(each file in turn) or ``archive``. A process opens the home and its key, touches READY_FILE and
waits for GO_FILE, so that every worker starts at the same moment; it prints one JSON line per
operation. The threads of the test call the same functions with the test's own Context.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from service.archiving import archive_signed
from service.archiving_report import Status as ArchiveStatus
from service.context import Context
from service.db.models import DocumentRow
from service.importing import import_file
from service.signing import DocumentSelection, SignerIdentity, Status, sign_batch
from signing.backends import Pkcs12Backend

DEADLINE = 300.0  # seconds a looping signer waits for the others before it gives up


@dataclass(frozen=True)
class Op:
    """One operation's outcome, the same from a thread and from a process."""

    role: str  # sign, import, archive
    who: str
    subject: str  # document, file or "run"
    status: str
    detail: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)

    @staticmethod
    def from_json(line: str) -> Op:
        return Op(**json.loads(line))


def sign_once(ctx: Context, who: SignerIdentity) -> list[Op]:
    batch = sign_batch(ctx, who, DocumentSelection())
    return [
        Op(
            "sign",
            who.person_id,
            d.document_id,
            d.status.value,
            {"fields": list(d.fields), "attempts": d.attempts, "message": d.message},
        )
        for d in batch.documents
    ]


def sign_until_done(ctx: Context, who: SignerIdentity) -> list[Op]:
    """Sign what the plan allows now, as soon as it allows it, until every record is signed."""
    ops: list[Op] = []
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        batch = sign_batch(ctx, who, DocumentSelection(ready_only=True))
        ops += [
            Op(
                "sign",
                who.person_id,
                d.document_id,
                d.status.value,
                {"fields": list(d.fields), "attempts": d.attempts, "message": d.message},
            )
            for d in batch.documents
            if d.status is Status.SIGNED or not batch.ok
        ]
        if not batch.ok or _all_signed(ctx):
            return ops
        if batch.signatures == 0:
            time.sleep(0.05)
    ops.append(Op("sign", who.person_id, "*", "timeout", {}))
    return ops


def _all_signed(ctx: Context) -> bool:
    with ctx.sessions() as session:
        states = set(session.scalars(select(DocumentRow.state)))
    return states <= {"signed", "locked", "archived"}


def import_files(ctx: Context, who: str, files: list[Path]) -> list[Op]:
    ops = []
    for path in files:
        outcome = import_file(ctx, path)
        detail = {"dataset": outcome.dataset_id, "created": outcome.created}
        ops.append(Op("import", who, path.name, "imported", detail))
    return ops


def archive(ctx: Context, who: str) -> list[Op]:
    report = archive_signed(ctx)
    done = [d.document_id for d in report.documents if d.status is ArchiveStatus.ARCHIVED]
    others = [
        (d.document_id, d.status.value)
        for d in report.documents
        if d.status is not ArchiveStatus.ARCHIVED
    ]
    status = "ok" if report.ok else "failed"
    return [Op("archive", who, "run", status, {"archived": done, "outcomes": others})]


def signer(person: str, p12: Path, passphrase: bytes) -> SignerIdentity:
    backend = Pkcs12Backend(p12, passphrase)
    with backend.open_signer():  # parse the key before the start signal
        pass
    return SignerIdentity(person, backend)


def main(argv: list[str]) -> int:
    home, go, ready, role, *args = argv
    ctx = Context.open(Path(home))
    try:
        who: SignerIdentity | None = None
        if role in ("sign", "sign-until"):
            who = signer(args[0], Path(args[1]), Path(args[2]).read_bytes())
        Path(ready).touch()
        deadline = time.monotonic() + 120
        while not Path(go).exists():
            if time.monotonic() > deadline:
                raise SystemExit("no start signal")
            time.sleep(0.002)
        if role == "sign":
            assert who is not None
            ops = sign_once(ctx, who)
        elif role == "sign-until":
            assert who is not None
            ops = sign_until_done(ctx, who)
        elif role == "import":
            ops = import_files(ctx, f"process {Path(ready).stem}", [Path(a) for a in args])
        elif role == "archive":
            ops = archive(ctx, f"process {Path(ready).stem}")
        else:
            raise SystemExit(f"unknown role {role}")
        for op in ops:
            print(op.to_json(), flush=True)
    finally:
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
