"""``hsdt archive``: signed records into the permanent archive, audited and kept verifiable.

    hsdt archive run [--document ID …] [--by NAME] [--json]
    hsdt archive audit [--sample N] [--older-than DAYS] [--repair] [--json]
    hsdt archive renew [--within DAYS] [--document ID …] [--json]
    hsdt archive init-bucket
    hsdt archive status [--json]
    hsdt archive show DOCUMENT_ID [--json]

Exit status: 0 done (or nothing to do); 1 something needs attention — a document was refused
or failed, a second copy is missing, the audit found a problem it did not repair, a renewal
failed, a document has no archived package; 2 the archive cannot be used as configured (store
down, access denied, bucket without Object Lock, bad ``[archive]`` settings): nothing was changed
that a rerun would not complete.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from api.cli import _guard, _obj, _progress, cli, err, out
from archive import (
    ArchiveError,
    IntegrityError,
    PackageError,
    RetentionError,
    StoreAccessDenied,
    StoreMisconfigured,
    StoreUnavailable,
)

TABLE_LIMIT = 40
_HEADINGS: tuple[tuple[type[ArchiveError], str], ...] = (
    (StoreUnavailable, "Kho lưu trữ không phản hồi"),
    (StoreAccessDenied, "Kho lưu trữ từ chối truy cập"),
    (StoreMisconfigured, "Cấu hình kho lưu trữ không dùng được"),
    (IntegrityError, "Dữ liệu lưu trữ không qua kiểm tra toàn vẹn"),
    (RetentionError, "Thao tác bị từ chối để bảo vệ hồ sơ lưu trữ"),
    (PackageError, "Gói lưu trữ không dùng được"),
)
STATE_LABELS = {
    "rendered": "đã kết xuất, chưa ký",
    "signing": "đang ký",
    "signed": "đã ký, chờ khoá sổ",
    "locked": "đã khóa, chờ lưu trữ",
    "archived": "đã lưu trữ",
}


@contextmanager
def _archive_errors() -> Iterator[None]:
    """Archive errors in the clerk's words, exit status 2 (the message names store and key)."""
    try:
        yield
    except ArchiveError as exc:
        heading = next((h for cls, h in _HEADINGS if isinstance(exc, cls)), "Lỗi lưu trữ")
        err.print(f"[bold red]{heading}:[/] {escape(str(exc))}", markup=True)
        if isinstance(exc, StoreUnavailable):
            err.print(
                "Những gì đã lưu trữ vẫn trọn vẹn; chạy lại lệnh khi kho hoạt động trở lại để "
                "làm tiếp phần còn lại."
            )
        sys.exit(2)


def _echo_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _when(moment: datetime | None) -> str:
    return moment.strftime("%d/%m/%Y %H:%M UTC") if moment else "—"


@cli.group(name="archive")
def archive_group() -> None:
    """Archive signed records permanently: archive, audit fixity, renew timestamps."""


# ---------------------------------------------------------------------------- run


@archive_group.command(name="run")
@click.option("--document", "documents", multiple=True, help="Only these documents (repeatable).")
@click.option(
    "--by",
    "archived_by",
    help="Who archives, as written into the packages and the log (default: the system account).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable outcomes on stdout.")
def run(documents: tuple[str, ...], archived_by: str | None, as_json: bool) -> None:
    """Archive every signed record, then copy it to the second store when one is configured.

    Each record is verified first: one that does not verify is refused and nothing of it is
    stored. Running again after an interruption completes the packages left unfinished.
    """
    from service.archiving import ArchiveOutcome, archive_signed

    obj = _obj()
    with _guard(obj.home), _archive_errors():
        ctx = obj.ctx()
        if archived_by is not None:
            name = " ".join(archived_by.split())
            if not name or len(name) > 128:
                raise click.BadParameter("cần một tên, tối đa 128 kí tự.", param_hint="--by")
            ctx = replace(ctx, actor=name)
        with _progress() as bar:
            task = bar.add_task("Lưu trữ hồ sơ", total=None)

            def advance(done: int, total: int, _: ArchiveOutcome) -> None:
                bar.update(task, completed=done, total=total)

            report = archive_signed(ctx, document_ids=documents or None, progress=advance)
        if as_json:
            _echo_json(report.to_json())
        else:
            _print_run(report)
        sys.exit(0 if report.ok else 1)


def _print_run(report: Any) -> None:
    from service.archiving import Status

    labels = {
        Status.ARCHIVED: "[green]Đã lưu trữ[/]",
        Status.REPLICATED: "[green]Đã sao chép[/]",
        Status.REFUSED: "[red]Từ chối[/]",
        Status.FAILED: "[red]Lỗi[/]",
    }
    if not report.documents:
        out.print(
            "Không có hồ sơ nào chờ lưu trữ (hồ sơ phải ký đủ và được khoá sổ trước khi lưu "
            "trữ: «hsdt lock open»)."
        )
        return
    rows = report.documents
    if len(rows) > TABLE_LIMIT:
        rows = [
            d for d in rows if d.status in (Status.REFUSED, Status.FAILED) or d.replication_error
        ]
    if rows:
        table = Table(title="Kết quả lưu trữ")
        table.add_column("Hồ sơ")
        table.add_column("Phiên bản", justify="right")
        table.add_column("Kết quả")
        table.add_column("Chi tiết")
        for d in rows:
            table.add_row(d.document_id, str(d.version), labels[d.status], escape(d.message))
        out.print(table)
    if len(rows) < len(report.documents):
        out.print(f"({len(report.documents) - len(rows)} hồ sơ lưu trữ tốt không liệt kê.)")
    out.print(f"Kho chính: {escape(report.primary)}")
    if report.replica:
        out.print(f"Kho thứ hai: {escape(report.replica)}")
    elif report.replica_problem:
        out.print(f"[red]Kho thứ hai không mở được:[/] {escape(report.replica_problem)}")
    out.print(
        f"{len(report.documents)} hồ sơ: {report.count(Status.ARCHIVED)} đã lưu trữ, "
        f"{report.count(Status.REPLICATED)} đã sao chép bù, {report.count(Status.REFUSED)} bị "
        f"từ chối, {report.count(Status.FAILED)} lỗi — {report.seconds:.1f} giây."
    )


# ---------------------------------------------------------------------------- audit


@archive_group.command(name="audit")
@click.option(
    "--sample", type=click.IntRange(min=1), metavar="N", help="Check N packages picked at random."
)
@click.option(
    "--older-than",
    "older_than",
    type=click.IntRange(min=0),
    help="Only packages not checked in the last DAYS days.",
    metavar="DAYS",
)
@click.option(
    "--repair", is_flag=True, help="Restore missing or corrupt objects from the second copy."
)
@click.option("--seed", type=int, help="Sampling seed, to repeat a selection exactly.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on stdout.")
def audit(
    sample: int | None, older_than: int | None, repair: bool, seed: int | None, as_json: bool
) -> None:
    """Re-read archived objects and check them against the index and the store's checksums.

    Reports missing, corrupt and unexpected objects; exit status 1 while anything is wrong and
    not repaired. Every audit is recorded in the event log.
    """
    from service.archiving_audit import audit_archive

    obj = _obj()
    with _guard(obj.home), _archive_errors():
        report = audit_archive(
            obj.ctx(),
            sample=sample,
            older_than=timedelta(days=older_than) if older_than is not None else None,
            repair=repair,
            seed=seed,
        )
        if as_json:
            _echo_json(report.to_json())
        else:
            click.echo(report.to_text())
        sys.exit(0 if report.ok else 1)


# ---------------------------------------------------------------------------- renew


@archive_group.command(name="renew")
@click.option(
    "--within",
    type=click.IntRange(min=0),
    default=365,
    show_default=True,
    metavar="DAYS",
    help="Renew when the TSA certificate expires within DAYS days.",
)
@click.option("--document", "documents", multiple=True, help="Only these documents (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable outcomes on stdout.")
def renew(within: int, documents: tuple[str, ...], as_json: bool) -> None:
    """Add a renewal timestamp to archived records whose archival timestamp expires soon.

    Each renewal makes a new version of the record (the archived version stays as it is) and
    archives it at once as a new package, chained to the previous one in the index.
    """
    from service.archiving_renewal import RenewalStatus, renew_timestamps

    obj = _obj()
    with _guard(obj.home), _archive_errors():
        report = renew_timestamps(
            obj.ctx(), within=timedelta(days=within), document_ids=documents or None
        )
        if as_json:
            _echo_json(report.to_json())
            sys.exit(0 if report.ok else 1)
        labels = {
            RenewalStatus.RENEWED: "[green]Đã gia hạn[/]",
            RenewalStatus.NOT_DUE: "Chưa cần",
            RenewalStatus.FAILED: "[red]Lỗi[/]",
        }
        shown = [
            d
            for d in report.documents
            if len(report.documents) <= TABLE_LIMIT or d.status is not RenewalStatus.NOT_DUE
        ]
        if shown:
            table = Table(title=f"Gia hạn dấu thời gian (hết hạn trong {within} ngày)")
            table.add_column("Hồ sơ")
            table.add_column("Phiên bản", justify="right")
            table.add_column("TSA hết hạn")
            table.add_column("Kết quả")
            table.add_column("Chi tiết")
            for d in shown:
                expires = d.expires.strftime("%d/%m/%Y") if d.expires else "—"
                table.add_row(
                    d.document_id, str(d.version), expires, labels[d.status], escape(d.message)
                )
            out.print(table)
        out.print(
            f"{len(report.documents)} hồ sơ đã lưu trữ: {report.count(RenewalStatus.RENEWED)} "
            f"đã gia hạn, {report.count(RenewalStatus.NOT_DUE)} chưa cần, "
            f"{report.count(RenewalStatus.FAILED)} lỗi."
        )
        sys.exit(0 if report.ok else 1)


# ---------------------------------------------------------------------------- init-bucket


@archive_group.command(name="init-bucket")
def init_bucket() -> None:
    """Create the configured S3 buckets with Object Lock and versioning (existing: checked)."""
    from service.archiving_config import init_buckets

    obj = _obj()
    with _guard(obj.home), _archive_errors():
        for outcome in init_buckets(obj.ctx()):
            out.print(f"{escape(outcome.store)}: {outcome.message}.")


# ---------------------------------------------------------------------------- status / show


@archive_group.command(name="status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable outcomes on stdout.")
def status(as_json: bool) -> None:
    """Records per state, archived packages, replication backlog, the last fixity audit."""
    from service.archiving_status import archive_status

    obj = _obj()
    with _guard(obj.home), _archive_errors():
        report = archive_status(obj.ctx())
        if as_json:
            _echo_json(report.to_json())
            return
        out.print(f"Kho chính: {escape(report.primary)}")
        out.print(f"Kho thứ hai: {escape(report.replica) if report.replica else 'chưa cấu hình'}")
        hold = ", kèm giữ pháp lý (legal hold)" if report.legal_hold else ""
        out.print(f"Thời hạn lưu giữ: {report.retention_years} năm (COMPLIANCE){hold}")
        table = Table(title="Hồ sơ (phiên bản mới nhất) theo trạng thái")
        table.add_column("Trạng thái")
        table.add_column("Số hồ sơ", justify="right")
        for state, count in report.states.items():
            table.add_row(STATE_LABELS.get(state, state), str(count))
        out.print(table)
        out.print(f"Gói đã lưu trữ: {report.packages}")
        if report.in_progress:
            out.print(
                f"Đang lưu trữ dở: {report.in_progress} (lần chạy trước bị gián đoạn; "
                "«hsdt archive run» sẽ làm tiếp)"
            )
        if report.replica:
            out.print(f"Chờ sao chép sang kho thứ hai: {report.awaiting_replication}")
        out.print(f"Chưa từng kiểm tra toàn vẹn: {report.never_audited}")
        last = report.last_audit
        if last is None:
            out.print("Kiểm tra toàn vẹn gần nhất: chưa có («hsdt archive audit»).")
        else:
            verdict = "[green]tốt[/]" if last.ok else "[red]có lỗi[/]"
            out.print(
                f"Kiểm tra toàn vẹn gần nhất: {_when(last.at)}, {last.packages} gói "
                f"({escape(last.selection)}) — {verdict}"
                + (f", đã sửa {last.repaired}" if last.repaired else ""),
                markup=True,
            )


@archive_group.command(name="show")
@click.argument("document_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable outcomes on stdout.")
def show(document_id: str, as_json: bool) -> None:
    """A record's archive history: every package, in index order."""
    from service.archiving_status import document_history

    obj = _obj()
    with _guard(obj.home), _archive_errors():
        history = document_history(obj.ctx(), document_id)
        if as_json:
            _echo_json(history.to_json())
            sys.exit(0 if history.packages else 1)
        versions = ", ".join(f"v{v}: {STATE_LABELS.get(s, s)}" for v, s in history.versions)
        out.print(f"Hồ sơ {escape(document_id)} — {escape(versions) or 'không có trong hệ thống'}")
        if not history.packages:
            out.print(f"Chưa có gói lưu trữ nào trong {escape(history.store)}.")
            sys.exit(1)
        table = Table(title=f"Gói lưu trữ trong {escape(history.store)}")
        table.add_column("STT", justify="right")
        table.add_column("Phiên bản", justify="right")
        table.add_column("Lưu trữ lúc")
        table.add_column("Mã gói (SHA-256)")
        table.add_column("Giữ đến")
        table.add_column("Bản sao")
        table.add_column("Kiểm tra gần nhất")
        for p in history.packages:
            e = p.entry
            copy = {None: "—", True: "có", False: "[red]chưa[/]"}[p.replicated]
            checked = _when(p.last_checked) + ("" if p.fixity_ok in (None, True) else " (lỗi)")
            table.add_row(
                str(e.sequence),
                str(e.document_version),
                _when(e.archived_at),
                f"{e.bag_id[:16]}…",
                e.retention.retain_until.strftime("%d/%m/%Y"),
                copy,
                checked,
            )
        out.print(table)
        if history.replica_problem:
            out.print(f"Kho thứ hai: {escape(history.replica_problem)}")
