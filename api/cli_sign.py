"""``hsdt sign``: sign records slot by slot through their plan — batches and two-phase signing.

    hsdt sign --as GV001 --p12 FILE [--passphrase-file F] [--class 8A1 …] [--type TYPE …]
    hsdt sign --as <school-code> --pkcs11-module M --token-label L [--pin-file F] [--key-label K]
    hsdt sign prepare DOCUMENT_ID FIELD --as ID --cert CERT.pem [--json]
    hsdt sign finish PENDING_ID (--signature FILE | --cms FILE)

Passphrases and PINs come from a file or a hidden prompt, never from the command line, and are
never printed or logged. Exit status: 0 everything asked was signed (or already was); 1 a document
was refused or failed (a table says which and why), or a two-phase hash went stale; 2 the key,
certificate, token or configuration is not usable, or a two-phase request is unknown, expired or
used (nothing was signed).
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from cryptography import x509
from rich.markup import escape
from rich.table import Table

from api.cli import _guard, _obj, _progress, cli, err, out
from records.documents import RecordType
from service.errors import HsdtError
from service.signing import (
    BatchOutcome,
    DocumentOutcome,
    DocumentSelection,
    SignerIdentity,
    Status,
    finish_external,
    prepare_external,
    sign_batch,
)
from signing.backends import Pkcs11Backend, Pkcs12Backend, SignerBackend
from signing.errors import CertificateRejectedError, SigningError
from signing.external import DocumentChangedError
from signing.plans import PlanViolation

TABLE_LIMIT = 40  # documents listed one by one; beyond, only refusals and failures

STATUS_LABELS = {
    Status.SIGNED: "[green]Đã ký[/]",
    Status.SKIPPED: "Bỏ qua",
    Status.REFUSED: "[red]Từ chối[/]",
    Status.FAILED: "[red]Lỗi[/]",
}


@contextmanager
def _signing_errors() -> Iterator[None]:
    """Signing errors in the user's words; exit 1 when the document refused, 2 otherwise."""
    try:
        yield
    except PlanViolation as exc:
        err.print(f"[bold red]Từ chối:[/] {escape(exc.message)}", markup=True)
        sys.exit(1)
    except DocumentChangedError as exc:
        err.print(f"[bold red]Từ chối:[/] {escape(exc.message)}", markup=True)
        sys.exit(1)
    except CertificateRejectedError as exc:
        err.print("[bold red]Chứng thư số không dùng được để ký — chưa ký gì:[/]", markup=True)
        for problem in exc.check.problems:
            err.print(f"  • {escape(problem.message)}", markup=True)
        sys.exit(2)
    except SigningError as exc:
        err.print(f"[bold red]Lỗi:[/] {escape(exc.message)}", markup=True)
        sys.exit(2)


def _secret(path: Path | None, prompt: str) -> str:
    """A passphrase or PIN: the first line of ``path``, or asked without echo."""
    if path is None:
        return str(click.prompt(prompt, hide_input=True))
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise HsdtError(f"Không đọc được tệp {path}: {exc.strerror}.") from exc
    return lines[0] if lines else ""


def _backend(
    person_id: str,
    p12: Path | None,
    passphrase_file: Path | None,
    module: Path | None,
    token_label: str | None,
    key_label: str | None,
    pin_file: Path | None,
) -> SignerBackend:
    if (p12 is None) == (token_label is None):
        raise click.UsageError(
            "Chọn đúng một nơi giữ khoá: --p12 FILE (tệp chứng thư số) hoặc --token-label "
            "(token USB PKCS#11)."
        )
    if p12 is not None:
        return Pkcs12Backend(p12, _secret(passphrase_file, f"Mật khẩu tệp {p12.name}"))
    if module is None:
        raise click.UsageError("Token PKCS#11 cần --pkcs11-module (thư viện .so của token).")
    assert token_label is not None
    pin = _secret(pin_file, f"Mã PIN của token «{token_label}»")
    return Pkcs11Backend(module, token_label, key_label or person_id, pin)


@cli.group(name="sign", invoke_without_command=True)
@click.option("--as", "person_id", help="Who signs: teacher id (GV001) or the school code (seal).")
@click.option("--p12", type=click.Path(dir_okay=False, path_type=Path), help="PKCS#12 file.")
@click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File whose first line is the .p12 passphrase (default: ask, hidden).",
)
@click.option(
    "--pkcs11-module", type=click.Path(dir_okay=False, path_type=Path), help="Token library (.so)."
)
@click.option("--token-label", help="Label of the PKCS#11 token (USB token, HSM).")
@click.option("--key-label", help="Label of the key on the token (default: the --as id).")
@click.option(
    "--pin-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File whose first line is the token PIN (default: ask, hidden).",
)
@click.option("--class", "classes", multiple=True, help="Only these classes (repeatable).")
@click.option(
    "--type",
    "record_types",
    multiple=True,
    type=click.Choice([t.value for t in RecordType]),
    help="Only these record types (repeatable).",
)
@click.option("--document", "documents", multiple=True, help="Only these documents (repeatable).")
@click.option("--field", "field_name", help="Sign only this slot (e.g. gvbm_TOAN).")
@click.option("--school", help="Only this school (school code), when the home holds several.")
@click.option("--ready-only", is_flag=True, help="Skip documents whose turn has not come yet.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable outcomes on stdout.")
@click.pass_context
def sign(
    click_ctx: click.Context,
    person_id: str | None,
    p12: Path | None,
    passphrase_file: Path | None,
    pkcs11_module: Path | None,
    token_label: str | None,
    key_label: str | None,
    pin_file: Path | None,
    classes: tuple[str, ...],
    record_types: tuple[str, ...],
    documents: tuple[str, ...],
    field_name: str | None,
    school: str | None,
    ready_only: bool,
    as_json: bool,
) -> None:
    """Sign every record where the plan gives --as a slot that may be signed now.

    One passphrase/PIN and one certificate check for the whole batch; each document is committed
    on its own, so running the same command again after an interruption resumes where it stopped.
    Subcommands `prepare` and `finish` do two-phase signing (remote signing services, apps).
    """
    if click_ctx.invoked_subcommand is not None:
        return
    if not person_id:
        raise click.UsageError("Thiếu --as: mã giáo viên (GV001) hoặc mã trường (con dấu).")
    obj = _obj()
    with _guard(obj.home), _signing_errors():
        backend = _backend(
            person_id, p12, passphrase_file, pkcs11_module, token_label, key_label, pin_file
        )
        selection = DocumentSelection(
            document_ids=documents,
            class_ids=classes,
            record_types=record_types,
            school=school,
            ready_only=ready_only,
        )
        with _progress() as bar:
            task = bar.add_task(f"Ký hồ sơ ({person_id})", total=None)

            def advance(done: int, total: int, _: DocumentOutcome) -> None:
                bar.update(task, completed=done, total=total)

            outcome = sign_batch(
                obj.ctx(),
                SignerIdentity(person_id, backend),
                selection,
                field_name=field_name,
                progress=advance,
            )
        if as_json:
            click.echo(json.dumps(_batch_json(outcome), ensure_ascii=False, indent=2))
        else:
            _print_batch(outcome)
        sys.exit(0 if outcome.ok else 1)


def _print_batch(outcome: BatchOutcome) -> None:
    if not outcome.documents:
        out.print(f"Không có hồ sơ nào có ô ký của {outcome.person_id} theo bộ lọc đã chọn.")
        return
    if outcome.certificate is not None:
        cert = outcome.certificate
        out.print(
            f"Chứng thư số: {escape(cert.subject)} — do {escape(cert.issuer)} cấp; đã kiểm tra "
            "hiệu lực và tình trạng thu hồi."
        )
    # A whole school is hundreds of rows: past a screenful, list only what needs attention.
    rows = outcome.documents
    if len(rows) > TABLE_LIMIT:
        rows = [d for d in rows if d.status in (Status.REFUSED, Status.FAILED)]
    if rows:
        table = Table(title=f"Kết quả ký của {outcome.person_id}")
        table.add_column("Hồ sơ")
        table.add_column("Kết quả")
        table.add_column("Chi tiết")
        for doc in rows:
            table.add_row(doc.document_id, STATUS_LABELS[doc.status], escape(doc.message))
        out.print(table)
    if len(rows) < len(outcome.documents):
        out.print(
            f"({len(outcome.documents) - len(rows)} hồ sơ đã ký hoặc bỏ qua không liệt kê; "
            "--json cho danh sách đầy đủ.)"
        )
    per_signature = (
        f", {1000 * outcome.seconds / outcome.signatures:.0f} ms/chữ ký"
        if outcome.signatures
        else ""
    )
    out.print(
        f"{len(outcome.documents)} hồ sơ: {outcome.count(Status.SIGNED)} đã ký "
        f"({outcome.signatures} chữ ký), {outcome.count(Status.SKIPPED)} bỏ qua, "
        f"{outcome.count(Status.REFUSED)} bị từ chối, {outcome.count(Status.FAILED)} lỗi — "
        f"{outcome.seconds:.1f} giây{per_signature}."
    )


def _batch_json(outcome: BatchOutcome) -> dict[str, Any]:
    return {
        "person": outcome.person_id,
        "ok": outcome.ok,
        "seconds": round(outcome.seconds, 3),
        "signatures": outcome.signatures,
        "documents": [
            {
                "document": d.document_id,
                "status": d.status.value,
                "message": d.message,
                "fields": list(d.fields),
                "revision": d.revision,
                "timestamped": d.timestamped,
                "code": d.code,
                "field": d.field_name,
                "attempts": d.attempts,
                "seconds": round(d.seconds, 3),
            }
            for d in outcome.documents
        ],
    }


def _certificates(path: Path) -> tuple[x509.Certificate, tuple[x509.Certificate, ...]]:
    """The signer's certificate, then its issuing CAs, from one PEM bundle (or a DER file)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HsdtError(f"Không đọc được tệp chứng thư số {path}: {exc.strerror}.") from exc
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            first, *chain = x509.load_pem_x509_certificates(data)
            return first, tuple(chain)
        return x509.load_der_x509_certificate(data), ()
    except ValueError as exc:
        raise HsdtError(
            f"{path} không phải chứng thư số X.509 (PEM hoặc DER).",
            hint="Xuất chứng thư số của người ký (kèm chuỗi CA nếu có) ra tệp .pem.",
        ) from exc


@sign.command()
@click.argument("document_id")
@click.argument("field_name")
@click.option("--as", "person_id", required=True, help="Who signs (teacher id / school code).")
@click.option(
    "--cert",
    "cert_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The signer's certificate (PEM, optionally followed by its CA chain, or DER).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
def prepare(
    document_id: str, field_name: str, person_id: str, cert_path: Path, as_json: bool
) -> None:
    """Phase one of two-phase signing: print a request id and the hash to sign.

    Send the hash to the remote signing service (or app), then hand back its answer with
    `hsdt sign finish`. The request is refused later if the document changes meanwhile.
    """
    obj = _obj()
    with _guard(obj.home), _signing_errors():
        certificate, chain = _certificates(cert_path)
        pending = prepare_external(
            obj.ctx(), document_id, field_name, person_id, certificate, chain
        )
        if as_json:
            data = {
                "pending_id": pending.id,
                "document": pending.document_id,
                "field": pending.field_name,
                "signer": pending.person_id,
                "revision": pending.revision,
                "algorithm": pending.algorithm,
                "digest_hex": pending.digest.hex(),
                "digest_base64": base64.b64encode(pending.digest).decode("ascii"),
                "document_digest_hex": pending.document_digest.hex(),
                "expires_at": pending.expires_at.isoformat(),
            }
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        out.print(f"Yêu cầu ký: [bold]{pending.id}[/]", markup=True)
        out.print(f"Hồ sơ {pending.document_id}, ô «{pending.field_name}», {pending.person_id}")
        out.print(f"Mã băm cần ký ({pending.algorithm.upper()}, hex): {pending.digest.hex()}")
        out.print(f"Mã băm cần ký (base64): {base64.b64encode(pending.digest).decode('ascii')}")
        out.print(
            f"Mã băm tài liệu (cho ứng dụng tự tạo CMS, hex): {pending.document_digest.hex()}"
        )
        out.print(f"Hết hạn lúc: {pending.expires_at:%d/%m/%Y %H:%M} UTC")
        out.print(
            f"Sau khi ký: hsdt sign finish {pending.id} --signature TỆP_CHỮ_KÝ (hoặc --cms TỆP)"
        )


def _binary(path: Path) -> bytes:
    """Raw bytes, or the bytes behind base64/PEM text (what signing services usually return)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HsdtError(f"Không đọc được tệp {path}: {exc.strerror}.") from exc
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return data
    lines = [line.strip() for line in text.splitlines() if line and not line.startswith("-----")]
    try:
        return base64.b64decode("".join(lines), validate=True)
    except (binascii.Error, ValueError):
        return data


@sign.command()
@click.argument("pending_id")
@click.option(
    "--signature",
    "signature_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The raw RSA/ECDSA signature over the hash (binary or base64).",
)
@click.option(
    "--cms",
    "cms_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A detached CMS signature over the document hash (DER, PEM or base64).",
)
def finish(pending_id: str, signature_path: Path | None, cms_path: Path | None) -> None:
    """Phase two: put the signature made elsewhere into the record (any process, any time
    before the request expires)."""
    if (signature_path is None) == (cms_path is None):
        raise click.UsageError("Đưa đúng một trong hai: --signature TỆP hoặc --cms TỆP.")
    obj = _obj()
    with _guard(obj.home), _signing_errors():
        outcome = finish_external(
            obj.ctx(),
            pending_id,
            signature=_binary(signature_path) if signature_path else None,
            cms=_binary(cms_path) if cms_path else None,
        )
        out.print(
            f"{outcome.document_id}: {escape(outcome.message)} (phiên bản {outcome.revision})"
        )
