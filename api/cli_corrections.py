"""``hsdt correction`` and ``hsdt history``: corrections after lock (Điều 11.4), and a record's
whole chain of versions, signatures, corrections and archive packages.

    hsdt correction request DOCUMENT_ID --reason TEXT --edit TARGET OLD NEW [--edit …] --by NAME
    hsdt correction approve ID --by NAME [--note TEXT]
    hsdt correction reject ID --by NAME --reason TEXT
    hsdt correction witness ID --as board|homeroom --by NAME [--note TEXT]
    hsdt correction apply ID --by NAME
    hsdt correction list [--document ID] [--state STATE] [--json]
    hsdt correction show ID [--json]
    hsdt history DOCUMENT_ID [--json]

The CLI is the local operator (who holds the home's files): each step names who acts (``--by``)
and is recorded as ``local:<name>``; the order and separation of duties of the permission matrix
still hold between the names given. Exit status: 0 done; 1 the proposed change does not pass
validation (nothing stored); 2 refused (stale old value, out of order, separation of duties,
unknown id) — the message says what to do.
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from api.cli import _guard, _obj, cli, out
from service.corrections_history import CorrectionView, RecordHistory

_PARTS = {"board": "board_member", "homeroom": "homeroom_teacher"}
_STEP_LABELS = {
    "request": "đề nghị",
    "approve": "phê duyệt",
    "reject": "từ chối",
    "witness": "chứng kiến",
    "apply": "áp dụng",
}
_ROLE_LABELS = {"board_member": "Ban quản trị", "homeroom_teacher": "GV chủ nhiệm"}


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@cli.group(name="correction")
def correction_group() -> None:
    """Corrections of locked or archived records (Điều 11.4): request, approve or reject,
    two witnesses, apply; the new version is then signed again through its plan."""


_BY = click.option("--by", "by", required=True, help="Who does this step (account or full name).")


@correction_group.command(name="request")
@click.argument("document_id")
@click.option("--reason", required=True, help="Why the record must be corrected.")
@click.option(
    "--edit",
    "edits",
    type=(str, str, str),
    multiple=True,
    required=True,
    metavar="TARGET OLD NEW",
    help="One change: STUDENT[@POINT][/SUBJECT]/FIELD, the value stored now, the new value "
    "(e.g. --edit HS01/TOAN/term1.final 6,5 9). Repeatable.",
)
@_BY
def request(
    document_id: str, reason: str, edits: tuple[tuple[str, str, str], ...], by: str
) -> None:
    """Request a correction of DOCUMENT_ID (a locked or archived record)."""
    from service.corrections import parse_target, request_correction

    obj = _obj()
    with _guard(obj.home):
        changes = tuple(parse_target(t, old, new) for t, old, new in edits)
        correction_id = request_correction(
            obj.ctx(), None, document_id, reason=reason, edits=changes, by=by
        )
        out.print(
            f"Đã lập đề nghị đính chính số {correction_id} cho hồ sơ {escape(document_id)}; "
            "chờ Hiệu trưởng phê duyệt."
        )


@correction_group.command(name="approve")
@click.argument("correction_id", type=int)
@click.option("--note", default="", help="A note for the record.")
@_BY
def approve(correction_id: int, note: str, by: str) -> None:
    """The principal approves a requested correction."""
    from service.corrections import approve_correction

    obj = _obj()
    with _guard(obj.home):
        approve_correction(obj.ctx(), None, correction_id, note=note, by=by)
        out.print(
            f"Đã phê duyệt đề nghị số {correction_id}; cần thành viên Ban quản trị và giáo viên "
            "chủ nhiệm chứng kiến."
        )


@correction_group.command(name="reject")
@click.argument("correction_id", type=int)
@click.option("--reason", required=True, help="Why the correction is refused.")
@_BY
def reject(correction_id: int, reason: str, by: str) -> None:
    """The principal rejects a requested correction, saying why."""
    from service.corrections import reject_correction

    obj = _obj()
    with _guard(obj.home):
        reject_correction(obj.ctx(), None, correction_id, reason=reason, by=by)
        out.print(f"Đã từ chối đề nghị số {correction_id}; hồ sơ giữ nguyên.")


@correction_group.command(name="witness")
@click.argument("correction_id", type=int)
@click.option(
    "--as",
    "part",
    type=click.Choice(sorted(_PARTS)),
    required=True,
    help="board: a member of the school's board; homeroom: the class's homeroom teacher.",
)
@click.option("--note", default="", help="A note for the record.")
@_BY
def witness(correction_id: int, part: str, note: str, by: str) -> None:
    """Witness an approved correction (both a board member and the homeroom teacher are needed)."""
    from service.corrections import WitnessPart, witness_correction

    obj = _obj()
    with _guard(obj.home):
        played = witness_correction(
            obj.ctx(), None, correction_id, part=WitnessPart(_PARTS[part]), note=note, by=by
        )
        out.print(
            f"Đã ghi nhận {escape(by)} chứng kiến đề nghị số {correction_id} ({played.role.label})."
        )


@correction_group.command(name="apply")
@click.argument("correction_id", type=int)
@_BY
def apply(correction_id: int, by: str) -> None:
    """Apply a fully witnessed correction: new data, new versions of the affected records."""
    from service.corrections import apply_correction

    obj = _obj()
    with _guard(obj.home):
        applied = apply_correction(obj.ctx(), None, correction_id, by=by)
        for v in applied.versions:
            out.print(
                f"{escape(v.document_id)}: phiên bản {v.version} thay thế phiên bản "
                f"{v.supersedes_version} ({escape(v.pdf_path)})."
            )
        out.print(
            "Các phiên bản mới cần được ký lại theo quy trình ký («hsdt sign …»); phiên bản cũ "
            "vẫn được lưu giữ."
        )


@correction_group.command(name="list")
@click.option("--document", "document_id", default=None, help="Only this record.")
@click.option(
    "--state",
    type=click.Choice(["requested", "approved", "rejected", "witnessed", "applied", "done"]),
    default=None,
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list on stdout.")
def list_(document_id: str | None, state: str | None, as_json: bool) -> None:
    """Corrections, oldest first."""
    from service.corrections import CorrectionState, list_corrections

    obj = _obj()
    with _guard(obj.home):
        views = list_corrections(
            obj.ctx(),
            document_id=document_id,
            state=CorrectionState(state) if state else None,
        )
        if as_json:
            _echo_json([v.to_json() for v in views])
            return
        if not views:
            out.print("Không có đề nghị đính chính nào.")
            return
        table = Table(title="Đề nghị đính chính")
        for name in ("Số", "Hồ sơ", "Phiên bản", "Trạng thái", "Người đề nghị", "Lý do"):
            table.add_column(name)
        for v in views:
            table.add_row(
                str(v.id),
                escape(v.document_id),
                str(v.version),
                v.state.label,
                escape(v.requested_by),
                escape(v.reason),
            )
        out.print(table)


@correction_group.command(name="show")
@click.argument("correction_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable on stdout.")
def show(correction_id: int, as_json: bool) -> None:
    """One correction: its changes and every step with who, when and why."""
    from service.corrections import show_correction

    obj = _obj()
    with _guard(obj.home):
        view = show_correction(obj.ctx(), correction_id)
        if as_json:
            _echo_json(view.to_json())
            return
        _print_correction(view)


def _print_correction(v: CorrectionView) -> None:
    out.print(
        f"Đề nghị đính chính số {v.id} — hồ sơ {escape(v.document_id)} phiên bản {v.version}: "
        f"{v.state.label}"
    )
    out.print(f"  Lý do: {escape(v.reason)}")
    for e in v.edits:
        out.print(f"  {escape(e.target)}: «{escape(e.old)}» → «{escape(e.new)}»")
    for s in v.steps:
        role = f" ({_ROLE_LABELS.get(s.role, s.role)})" if s.role else ""
        note = f" — {escape(s.note)}" if s.note else ""
        out.print(
            f"  {s.at:%d/%m/%Y %H:%M} {_STEP_LABELS.get(s.step, s.step)}{role}: "
            f"{escape(s.actor)}{note}"
        )
    for document_id, version in v.new_versions:
        out.print(f"  → {escape(document_id)} phiên bản {version}")


@cli.command(name="history")
@click.argument("document_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable on stdout.")
def history(document_id: str, as_json: bool) -> None:
    """A record's whole chain: versions, signatures, corrections and archive packages."""
    from service.corrections import record_history

    obj = _obj()
    with _guard(obj.home):
        found = record_history(obj.ctx(), document_id)
        if as_json:
            _echo_json(found.to_json())
            return
        _print_history(found)


def _print_history(h: RecordHistory) -> None:
    out.print(f"Hồ sơ {escape(h.document_id)}")
    for v in h.versions:
        links = []
        if v.supersedes is not None:
            links.append(f"thay thế phiên bản {v.supersedes} (đính chính số {v.correction_id})")
        if v.superseded_by is not None:
            links.append(f"được thay thế bởi phiên bản {v.superseded_by}")
        link = f" — {', '.join(links)}" if links else ""
        out.print(
            f"Phiên bản {v.version}: {escape(v.state)}, kết xuất {v.created_at:%d/%m/%Y %H:%M}, "
            f"SHA-256 {v.sha256[:16]}…{link}"
        )
        for s in v.signatures:
            out.print(f"  ký {escape(s.field)}: {escape(s.signer)} lúc {s.at:%d/%m/%Y %H:%M}")
        if v.timestamped:
            out.print("  dấu thời gian lưu trữ (B-LTA)")
        if v.archive is not None:
            where = v.archive.index_key or "(đang lưu trữ)"
            out.print(
                f"  lưu trữ {v.archive.archived_at:%d/%m/%Y %H:%M} bởi "
                f"{escape(v.archive.archived_by)}: {escape(where)}"
            )
    for c in h.corrections:
        _print_correction(c)
