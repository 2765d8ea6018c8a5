"""``hsdt confirm`` / ``hsdt lock`` / ``hsdt records``: the record lifecycle from the command line.

    hsdt confirm CLASS [--year Y] [--school S] [--by NAME]
    hsdt lock open (--school S | --district D --province P | --province P) [--year Y]
                   [--term HK1|HK2|year] --reason TEXT [--by NAME]
    hsdt lock close ID --reason TEXT [--by NAME]
    hsdt lock list [--active] [--json]
    hsdt records state [--school S] [--year Y] [--class ID] [--json]

The operator at the console acts as the local operator (no account: they hold the home's files);
``--by`` names the person for the audit log. Exit status 2 on refusals (HsdtError).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import click
from rich.table import Table

from api.cli import _guard, _obj, cli, out
from service.context import Context

_TERMS = ("HK1", "HK2", "year")


def _as(ctx: Context, by: str | None) -> Context:
    if by is None:
        return ctx
    name = " ".join(by.split())
    if not name or len(name) > 128:
        raise click.BadParameter("cần một tên, tối đa 128 kí tự.", param_hint="--by")
    return replace(ctx, actor=name)


_BY = click.option("--by", "by", default=None, help="Who acts (name for the audit log).")


@cli.command()
@click.argument("class_id", metavar="CLASS")
@click.option("--year", default=None, help="School year, e.g. 2025-2026 (default: newest).")
@click.option("--school", default=None, help="School code (when the home holds several).")
@_BY
def confirm(class_id: str, year: str | None, school: str | None, by: str | None) -> None:
    """Confirm a class's data as imported now (the homeroom teacher's check before rendering)."""
    from service.lifecycle import confirm_class

    obj = _obj()
    with _guard(obj.home):
        ctx = _as(obj.ctx(), by)
        c = confirm_class(ctx, None, class_id, year=year, school=school)
        verb = "Đã xác nhận" if c.created else "Dữ liệu này đã được xác nhận trước đó"
        out.print(
            f"{verb}: lớp {c.class_id}, trường {c.school}, năm học {c.year} — bộ dữ liệu số "
            f"{c.dataset_id} (SHA-256 {c.dataset_sha256[:12]}…), do {c.confirmed_by} lúc "
            f"{c.confirmed_at:%d/%m/%Y %H:%M} UTC."
        )


@cli.group()
def lock() -> None:
    """Lock windows: freeze a school, a district or a province for a year or a term."""


@lock.command(name="open")
@click.option("--school", default=None, help="One school (its district and province from data).")
@click.option("--district", default=None, help="A whole district (Phòng GD&ĐT code).")
@click.option("--province", default=None, help="A whole province (Sở GD&ĐT code).")
@click.option("--year", default=None, help="School year, e.g. 2025-2026 (default: newest).")
@click.option("--term", type=click.Choice(_TERMS), default="year", show_default=True)
@click.option("--reason", required=True, help="Why (shown to everyone whose write is refused).")
@_BY
def lock_open(
    school: str | None,
    district: str | None,
    province: str | None,
    year: str | None,
    term: str,
    reason: str,
    by: str | None,
) -> None:
    """Open a lock window: signed records in scope become locked, the others frozen."""
    from service.locks import LockScope, LockTerm, open_lock, school_place

    obj = _obj()
    with _guard(obj.home):
        ctx = _as(obj.ctx(), by)
        if school is not None:
            place = school_place(ctx, school)
            scope = LockScope(province or place.province, district or place.district, school)
        elif province is not None:
            scope = LockScope(province, district)
        else:
            raise click.UsageError("Cần --school, hoặc --province (kèm --district nếu cần).")
        w = open_lock(
            ctx, None, scope, year=year or _newest_year(ctx), term=LockTerm(term), reason=reason
        )
        out.print(
            f"Đã mở {w.describe()}: {w.documents} hồ sơ đã ký chuyển sang «đã khoá»; các hồ sơ "
            "khác trong phạm vi bị phong toả cho đến khi đóng đợt khoá."
        )


@lock.command(name="close")
@click.argument("window_id", metavar="ID", type=int)
@click.option("--reason", required=True, help="Why the window is closed.")
@_BY
def lock_close(window_id: int, reason: str, by: str | None) -> None:
    """Close (unlock) a window: what it locked is signed again, unless archived."""
    from service.locks import close_lock

    obj = _obj()
    with _guard(obj.home):
        w = close_lock(_as(obj.ctx(), by), None, window_id, reason=reason)
        out.print(f"Đã đóng {w.describe()}: {w.documents} hồ sơ trở lại «đã ký đủ».")


@lock.command(name="list")
@click.option("--active", is_flag=True, help="Only windows still open.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list on stdout.")
def lock_list(active: bool, as_json: bool) -> None:
    """Every lock window, newest first."""
    from service.locks import list_locks

    obj = _obj()
    with _guard(obj.home):
        windows = list_locks(obj.ctx(), active_only=active)
        if as_json:
            click.echo(json.dumps([_window_json(w) for w in windows], ensure_ascii=False, indent=2))
            return
        table = Table(title="Đợt khoá hồ sơ")
        for title in ("Số", "Phạm vi", "Năm học", "Kì", "Lí do", "Mở", "Đóng", "Hồ sơ khoá"):
            table.add_column(title)
        for w in windows:
            closed = f"{w.closed_by} {w.closed_at:%d/%m/%Y}" if w.closed_at else "đang mở"
            table.add_row(
                str(w.id),
                w.scope.describe(),
                w.year,
                w.term.label,
                w.reason,
                f"{w.opened_by} {w.opened_at:%d/%m/%Y}",
                closed,
                str(w.documents),
            )
        out.print(table)


def _window_json(w: Any) -> dict[str, Any]:
    return {
        "id": w.id,
        "province": w.scope.province,
        "district": w.scope.district,
        "school": w.scope.school,
        "year": w.year,
        "term": w.term.value,
        "reason": w.reason,
        "opened_by": w.opened_by,
        "opened_at": w.opened_at.isoformat(),
        "closed_by": w.closed_by,
        "closed_at": w.closed_at.isoformat() if w.closed_at else None,
        "close_reason": w.close_reason,
        "documents": w.documents,
    }


@cli.group()
def records() -> None:
    """Stored records and their lifecycle state."""


@records.command(name="state")
@click.option("--school", default=None)
@click.option("--year", default=None)
@click.option("--class", "class_id", default=None)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list on stdout.")
def records_state(
    school: str | None, year: str | None, class_id: str | None, as_json: bool
) -> None:
    """The newest version of each record and its state (nháp … đã lưu trữ)."""
    from service.lifecycle import record_states

    obj = _obj()
    with _guard(obj.home):
        rows = record_states(obj.ctx(), school=school, year=year, class_id=class_id)
        if as_json:
            data = [
                {
                    "document_id": r.document_id,
                    "class_id": r.class_id,
                    "point": r.point,
                    "version": r.version,
                    "state": r.state.value,
                    "frozen_by": r.frozen_by,
                }
                for r in rows
            ]
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        table = Table(title="Trạng thái hồ sơ")
        for title in ("Hồ sơ", "Lớp", "Phiên bản", "Trạng thái", "Đợt khoá"):
            table.add_column(title)
        for r in rows:
            frozen = str(r.frozen_by) if r.frozen_by is not None else ""
            table.add_row(r.document_id, r.class_id, str(r.version), r.state.label, frozen)
        out.print(table)


def _newest_year(ctx: Context) -> str:
    from sqlalchemy import select

    from service.db.models import DatasetRow
    from service.errors import HsdtError

    with ctx.sessions() as session:
        year = session.scalar(
            select(DatasetRow.school_year).order_by(DatasetRow.id.desc()).limit(1)
        )
    if year is None:
        raise HsdtError("Chưa có dữ liệu nào: ghi rõ năm học bằng --year.")
    return year
