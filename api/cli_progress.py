"""``hsdt progress``: how far the school year's records are (Article 11.3 progress reports).

    hsdt progress [--dataset N] [--class ID] [--teacher ID] [--by school|class|teacher|subject]
                  [--term 1|2|year] [--json]

Exit status: 0 the report was printed (however incomplete the records are: progress is
information, not a failure); 2 no dataset, or an unknown dataset, class or teacher.
"""

from __future__ import annotations

import json

import click
from rich.table import Table

from api.cli import _guard, _obj, cli, out
from records.progress import Term
from service.progress import GroupBy, ProgressReport, Share, progress_report

_COLUMNS = (
    ("Đã nhập", "entered"),
    ("Đã xác nhận", "confirmed"),
    ("Đã ký", "signed"),
    ("Đã lưu trữ", "archived"),
    ("Chữ ký", "signatures"),
)
LEGEND = (
    "Đã nhập: điểm và mức đánh giá đã có trên số phải có. "
    "Đã xác nhận: hồ sơ có chữ ký của giáo viên chủ nhiệm. "
    "Đã ký: hồ sơ đủ mọi chữ ký bắt buộc. "
    "Đã lưu trữ: hồ sơ đã vào kho lưu trữ lâu dài. "
    "Chữ ký: số ô ký đã ký trên số ô ký được giao. "
    "«—»: không có gì phải làm trong phạm vi này."
)


@cli.command()
@click.option(
    "--dataset", "dataset_id", type=int, default=None, help="Dataset number (default: newest)."
)
@click.option("--class", "class_id", default=None, help="Only this class id, e.g. 8A.")
@click.option("--teacher", "teacher_id", default=None, help="Only this teacher id, e.g. GV007.")
@click.option(
    "--by",
    type=click.Choice([g.value for g in GroupBy]),
    default=GroupBy.CLASS.value,
    show_default=True,
    help="One row per school, class, teacher or subject.",
)
@click.option(
    "--term",
    type=click.Choice([t.value for t in Term]),
    default=Term.YEAR.value,
    show_default=True,
    help="Term 1, term 2 or the whole year (monthly checks: the current term).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on stdout.")
def progress(
    dataset_id: int | None,
    class_id: str | None,
    teacher_id: str | None,
    by: str,
    term: str,
    as_json: bool,
) -> None:
    """Share of results entered, confirmed, signed and archived."""
    obj = _obj()
    with _guard(obj.home):
        report = progress_report(
            obj.ctx(),
            dataset_id=dataset_id,
            term=Term(term),
            by=GroupBy(by),
            class_id=class_id,
            teacher_id=teacher_id,
        )
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    out.print(_table(report))
    if not report.rows:
        out.print("Không có lớp, môn học hay giáo viên nào khớp với điều kiện lọc.")
    out.print(LEGEND, style="dim")


def _table(report: ProgressReport) -> Table:
    table = Table(
        title=(
            f"Tiến độ hồ sơ: {report.school}, năm học {report.school_year} — "
            f"{report.term.label} (bộ dữ liệu số {report.dataset_id})"
        )
    )
    table.add_column(report.by.label)
    for heading, _ in _COLUMNS:
        table.add_column(heading, justify="right")
    for row in report.rows:
        # teachers are looked up by id (--teacher), so show it; classes and subjects by name
        label = f"{row.label} ({row.key})" if report.by is GroupBy.TEACHER else row.label
        table.add_row(label, *(_cell(getattr(row, attr)) for _, attr in _COLUMNS))
    return table


def _cell(share: Share) -> str:
    # "—" when nothing is expected (e.g. no record book is due in term 1 for a secondary class)
    if share.percent is None:
        return "—"
    return f"{share.percent}%  {share.done}/{share.total}"
