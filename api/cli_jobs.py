"""``hsdt jobs`` and ``hsdt worker``: durable bulk jobs (import, render, sign, archive).

    hsdt jobs submit import FILE… [--school CODE]
    hsdt jobs submit render|archive (--school CODE | --class ID …) [--dataset N]
    hsdt jobs submit sign (--school CODE | --class ID …) --as ID (--p12 F --passphrase-file F
                     | --dev-pki) [--level B-LT]
    hsdt jobs status [ID] [--json] [--limit N --offset N]
    hsdt jobs resume ID [--force]
    hsdt jobs cancel ID
    hsdt worker [--processes N] [--threads N]

With ``[jobs] engine = "inprocess"`` (default) ``submit`` and ``resume`` run the job before they
return; with ``"dramatiq"`` they queue it for ``hsdt worker`` processes and return its id.
Exit status: 0 the job is done (or queued); 1 it finished with failed tasks (listed); 2 the
request was refused (scope, key, configuration), nothing created.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from api.cli import _guard, _obj, _progress, cli, err, out
from service.context import Context
from service.errors import HsdtError
from service.jobs import (
    JobKind,
    JobState,
    JobStatus,
    KeyRef,
    TaskState,
    cancel_job,
    job_status,
    list_jobs,
    resume_job,
    run_job,
    submit_job,
)

STATE_LABELS = {
    JobState.QUEUED: "Chờ chạy",
    JobState.RUNNING: "[yellow]Đang chạy[/]",
    JobState.DONE: "[green]Xong[/]",
    JobState.FAILED: "[red]Có lỗi[/]",
    JobState.CANCELLED: "Đã huỷ",
}
TASK_LABELS = {
    TaskState.PENDING: "Chờ",
    TaskState.RUNNING: "[yellow]Đang chạy[/]",
    TaskState.DONE: "[green]Xong[/]",
    TaskState.FAILED: "[red]Lỗi[/]",
}
TASK_LIMIT = 40  # tasks listed one by one; beyond, only failures


def _requested_by(ctx: Context, by: str | None) -> Context:
    if by is None:
        return ctx
    name = " ".join(by.split())
    if not name or len(name) > 128:
        raise click.BadParameter("cần một tên, tối đa 128 kí tự.", param_hint="--by")
    return replace(ctx, actor=name)


def _key(ctx: Context, p12: Path | None, passphrase_file: Path | None, dev_pki: bool) -> KeyRef:
    if dev_pki:
        if p12 is not None:
            raise click.UsageError("Chọn đúng một nguồn khoá: --p12 FILE hoặc --dev-pki.")
        return KeyRef("dev-pki")
    if p12 is None or passphrase_file is None:
        raise click.UsageError(
            "Công việc ký cần --p12 FILE và --passphrase-file FILE (mọi máy xử lý tự đọc mật "
            "khẩu từ tệp), hoặc --dev-pki ở chế độ thử."
        )
    return KeyRef("p12", KeyRef.reference(ctx, p12), KeyRef.reference(ctx, passphrase_file))


def _print_status(status: JobStatus, *, tasks: bool) -> None:
    scope = status.school_code or "—"
    if status.class_ids:
        scope += f" / lớp {', '.join(status.class_ids)}"
    out.print(
        f"Công việc số {status.id}: {status.kind.label} — {scope} — {STATE_LABELS[status.state]}",
        markup=True,
    )
    out.print(
        f"  {status.done}/{status.total} xong, {status.failed} lỗi, {status.running} đang chạy, "
        f"{status.pending} chờ (yêu cầu bởi {escape(status.requested_by)})"
    )
    if not tasks or not status.tasks:
        return
    shown = [
        t for t in status.tasks if len(status.tasks) <= TASK_LIMIT or t.state is TaskState.FAILED
    ]
    if not shown:
        return
    table = Table("Việc", "Trạng thái", "Lần", "Kết quả")
    for t in shown:
        table.add_row(
            escape(t.subject),
            TASK_LABELS[t.state],
            str(t.attempts),
            escape(t.error or t.outcome),
        )
    out.print(table)


def _run_here(ctx: Context, job_id: int, *, resume: bool = False, force: bool = False) -> JobStatus:
    total = job_status(ctx, job_id, with_tasks=False).total
    with _progress() as bar:
        task = bar.add_task(f"Công việc số {job_id}", total=total)
        done = [job_status(ctx, job_id, with_tasks=False)]

        def tick() -> None:
            done[0] = job_status(ctx, job_id, with_tasks=False)
            bar.update(task, completed=done[0].done + done[0].failed)

        if resume:
            outcome = resume_job(ctx, job_id, force=force, tick=tick)
            _print_resume(outcome.retried, outcome.reclaimed, outcome.held)
            return outcome.status
        return run_job(ctx, job_id, tick=tick)


def _print_resume(retried: int, reclaimed: int, held: int) -> None:
    err.print(
        f"Chạy lại: {retried} việc lỗi, {reclaimed} việc của máy xử lý đã dừng"
        + (f"; {held} việc vẫn đang được xử lý" if held else "")
        + "."
    )


def _finish(status: JobStatus, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(status.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_status(status, tasks=status.finished)
        if status.state.active and status.pending:
            out.print(f"Theo dõi: «hsdt jobs status {status.id}».")
        if status.state is JobState.FAILED:
            out.print(f"Sửa nguyên nhân rồi chạy lại các việc lỗi: «hsdt jobs resume {status.id}».")
    sys.exit(1 if status.state is JobState.FAILED else 0)


@cli.group(name="jobs")
def jobs() -> None:
    """Bulk jobs: import a school; render, sign or archive a class or a school."""


@jobs.command()
@click.argument("kind", type=click.Choice([k.value for k in JobKind]))
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--school", default=None, help="School code: the whole school.")
@click.option("--class", "classes", multiple=True, help="Only these class ids (repeatable).")
@click.option("--dataset", "dataset_id", type=int, default=None, help="Render: dataset number.")
@click.option(
    "--year",
    default=None,
    help="Sign/archive: one school year (sign: default the newest; archive: every year).",
)
@click.option("--as", "person_id", default=None, help="Sign: who signs (teacher id, school code).")
@click.option("--p12", type=click.Path(dir_okay=False, path_type=Path), help="Sign: PKCS#12 file.")
@click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sign: file whose first line is the .p12 passphrase (read by every worker).",
)
@click.option("--dev-pki", is_flag=True, help="Sign: the key from the home's development PKI.")
@click.option(
    "--level", type=click.Choice(["B-B", "B-T", "B-LT"]), default="B-LT", show_default=True
)
@click.option("--by", "requested_by", default=None, help="Who asks, for the log.")
@click.option("--json", "as_json", is_flag=True, help="The job's status as JSON on stdout.")
def submit(
    kind: str,
    files: tuple[Path, ...],
    school: str | None,
    classes: tuple[str, ...],
    dataset_id: int | None,
    year: str | None,
    person_id: str | None,
    p12: Path | None,
    passphrase_file: Path | None,
    dev_pki: bool,
    level: str,
    requested_by: str | None,
    as_json: bool,
) -> None:
    """Create a job (one task per document or file) and run it, or queue it for the workers."""
    obj = _obj()
    with _guard(obj.home):
        ctx = _requested_by(obj.ctx(), requested_by)
        job_kind = JobKind(kind)
        if files and job_kind is not JobKind.IMPORT:
            raise click.UsageError("Chỉ công việc nhập dữ liệu (import) nhận tệp.")
        key = _key(ctx, p12, passphrase_file, dev_pki) if job_kind is JobKind.SIGN else None
        job_id = submit_job(
            ctx,
            job_kind,
            school=school,
            classes=classes,
            dataset_id=dataset_id,
            year=year,
            person_id=person_id,
            key=key,
            level=level,
            files=files,
        )
        err.print(f"Đã tạo công việc số {job_id}.")
        if ctx.settings.jobs.engine == "inprocess":
            status = _run_here(ctx, job_id)
        else:
            status = run_job(ctx, job_id)
            err.print(f"Đã gửi tới hàng đợi; «hsdt worker» sẽ xử lý ({status.total} việc).")
        _finish(status, as_json)


@jobs.command()
@click.argument("job_id", type=int, required=False)
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable on stdout.")
def status(job_id: int | None, limit: int, offset: int, as_json: bool) -> None:
    """One job's progress and tasks, or the newest jobs."""
    obj = _obj()
    with _guard(obj.home):
        ctx = obj.ctx()
        if job_id is not None:
            one = job_status(ctx, job_id)
            if as_json:
                click.echo(json.dumps(one.to_json(), ensure_ascii=False, indent=2))
            else:
                _print_status(one, tasks=True)
            return
        page, total = list_jobs(ctx, limit=limit, offset=offset)
        if as_json:
            body = {"total": total, "jobs": [j.to_json() for j in page]}
            click.echo(json.dumps(body, ensure_ascii=False, indent=2))
            return
        if not page:
            out.print("Chưa có công việc nào.")
            return
        table = Table("Số", "Loại", "Phạm vi", "Trạng thái", "Xong", "Lỗi", "Tổng", "Tạo lúc")
        for j in page:
            scope = (j.school_code or "—") + (f" / {','.join(j.class_ids)}" if j.class_ids else "")
            table.add_row(
                str(j.id),
                j.kind.label,
                escape(scope),
                STATE_LABELS[j.state],
                str(j.done),
                str(j.failed),
                str(j.total),
                j.created_at.strftime("%Y-%m-%d %H:%M"),
            )
        out.print(table)
        if total > offset + len(page):
            out.print(
                f"Còn {total - offset - len(page)} công việc cũ hơn: --offset {offset + limit}."
            )


@jobs.command()
@click.argument("job_id", type=int)
@click.option(
    "--force",
    is_flag=True,
    help="Take over running tasks now, without waiting for their lease (every worker is stopped).",
)
@click.option("--json", "as_json", is_flag=True, help="The job's status as JSON on stdout.")
def resume(job_id: int, force: bool, as_json: bool) -> None:
    """Run a job's unfinished tasks again: failed ones, and those of workers that died."""
    obj = _obj()
    with _guard(obj.home):
        ctx = obj.ctx()
        if ctx.settings.jobs.engine == "inprocess":
            result = _run_here(ctx, job_id, resume=True, force=force)
        else:
            outcome = resume_job(ctx, job_id, force=force)
            _print_resume(outcome.retried, outcome.reclaimed, outcome.held)
            result = outcome.status
        _finish(result, as_json)


@jobs.command()
@click.argument("job_id", type=int)
def cancel(job_id: int) -> None:
    """Stop a job: no further task starts; tasks running now finish their document."""
    obj = _obj()
    with _guard(obj.home):
        result = cancel_job(obj.ctx(), job_id)
        out.print(
            f"Đã huỷ công việc số {job_id}: {result.done}/{result.total} xong, "
            f"{result.running} việc đang chạy sẽ làm xong hồ sơ của mình."
        )


@cli.command()
@click.option(
    "--processes", type=click.IntRange(1, 256), default=None, help="Default: [jobs] workers."
)
@click.option("--threads", type=click.IntRange(1, 64), default=1, show_default=True)
def worker(processes: int | None, threads: int) -> None:
    """Run Dramatiq worker processes for this home's jobs (until stopped with Ctrl-C/SIGTERM)."""
    obj = _obj()
    with _guard(obj.home):
        settings = obj.ctx().settings.jobs
        if settings.engine != "dramatiq":
            raise HsdtError(
                'Máy xử lý chỉ cần khi [jobs] engine = "dramatiq"; home này chạy công việc '
                "ngay trong lệnh gửi (inprocess).",
                hint="Sửa mục [jobs] trong hsdt.toml (xem docs/jobs.md).",
            )
        obj.close()
    env = dict(os.environ)
    env["HSDT_HOME"] = str(obj.home.resolve())
    env.setdefault("dramatiq_queue_prefetch", "1")  # one document at a time: fair between workers
    argv = [
        sys.executable,
        "-m",
        "dramatiq",
        "service.jobs.dramatiq_worker",
        "--processes",
        str(processes or settings.workers),
        "--threads",
        str(threads),
        "--queues",
        "hsdt-jobs",
    ]
    os.execve(sys.executable, argv, env)  # signals reach the dramatiq master directly
