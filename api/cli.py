"""The ``hsdt`` command line: parse, call the service core, print, map errors to exit codes.

Exit codes: 0 success; 1 the input or the document did not pass (findings printed); 2 a usage or
environment error the user can fix (message printed); 3 an internal error (details in the home's
logs/, never a traceback on screen).
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.context import Context
from service.errors import HsdtError
from service.home import resolve_home

F = TypeVar("F", bound=Callable[..., Any])

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

RECORD_LABELS = {
    "hoc-ba-trung-hoc": "Học bạ THCS/THPT",
    "hoc-ba-tieu-hoc": "Học bạ tiểu học",
    "bang-tong-hop": "Bảng tổng hợp kết quả đánh giá",
    "so-theo-doi": "Sổ theo dõi và đánh giá học sinh",
}


def _user_errors() -> tuple[type[Exception], ...]:
    """Errors that carry a message meant for the user (each package's root error)."""
    from records.template import TemplateError
    from render import RenderError
    from signing.errors import SigningError
    from signing.plans import PlanError, PlanViolation

    return (HsdtError, RenderError, SigningError, PlanViolation, PlanError, TemplateError)


@contextmanager
def _guard(home: Path | None) -> Iterator[None]:
    try:
        yield
    except click.exceptions.Exit:
        raise
    except click.ClickException:
        raise
    except KeyboardInterrupt:
        err.print("Đã dừng theo yêu cầu (Ctrl-C). Những gì đã ghi đều trọn vẹn.")
        sys.exit(130)
    except _user_errors() as exc:
        err.print(f"[bold red]Lỗi:[/] {escape(str(exc))}", markup=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except Exception as exc:
        from service.db.engine import database_unavailable

        gone = database_unavailable(exc)  # the database went away: the user can fix that
        if gone is not None:
            err.print(f"[bold red]Lỗi:[/] {escape(str(gone))}", markup=True)
            sys.exit(gone.exit_code)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        log_dir = (home or Path(".")) / "logs"
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            log = log_dir / f"internal-error-{stamp}.txt"
            log.write_text(traceback.format_exc(), encoding="utf-8")
            where = str(log)
        except OSError:
            where = "(không ghi được tệp nhật ký)"
        err.print(
            "[bold red]Lỗi nội bộ của hsdt[/] — dữ liệu đã ghi vẫn trọn vẹn. "
            f"Chi tiết kỹ thuật: {where}. Xin gửi tệp này cho bộ phận hỗ trợ.",
            markup=True,
        )
        sys.exit(3)


class _Obj:
    def __init__(self, home: Path) -> None:
        self.home = home
        self._ctx: Context | None = None

    def ctx(self) -> Context:
        if self._ctx is None:
            self._ctx = Context.open(self.home)
        return self._ctx

    def close(self) -> None:
        if self._ctx is not None:
            self._ctx.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    "home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Home directory (default: $HSDT_HOME or ./hsdt-home).",
)
@click.version_option(package_name="hsdt")
@click.pass_context
def cli(click_ctx: click.Context, home: Path | None) -> None:
    """hsdt — signed, permanently archived electronic school records (hồ sơ điện tử)."""
    obj = _Obj(resolve_home(str(home) if home else None))
    click_ctx.obj = obj
    click_ctx.call_on_close(obj.close)


def _obj() -> _Obj:
    obj = click.get_current_context().obj
    assert isinstance(obj, _Obj)
    return obj


# ---------------------------------------------------------------------------- check / import


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on stdout.")
def check(file: Path, as_json: bool) -> None:
    """Validate FILE (.json, .xlsx, .csv) and show every finding and the computed results.

    Nothing is stored. Exit status 1 when the file has errors.
    """
    from api.report_text import format_check_report
    from records.check import check_file

    with _guard(None):
        report = check_file(file)
        if as_json:
            click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2, default=str))
        else:
            click.echo(format_check_report(report))
        sys.exit(0 if report.ok else 1)


@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_(file: Path) -> None:
    """Check FILE and store it when it has no errors (warnings are stored with it)."""
    from api.report_text import format_check_report
    from service.importing import RejectedImport, import_file

    obj = _obj()
    with _guard(obj.home):
        try:
            outcome = import_file(obj.ctx(), file)
        except RejectedImport as exc:
            click.echo(format_check_report(exc.report))
            raise
        verb = "Đã nhập" if outcome.created else "Dữ liệu này đã có, không nhập lại"
        out.print(
            f"{verb}: bộ dữ liệu số {outcome.dataset_id} (SHA-256 {outcome.sha256[:12]}…), "
            f"{len(outcome.warnings)} cảnh báo."
        )


# ---------------------------------------------------------------------------- sample / template


@cli.command()
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the JSON (default: samples/ in the home).",
)
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--primary-classes", type=click.IntRange(0, 40), default=1, show_default=True)
@click.option("--secondary-classes", type=click.IntRange(0, 40), default=1, show_default=True)
@click.option("--year", "school_year", default="2025-2026", show_default=True)
def sample(
    out_path: Path | None, seed: int, primary_classes: int, secondary_classes: int, school_year: str
) -> None:
    """Generate a realistic, seeded sample school as a canonical JSON file."""
    from records.canonical import dataset_to_json
    from records.sample import generate_school
    from service.files import write_atomic

    obj = _obj()
    with _guard(obj.home):
        ds = generate_school(
            seed=seed,
            primary_classes=primary_classes,
            secondary_classes=secondary_classes,
            school_year=school_year,
        )
        if out_path is None:
            out_path = obj.ctx().home.root / "samples" / f"{ds.school.code}-{ds.school_year}.json"
        write_atomic(out_path, dataset_to_json(ds))
        students = sum(len(c.students) for c in ds.classes)
        out.print(f"{ds.school.name}: {len(ds.classes)} lớp, {students} học sinh → {out_path}")


@cli.command()
@click.argument("kind", type=click.Choice(["xlsx", "csv", "schema"]))
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--grade",
    type=click.IntRange(1, 12),
    default=8,
    show_default=True,
    help="Grade (khối lớp) the template is for.",
)
@click.option("--subject", default="TOAN", show_default=True, help="Subject code (csv only).")
@click.option(
    "--from-dataset",
    is_flag=True,
    help="Pre-fill with the newest stored dataset (xlsx: its first class of that grade).",
)
def template(kind: str, out_path: Path, grade: int, subject: str, from_dataset: bool) -> None:
    """Write an empty (or pre-filled) score-sheet template, or the JSON Schema."""
    from records import template as templates
    from records.schema import write_schema

    obj = _obj()
    with _guard(obj.home):
        if kind == "schema":
            write_schema(out_path)
        else:
            dataset = None
            if from_dataset:
                from service.importing import load_dataset

                dataset = load_dataset(obj.ctx())[1]
            if kind == "xlsx":
                templates.write_xlsx_template(out_path, grade=grade, dataset=dataset)
            else:
                templates.write_csv_template(
                    out_path, grade=grade, subject=subject, dataset=dataset
                )
        out.print(f"Đã ghi {out_path}")


# ---------------------------------------------------------------------------- render


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


@cli.command()
@click.option(
    "--dataset", "dataset_id", type=int, default=None, help="Dataset number (default: newest)."
)
@click.option("--class", "classes", multiple=True, help="Only these class ids (repeatable).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option(
    "--confirm", is_flag=True, help="Confirm the classes' data first (as «hsdt confirm» does)."
)
def render(dataset_id: int | None, classes: tuple[str, ...], workers: int, confirm: bool) -> None:
    """Render every record book of a stored dataset to PDF/A-3b in the home (the classes' data
    must be confirmed: «hsdt confirm CLASS», or --confirm)."""
    from service.importing import load_dataset
    from service.rendering import render_dataset

    obj = _obj()
    with _guard(obj.home):
        ctx = obj.ctx()
        ds_id, ds = load_dataset(ctx, dataset_id)
        with _progress() as bar:
            task = bar.add_task("Kết xuất PDF/A", total=None)
            summary = render_dataset(
                ctx,
                ds_id,
                ds,
                workers=workers,
                only=classes or None,
                progress=lambda i, n: bar.update(task, completed=i, total=n),
                confirm_as=ctx.actor if confirm else None,
            )
        _print_render_summary(summary, ctx.home.records_dir)


def _print_render_summary(summary: Any, records_dir: Path) -> None:
    table = Table(title="Hồ sơ đã kết xuất (PDF/A-3b)")
    table.add_column("Loại hồ sơ")
    table.add_column("Mới", justify="right")
    table.add_column("Không đổi", justify="right")
    for key, label in RECORD_LABELS.items():
        new, same = summary.rendered.get(key, 0), summary.unchanged.get(key, 0)
        if new or same:
            table.add_row(label, str(new), str(same))
    out.print(table)
    out.print(f"{summary.total} hồ sơ, {summary.pages} trang → {records_dir}")


# ---------------------------------------------------------------------------- verify


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on stdout.")
@click.option(
    "--trust-root",
    "trust_roots",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A trusted root certificate (PEM/DER), in addition to the home's trust store.",
)
@click.option("--no-home", is_flag=True, help="Trust only the --trust-root files (no home needed).")
def verify(file: Path, as_json: bool, trust_roots: tuple[Path, ...], no_home: bool) -> None:
    """Verify every signature and timestamp of a signed PDF, offline.

    Exit status 0 only when every signature is intact, trusted and unchanged since, and the
    long-term (LTA) protection holds.
    """
    from service.trust import TrustStore, load_certificate, trust_store
    from signing.report_text import render_report
    from signing.verify import verify_pdf

    obj = _obj()
    with _guard(None if no_home else obj.home):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise HsdtError(f"Không đọc được tệp {file}: {exc.strerror}.") from exc
        if no_home:
            store = TrustStore(tuple(load_certificate(p) for p in trust_roots), False)
        else:
            store = trust_store(obj.ctx().home, trust_roots)
        if not store.roots:
            raise HsdtError(
                "Chưa có chứng thư gốc nào được tin cậy.",
                hint="Cấu hình [pki] trust_roots trong hsdt.toml hoặc dùng --trust-root FILE.",
            )
        report = verify_pdf(data, trust_roots=list(store.roots), demo_mode=store.demo_mode)
        if as_json:
            click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2, default=str))
        else:
            click.echo(render_report(report))
        sys.exit(0 if report.bottom_line else 1)


def main() -> None:
    # the importable module's group (under ``python -m api.cli`` this file is also ``__main__``,
    # and the command groups below register on ``api.cli.cli``, not on ``__main__.cli``)
    from api.cli import cli as group

    group(prog_name="hsdt")


def _register_command_groups() -> None:
    """Command groups living in their own modules register themselves on ``cli`` when imported."""
    import api.cli_archive
    import api.cli_audit
    import api.cli_corrections
    import api.cli_demo
    import api.cli_export
    import api.cli_jobs
    import api.cli_lifecycle
    import api.cli_progress
    import api.cli_remote
    import api.cli_serve
    import api.cli_sign  # noqa: F401


if __name__ == "__main__":  # pragma: no cover
    main()
else:
    _register_command_groups()
