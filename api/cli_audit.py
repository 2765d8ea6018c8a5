"""``hsdt audit``: check the hash-chained audit log and anchor it with RFC 3161 timestamps.

    hsdt audit verify [--json]
    hsdt audit verify --archived [--no-database] [--json]
    hsdt audit anchor [--min-new N] [--json]

Exit status: 0 the log is intact (verify) or the anchor was made or not needed (anchor); 1 verify
found a problem (each printed with its sequence number and code), or anchoring was refused
because the log since the last anchor does not verify; 2 an environment problem the user can fix
(TSA unreachable, archive unusable, no trust roots): nothing was changed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from api.cli import _guard, _obj, cli, out
from service.audit_verify import AuditVerification
from service.audit_verify_archive import ArchiveVerification


def _echo_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@cli.group(name="audit")
def audit_group() -> None:
    """The audit log: every recorded action, hash-chained and anchored by a timestamp authority."""


@audit_group.command(name="verify")
@click.option(
    "--archived",
    is_flag=True,
    help="Rebuild the log from the archived segments and anchors; compare it with the database.",
)
@click.option(
    "--no-database",
    "no_database",
    is_flag=True,
    help="With --archived: the archive alone (the database is lost or not trusted).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on stdout.")
def verify(archived: bool, no_database: bool, as_json: bool) -> None:
    """Recompute the chain and check every anchor; exit status 0 only when the log is intact.

    Reports the first edited, removed, inserted or reordered entry by its sequence number, and
    every anchor whose timestamp does not hold or no longer matches the log. Changes nothing.
    """
    from service.audit_verify import verify_audit_log

    obj = _obj()
    if no_database and not archived:
        raise click.UsageError("--no-database chỉ dùng cùng --archived.")
    if archived:
        _verify_archived(obj.home, no_database, as_json)
        return
    with _guard(obj.home):
        report = verify_audit_log(obj.ctx())
        if as_json:
            _echo_json(report.to_json())
        else:
            _print_verification(report)
        sys.exit(0 if report.ok else 1)


def _verify_archived(root: Path, no_database: bool, as_json: bool) -> None:
    from service.audit_verify_archive import verify_archive
    from service.home import Home

    obj = _obj()
    with _guard(root):
        if no_database:  # never opens (or creates) a database
            report = verify_archive(Home.open(root, create=False))
        else:
            ctx = obj.ctx()
            report = verify_archive(ctx.home, sessions=ctx.sessions, now=ctx.clock.now)
        if as_json:
            _echo_json(report.to_json())
        else:
            _print_archive_verification(report)
        sys.exit(0 if report.ok else 1)


def _print_archive_verification(report: ArchiveVerification) -> None:
    out.print(
        f"Bản lưu trữ của nhật ký kiểm tra ({escape(report.store or '?')}): {report.segments} "
        f"đoạn, {report.entries} mục (đến #{report.last_seq}), {len(report.anchors)} mốc."
    )
    out.print(
        "Đã đối chiếu với cơ sở dữ liệu."
        if report.database_checked
        else "Không đối chiếu với cơ sở dữ liệu (--no-database)."
    )
    if report.ok:
        out.print(f"[bold green]Nguyên vẹn[/] — kiểm tra trong {report.seconds:.1f} giây.")
        if report.unanchored:
            out.print(f"{report.unanchored} mục lưu trữ sau mốc cuối chỉ được chuỗi băm bảo vệ.")
        return
    out.print(f"[bold red]KHÔNG nguyên vẹn[/] — {len(report.findings)} vấn đề:")
    for finding in report.findings:
        out.print(f"  [red]•[/] {escape(finding.message)} [dim]({finding.code})[/]")
    out.print(
        "Đừng sửa kho lưu trữ hay cơ sở dữ liệu để «chữa»: giữ nguyên hiện trạng làm bằng chứng "
        "và báo người phụ trách an toàn thông tin."
    )


def _print_verification(report: AuditVerification) -> None:
    head = report.head
    where = f"đầu chuỗi #{head.seq} ({head.entry_hash[:16]}…)" if head else "mất đầu chuỗi"
    out.print(f"Nhật ký kiểm tra: {report.entries} mục, {where}.")
    good = report.last_good_anchor
    if not report.anchors:
        out.print("Chưa có mốc thời gian nào («hsdt audit anchor» để gắn mốc).")
    else:
        when = good.tsa_time.strftime("%d/%m/%Y %H:%M UTC") if good and good.tsa_time else "—"
        latest = f", mốc tốt mới nhất #{good.seq} lúc {when}" if good else ""
        tsa = f" do «{escape(good.tsa_name)}» cấp" if good and good.tsa_name else ""
        out.print(f"Mốc thời gian RFC 3161: {len(report.anchors)}{latest}{tsa}.")
    if report.store:
        out.print(f"Bản lưu trữ của các mốc: {escape(report.store)}")
    if report.demo_trust:
        out.print("[yellow]Chế độ thử: PKI phát triển được tin cậy (không dùng khi vận hành).[/]")
    if report.ok:
        out.print(f"[bold green]Nguyên vẹn[/] — kiểm tra trong {report.seconds:.1f} giây.")
        if report.unanchored:
            out.print(
                f"{report.unanchored} mục sau mốc cuối chỉ được chuỗi băm bảo vệ; "
                "gắn mốc để khóa chúng bằng dấu thời gian."
            )
        return
    out.print(f"[bold red]KHÔNG nguyên vẹn[/] — {len(report.findings)} vấn đề:")
    for finding in report.findings:
        out.print(f"  [red]•[/] {escape(finding.message)} [dim]({finding.code})[/]")
    out.print(
        "Đừng sửa cơ sở dữ liệu để «chữa»: giữ nguyên hiện trạng làm bằng chứng và báo người "
        "phụ trách an toàn thông tin."
    )


@audit_group.command(name="anchor")
@click.option(
    "--min-new",
    "min_new",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Anchor only when at least N entries came since the last anchor "
    "(default: min_new_entries in the [audit] section of hsdt.toml, else 1).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable outcome on stdout.")
def anchor(min_new: int | None, as_json: bool) -> None:
    """Timestamp the log's head at the TSA; archive the token and the entries it covers.

    The entries since the last anchor are verified first: a log that does not verify is not
    anchored (exit status 1). Run it after each batch of work, or from cron / a systemd timer.
    """
    from service.audit_anchor import anchor_log
    from service.audit_schedule import schedule_settings

    obj = _obj()
    with _guard(obj.home):  # a refusal (log not intact) exits 1, an unreachable TSA 2
        ctx = obj.ctx()
        if min_new is None:
            min_new = schedule_settings(ctx.home).min_new_entries
        outcome = anchor_log(ctx, min_new_entries=min_new)
        if as_json:
            _echo_json(outcome.to_json())
            return
        if not outcome.anchored:
            since = f"mốc #{outcome.seq}" if outcome.seq else "đầu nhật ký"
            out.print(
                f"Không cần gắn mốc: {outcome.new_entries} mục mới kể từ {since} "
                f"(cần ít nhất {min_new})."
            )
            return
        when = outcome.tsa_time.strftime("%d/%m/%Y %H:%M:%S UTC") if outcome.tsa_time else "—"
        out.print(
            f"Đã gắn mốc cho đầu chuỗi #{outcome.seq} ({outcome.entry_hash[:16]}…): dấu thời "
            f"gian lúc {when} do «{escape(outcome.tsa_name)}» cấp, phủ {outcome.new_entries} "
            "mục mới."
        )
        out.print(f"Lưu trữ: {escape(outcome.store or '')} / {outcome.archive_key}")
