"""Verification throughput: our verifier against the `pyhanko` CLI, once per document.

    .venv/bin/python -m bench.verify_bench [--secondary 4] [--primary 4] [--rounds 3]
                                           [--cli-rounds 2] [--out bench/out/verify.json]

The documents are real records from our signing path: secondary học bạ (every subject slot,
homeroom teacher, principal, school seal: ~15 signatures at B-LT) and primary học bạ (~4), each
through its whole default plan and the document timestamp (B-LTA), as signing_bench's plan does.
Every contender checks every document of the set, against the development PKI's root only:

  ours        ``signing.verify.verify_pdf`` in one process, as the archive's ingest, the export
              and the public endpoint call it: every signature and the document timestamp,
              PAdES-LTA with the embedded material only (offline), difference analysis,
              attack checks; its bottom line must be true
  cli         ``pyhanko sign validate --trust ROOT.pem --trust-replace FILE``, one process per
              document: every signature, difference analysis, revocation checked online against
              the development PKI (served from another process, as for signing); exit 0 and every
              line INTACT:TRUSTED, or the run stops
  cli_ades    ``pyhanko sign adesverify`` likewise: AdES-LTA validation from the embedded
              material, the like-for-like of what ours does (reported, not the ratio)
  hsdt_cli    ``hsdt verify --no-home --trust-root ROOT.pem FILE``, one process per document: our
              verifier as a command, the like-for-like of the pyhanko CLI (reported)

Ratio: our documents per second ÷ the pyhanko CLI's (``validate``), medians over rounds; the
issue sets no target: reported against ≥ 1. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from bench.signing_bench import OURS, pki_in_another_process, sign_plan
from records.documents import RecordType, all_documents
from records.sample import generate_school
from records.slots import SignatureSlot, SignerRole
from render import render_document
from signing.devpki import DevPki, PersonSpec, create_dev_pki
from signing.pades import SigningServices
from signing.plans import default_slots
from signing.verify import verify_pdf

VERIFY_URL = "https://hocba.example.edu.vn/xac-minh"


@dataclass(frozen=True)
class Signed:
    name: str
    pdf: bytes
    signatures: int


def _people(plans: Sequence[list[SignatureSlot]], school: str) -> list[PersonSpec]:
    signers = {s.signer_id: s for slots in plans for s in slots}
    return [
        PersonSpec(
            str(s.signer_id),
            s.signer_name,
            "organisation" if s.role is SignerRole.SCHOOL_SEAL else "person",
            school,
        )
        for s in signers.values()
    ]


def build_documents(
    secondary: int, primary: int, scratch: Path
) -> tuple[DevPki, list[tuple[bytes, list[SignatureSlot]]]]:
    """Rendered học bạ with their plans (signed later, with the PKI served), and the PKI."""
    dataset = generate_school(seed=2026, primary_classes=1, secondary_classes=1)
    wanted = {RecordType.HOC_BA_TRUNG_HOC: secondary, RecordType.HOC_BA_TIEU_HOC: primary}
    chosen = []
    for record_type, count in wanted.items():
        chosen += [d for d in all_documents(dataset) if d.record_type is record_type][:count]
    work = []
    for doc in chosen:
        slots = default_slots(doc)
        work.append((render_document(doc, slots, verify_url=VERIFY_URL).pdf, slots))
    pki = create_dev_pki(scratch / "pki", _people([s for _, s in work], dataset.school.name))
    return pki, work


async def sign_all(work: list[tuple[bytes, list[SignatureSlot]]], pki: DevPki) -> list[Signed]:
    people = {s.signer_id for _, slots in work for s in slots}
    signers = {str(p): OURS.make_signer(pki, str(p)) for p in people}
    out = []
    async with SigningServices(tsa_url=pki.tsa_url, trust_roots=pki.trust_roots()) as services:
        for i, (pdf, slots) in enumerate(work):
            signed = await sign_plan(pdf, slots, dict(signers), services)
            out.append(Signed(f"doc-{i:02d}.pdf", signed, len(slots)))
    return out


def _executable(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


def _cli_check(kind: str, result: subprocess.CompletedProcess[str], signatures: int) -> str:
    """Why a CLI run does not count as "every signature intact and trusted" ('' if it does)."""
    if result.returncode != 0:
        return f"exit {result.returncode}: {(result.stderr or result.stdout)[-300:]}"
    if kind == "hsdt_cli":
        return ""  # exit 0 is hsdt verify's bottom line (every signature, LTA)
    # both pyhanko commands print field:fingerprint:INTACT:TRUSTED,… per signature
    good = [line for line in result.stdout.splitlines() if ":INTACT:TRUSTED" in line]
    return "" if len(good) == signatures else f"{len(good)}/{signatures} INTACT:TRUSTED"


def cli_commands(root_pem: Path) -> dict[str, Callable[[Path], list[str]]]:
    pyhanko, hsdt = _executable("pyhanko"), _executable("hsdt")
    trust = ["--trust", str(root_pem), "--trust-replace"]
    return {
        "cli": lambda f: [pyhanko, "sign", "validate", *trust, str(f)],
        "cli_ades": lambda f: [pyhanko, "sign", "adesverify", *trust, str(f)],
        "hsdt_cli": lambda f: [hsdt, "verify", "--no-home", "--trust-root", str(root_pem), str(f)],
    }


def time_cli(
    kind: str, command: Callable[[Path], list[str]], files: list[tuple[Path, Signed]]
) -> float:
    """Seconds for one pass over every document, one process each; stops on a failed check."""
    start = time.perf_counter()
    for path, doc in files:
        result = subprocess.run(command(path), capture_output=True, text=True, check=False)
        problem = _cli_check(kind, result, doc.signatures)
        if problem:
            raise RuntimeError(f"{kind} did not validate {path.name}: {problem}")
    return time.perf_counter() - start


def time_ours(docs: list[Signed], pki: DevPki) -> float:
    roots = pki.trust_roots()
    start = time.perf_counter()
    for doc in docs:
        if not verify_pdf(doc.pdf, trust_roots=roots, demo_mode=True).bottom_line:
            raise RuntimeError(f"our verifier rejected {doc.name}")
    return time.perf_counter() - start


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hsdt-verify-bench-") as tmp:
        scratch = Path(tmp)
        pki, work = build_documents(args.secondary, args.primary, scratch)
        root_pem = scratch / "root.pem"
        root_pem.write_bytes(b"".join(r.public_bytes(Encoding.PEM) for r in pki.trust_roots()))
        with pki_in_another_process(pki):
            docs = asyncio.run(sign_all(work, pki))
            files = []
            for doc in docs:
                path = scratch / doc.name
                path.write_bytes(doc.pdf)
                files.append((path, doc))
            commands = cli_commands(root_pem)
            kinds = list(commands)
            time_ours(docs[:1], pki)  # warm-up: imports, fonts, memo tables
            ours: list[float] = []
            cli: dict[str, list[float]] = {k: [] for k in kinds}
            for r in range(max(args.rounds, args.cli_rounds)):
                order = ["ours", *kinds] if r % 2 == 0 else [*kinds, "ours"]
                for who in order:
                    if who == "ours" and r < args.rounds:
                        ours.append(time_ours(docs, pki))
                    elif who != "ours" and r < args.cli_rounds:
                        cli[who].append(time_cli(who, commands[who], files))
    n = len(docs)
    per_s = {"ours": n / statistics.median(ours)} | {
        k: n / statistics.median(v) for k, v in cli.items()
    }
    signatures = sum(d.signatures for d in docs)
    return {
        "what": "verification of fully signed học bạ (B-LTA): ours in one process vs the pyhanko "
        "CLI once per document, same files, same trust root",
        "documents": {
            "secondary_hoc_ba": args.secondary,
            "primary_hoc_ba": args.primary,
            "signatures": signatures,
            "document_timestamps": n,
            "mean_bytes": round(sum(len(d.pdf) for d in docs) / n),
            "rounds_ours": args.rounds,
            "rounds_cli": args.cli_rounds,
        },
        "docs_per_s": {k: round(v, 2) for k, v in per_s.items()},
        "ms_per_doc": {k: round(1000 / v, 1) for k, v in per_s.items()},
        "ms_per_signature_ours": round(1000 / per_s["ours"] * n / signatures, 2),
        "ratio_vs_cli": round(per_s["ours"] / per_s["cli"], 2),
        "ratio_vs_cli_ades": round(per_s["ours"] / per_s["cli_ades"], 2),
        "ratio_hsdt_cli_vs_cli": round(per_s["hsdt_cli"] / per_s["cli"], 2),
        "target": "reported (no target in the issue); ≥ 1 means faster than the CLI",
        "cli_commands": {
            "cli": "pyhanko sign validate --trust ROOT.pem --trust-replace FILE",
            "cli_ades": "pyhanko sign adesverify --trust ROOT.pem --trust-replace FILE",
            "hsdt_cli": "hsdt verify --no-home --trust-root ROOT.pem FILE",
        },
        "environment": {
            "python": platform.python_version(),
            "pyhanko": version("pyHanko"),
            "pyhanko_cli": version("pyhanko-cli"),
            "machine": platform.machine(),
        },
    }


def print_table(result: dict[str, Any]) -> None:
    d = result["documents"]
    print(
        f"\n{d['secondary_hoc_ba']} secondary + {d['primary_hoc_ba']} primary học bạ, "
        f"{d['signatures']} signatures + {d['document_timestamps']} document timestamps"
    )
    for who, rate in result["docs_per_s"].items():
        print(f"  {who:10}{rate:>8.2f} docs/s{result['ms_per_doc'][who]:>10.1f} ms/doc")
    print(
        f"\nours / pyhanko validate: {result['ratio_vs_cli']}×; ours / pyhanko adesverify: "
        f"{result['ratio_vs_cli_ades']}×; hsdt verify (CLI) / pyhanko validate: "
        f"{result['ratio_hsdt_cli_vs_cli']}×"
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--secondary", type=int, default=4, help="secondary học bạ (~15 sigs)")
    parser.add_argument("--primary", type=int, default=4, help="primary học bạ (~4 sigs)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of our verifier")
    parser.add_argument("--cli-rounds", type=int, default=2, help="rounds of each CLI")
    parser.add_argument("--out", type=Path, default=Path("bench/out/verify.json"))
    args = parser.parse_args(argv)
    if args.secondary + args.primary < 1 or args.rounds < 1 or args.cli_rounds < 1:
        parser.error("need at least one document and one round")
    result = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print_table(result)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
