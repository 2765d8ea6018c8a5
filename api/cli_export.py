"""``hsdt export``: verified exports for students (Articles 6.3 and 9), every one registered.

    hsdt export student CODE [--year 2025-2026] --purpose TEXT --recipient NAME --out FILE.zip
                        [--delivery tai-xuong|email|usb|ban-in|khac] [--by NAME] [--json]
    hsdt export extract CODE --year 2025-2026 --purpose TEXT --recipient NAME --out FILE.zip|.pdf
                        --as <school-code> (--p12 FILE | --pkcs11-module M --token-label L)
                        [--document ID] [--delivery …] [--by NAME] [--json]
    hsdt export register [--student CODE] [--school CODE] [--json]

The CLI runs as the local operator (who holds the home anyway); ``--by`` names the person who
issues the export, as written into the register and the log. Exit status: 0 issued (or the register
printed); 2 refused — unknown student, nothing archived, a document that does not verify, the
wrong seal key — and nothing was written.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from api.cli import _guard, _obj, cli, out
from api.cli_sign import _backend, _signing_errors
from service.context import Context
from service.exports import DELIVERIES, ExportRequest, IssuedExport, export_register
from service.signing import SignerIdentity


@cli.group(name="export")
def export_group() -> None:
    """Issue verified exports of students' records and keep the export register."""


def _request_options(f: Any) -> Any:
    for option in reversed(
        (
            click.argument("student_code"),
            click.option("--year", "school_year", help="Only this school year, e.g. 2025-2026."),
            click.option("--purpose", required=True, help="Why (written into the register)."),
            click.option("--recipient", required=True, help="Who receives it (name)."),
            click.option(
                "--delivery",
                type=click.Choice(DELIVERIES),
                default=DELIVERIES[0],
                show_default=True,
                help="How it is handed over.",
            ),
            click.option(
                "--out",
                required=True,
                type=click.Path(dir_okay=False, path_type=Path),
                help="Where to write the export.",
            ),
            click.option("--by", "issued_by", help="Who issues it (default: the system account)."),
            click.option("--json", "as_json", is_flag=True, help="Register entry on stdout."),
        )
    ):
        f = option(f)
    return f


def _actor(ctx: Context, issued_by: str | None) -> Context:
    if issued_by is None:
        return ctx
    name = " ".join(issued_by.split())
    if not name or len(name) > 128:
        raise click.BadParameter("cần một tên, tối đa 128 kí tự.", param_hint="--by")
    return replace(ctx, actor=name)


@export_group.command(name="student")
@_request_options
def student(
    student_code: str,
    school_year: str | None,
    purpose: str,
    recipient: str,
    delivery: str,
    out: Path,
    issued_by: str | None,
    as_json: bool,
) -> None:
    """The student's signed, archived records with verification reports, as one ZIP."""
    from service.exports import export_bundle

    obj = _obj()
    with _guard(obj.home):
        ctx = _actor(obj.ctx(), issued_by)
        request = ExportRequest(student_code, recipient, purpose, school_year, delivery)
        issued = export_bundle(ctx, None, request, out=out)
    _report(issued, out, as_json)


@export_group.command(name="extract")
@_request_options
@click.option("--document", "document_id", help="The record to extract from, when several.")
@click.option("--as", "person_id", required=True, help="The school code (the seal signs).")
@click.option("--p12", type=click.Path(dir_okay=False, path_type=Path), help="PKCS#12 file.")
@click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File whose first line is the PKCS#12 passphrase (else asked).",
)
@click.option(
    "--pkcs11-module",
    "module",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PKCS#11 library of the token (.so).",
)
@click.option("--token-label", help="Label of the PKCS#11 token (USB token, HSM).")
@click.option("--key-label", help="Label of the key on the token (default: the --as id).")
@click.option(
    "--pin-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File whose first line is the token PIN (else asked).",
)
def extract(
    student_code: str,
    school_year: str | None,
    purpose: str,
    recipient: str,
    delivery: str,
    out: Path,
    issued_by: str | None,
    as_json: bool,
    document_id: str | None,
    person_id: str,
    p12: Path | None,
    passphrase_file: Path | None,
    module: Path | None,
    token_label: str | None,
    key_label: str | None,
    pin_file: Path | None,
) -> None:
    """One school year of a student's record as a new document signed by the school (trích lục).

    Written as a ZIP (with its verification report and the how-to-verify note) or, when --out
    ends in .pdf, as the signed PDF alone.
    """
    from service.exports import issue_extract

    obj = _obj()
    with _guard(obj.home), _signing_errors():
        ctx = _actor(obj.ctx(), issued_by)
        backend = _backend(
            person_id, p12, passphrase_file, module, token_label, key_label, pin_file
        )
        request = ExportRequest(
            student_code, recipient, purpose, school_year, delivery, document_id=document_id
        )
        issued = issue_extract(ctx, None, request, SignerIdentity(person_id, backend), out=out)
    _report(issued, out, as_json)


def _report(issued: IssuedExport, path: Path, as_json: bool) -> None:
    entry = issued.entry
    if as_json:
        data = entry.to_json()
        data["excluded"] = [
            {"document_id": e.document_id, "version": e.version, "reason": e.reason}
            for e in issued.excluded
        ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    what = "Trích lục" if entry.kind == "extract" else "Gói hồ sơ"
    out.print(f"{what} {escape(entry.export_id)} đã cấp và ghi vào sổ đăng ký: {escape(str(path))}")
    if entry.extract_document_id:
        out.print(f"  Mã văn bản trích lục: {escape(entry.extract_document_id)}")
    for item in entry.items:
        out.print(
            f"  {escape(item.document_id)} phiên bản {item.version} "
            f"(SHA-256 {item.pdf_sha256[:16]}…, gói lưu trữ {escape(item.index_key)})"
        )
    for e in issued.excluded:
        out.print(f"  [yellow]Không xuất[/] {escape(e.document_id)}: {escape(e.reason)}")


@export_group.command(name="register")
@click.option("--student", "student_code", help="Only this student's exports.")
@click.option("--school", "school_code", help="Only this school's exports.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable register on stdout.")
def register(student_code: str | None, school_code: str | None, as_json: bool) -> None:
    """The export register: who issued what, when, for whom and why."""
    obj = _obj()
    with _guard(obj.home):
        entries = export_register(obj.ctx(), student_code=student_code, school_code=school_code)
    if as_json:
        click.echo(json.dumps([e.to_json() for e in entries], ensure_ascii=False, indent=2))
        return
    if not entries:
        out.print("Sổ đăng ký bản xuất chưa có mục nào khớp với điều kiện lọc.")
        return
    table = Table(title="Sổ đăng ký bản xuất hồ sơ")
    for heading in ("Mã bản xuất", "Loại", "Học sinh", "Hồ sơ", "Người nhận", "Mục đích", "Cấp"):
        table.add_column(heading)
    for e in entries:
        docs = ", ".join(f"{i.document_id} v{i.version}" for i in e.items)
        if e.extract_document_id:
            docs = f"{e.extract_document_id} ← {docs}"
        table.add_row(
            e.export_id,
            "trích lục" if e.kind == "extract" else "gói hồ sơ",
            e.student_code,
            docs,
            e.recipient,
            e.purpose,
            f"{e.issued_by}, {e.issued_at:%d/%m/%Y %H:%M} UTC",
        )
    out.print(table)
