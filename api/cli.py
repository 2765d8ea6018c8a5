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
    except Exception:
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
def render(dataset_id: int | None, classes: tuple[str, ...], workers: int) -> None:
    """Render every record book of a stored dataset to PDF/A-3b in the home."""
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


# ---------------------------------------------------------------------------- demo


@cli.command()
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--primary-classes", type=click.IntRange(0, 40), default=1, show_default=True)
@click.option("--secondary-classes", type=click.IntRange(0, 40), default=1, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--no-sign", is_flag=True, help="Stop after rendering (no signatures).")
def demo(
    seed: int, primary_classes: int, secondary_classes: int, workers: int, no_sign: bool
) -> None:
    """The main job: sample school → check → import → compute → render → sign → verify."""
    from service.demo import run_demo

    obj = _obj()
    with _guard(obj.home):
        ctx = obj.ctx()
        labels = {
            "sample": "Tạo dữ liệu trường mẫu",
            "check": "Kiểm tra dữ liệu",
            "import": "Nhập vào hệ thống",
            "render": "Tính kết quả và kết xuất PDF/A",
            "sign": "Ký số theo kế hoạch ký",
            "archive": "Kiểm tra chữ ký và lưu trữ (kèm bản sao thứ hai)",
            "audit": "Kiểm tra toàn vẹn kho lưu trữ",
            "anchor": "Neo nhật ký kiểm toán bằng dấu thời gian",
        }
        with _progress() as bar:
            task = bar.add_task("Kết xuất PDF/A", total=None, visible=False)

            def on_step(name: str) -> None:
                err.print(f"• {labels[name]}…")
                if name == "render":
                    bar.update(task, visible=True)

            result = run_demo(
                ctx,
                seed=seed,
                primary_classes=primary_classes,
                secondary_classes=secondary_classes,
                workers=workers,
                on_step=on_step,
                progress=lambda i, n: bar.update(task, completed=i, total=n),
                sign=not no_sign,
                on_signing=lambda step, i, n: bar.update(
                    task, description=f"Ký: {SIGN_STEPS[step]}", completed=i, total=n
                ),
            )
        _print_demo(ctx, result, labels)


def _print_demo(ctx: Context, result: Any, labels: dict[str, str]) -> None:
    from records.findings import Severity

    ds = result.check.dataset
    students = sum(len(c.students) for c in ds.classes) if ds else 0
    out.rule("hsdt demo")
    out.print(f"Trường: {ds.school.name if ds else '?'} — năm học {ds.school_year if ds else '?'}")
    out.print(f"Lớp: {len(ds.classes) if ds else 0}, học sinh: {students}")
    errors = sum(1 for f in result.check.findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in result.check.findings if f.severity is Severity.WARNING)
    out.print(f"Kiểm tra dữ liệu: {errors} lỗi, {warnings} cảnh báo ({result.sample_path})")
    _print_render_summary(result.rendered, ctx.home.records_dir)
    if result.signing is not None:
        _print_signing(result.signing)
    if result.archived is not None:
        _print_archive(result.archived, result.audit)
    if result.anchor is not None:
        a = result.anchor
        out.print(
            f"Nhật ký kiểm toán: {a.seq} mục nối chuỗi băm; mục cuối được neo bằng dấu thời gian "
            f"RFC 3161 ({a.tsa_name}) và lưu trữ tại {a.archive_key or '—'}. "
            "Kiểm tra: «hsdt audit verify»."
        )
    timing = Table(title="Thời gian")
    timing.add_column("Bước")
    timing.add_column("Giây", justify="right")
    for key, seconds in result.timings.items():
        timing.add_row(labels[key], f"{seconds:.2f}")
    timing.add_row("Tổng", f"{sum(result.timings.values()):.2f}")
    out.print(timing)
    out.print(f"Thư mục làm việc (home): {ctx.home.root.resolve()}")


SIGN_STEPS = {
    "teachers": "giáo viên bộ môn",
    "homeroom": "giáo viên chủ nhiệm",
    "principal": "hiệu trưởng ký duyệt",
    "seal": "chữ ký số của nhà trường",
}


def _print_archive(archived: Any, audit: Any) -> None:
    from service.archiving_report import Status

    done = archived.count(Status.ARCHIVED)
    refused = archived.count(Status.REFUSED) + archived.count(Status.FAILED)
    copies = sum(1 for d in archived.documents if d.replicated)
    out.print(
        f"Lưu trữ: {done} hồ sơ qua kiểm tra chữ ký số và được lưu vào {archived.primary}"
        + (f"; bản sao thứ hai: {archived.replica}" if archived.replica else "")
        + (f"; {refused} hồ sơ bị từ chối" if refused else "")
        + f" ({copies} bản sao)."
    )
    for d in archived.documents:
        if d.status in (Status.REFUSED, Status.FAILED):
            err.print(f"[yellow]![/] {escape(d.message)}", markup=True)
    if audit is not None:
        verdict = "ĐẠT" if audit.ok else "KHÔNG ĐẠT"
        out.print(f"Kiểm tra toàn vẹn kho lưu trữ: {verdict} — {audit.to_text().splitlines()[-1]}")


def _print_signing(summary: Any) -> None:
    table = Table(title="Ký số (PAdES B-LT, dấu thời gian lưu trữ B-LTA)")
    table.add_column("Bước")
    table.add_column("Chữ ký", justify="right")
    table.add_column("Giây", justify="right")
    for step, count in summary.signatures.items():
        label = SIGN_STEPS[step]
        if step == "seal":
            label += f" — {summary.seal_backend}"
        table.add_row(label, str(count), f"{summary.timings[step]:.2f}")
    out.print(table)
    out.print(
        f"Hồ sơ đã ký đủ theo kế hoạch: {summary.signed_documents}. Chứng thư số thử nghiệm "
        "(PKI phát triển) — KHÔNG có giá trị pháp lý, chỉ để chạy thử."
    )
    for problem in summary.problems[:10]:
        err.print(f"[yellow]![/] {escape(problem)}", markup=True)


def main() -> None:
    # the importable module's group (under ``python -m api.cli`` this file is also ``__main__``,
    # and the command groups below register on ``api.cli.cli``, not on ``__main__.cli``)
    from api.cli import cli as group

    group(prog_name="hsdt")


def _register_command_groups() -> None:
    """Command groups living in their own modules register themselves on ``cli`` when imported."""
    import api.cli_archive
    import api.cli_audit
    import api.cli_progress
    import api.cli_sign  # noqa: F401


if __name__ == "__main__":  # pragma: no cover
    main()
else:
    _register_command_groups()
