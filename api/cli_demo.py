"""``hsdt demo``: the school year played through the service layer by the school's people
(service/demo.py, docs/demo.md), one printed line per step with who did it.

    hsdt demo [--seed 2026] [--primary-classes 1] [--secondary-classes 1] [--workers 2] [--no-sign]
"""

from __future__ import annotations

import click
from rich.markup import escape

from api.cli import _guard, _obj, _progress, cli, err, out
from service.context import Context
from service.demo import DemoResult

LABELS = {
    "sample": "Tạo dữ liệu trường mẫu",
    "check": "Kiểm tra dữ liệu",
    "accounts": "Tạo tài khoản cá nhân, gắn chứng thư số",
    "import": "Nhập dữ liệu năm học",
    "confirm": "Xác nhận dữ liệu lớp",
    "render": "Tính kết quả, kết xuất PDF/A",
    "sign": "Ký số theo kế hoạch ký",
    "sign.teachers": "Ký: giáo viên bộ môn",
    "sign.homeroom": "Ký: giáo viên chủ nhiệm",
    "sign.principal": "Ký duyệt: hiệu trưởng",
    "sign.seal": "Ký: con dấu số của trường",
    "sign.classes": "từng lớp — giáo viên, chủ nhiệm, hiệu trưởng, con dấu",
    "lock": "Khoá sổ cuối năm học",
    "archive": "Kiểm tra chữ ký và lưu trữ",
    "audit": "Kiểm tra toàn vẹn kho lưu trữ",
    "correction": "Đính chính sau khoá sổ",
    "resign": "Ký lại phiên bản đính chính",
    "resign.teachers": "Ký lại: giáo viên bộ môn",
    "resign.homeroom": "Ký lại: giáo viên chủ nhiệm",
    "resign.principal": "Ký lại: hiệu trưởng",
    "resign.seal": "Ký lại: con dấu số",
    "rearchive": "Lưu trữ phiên bản đính chính",
    "export": "Xuất gói hồ sơ cho học sinh",
    "public": "Xác minh công khai một hồ sơ",
    "second.sample": "Trường thứ hai: dữ liệu mẫu",
    "second.accounts": "Trường thứ hai: tài khoản, chứng thư số",
    "second.import": "Trường thứ hai: nhập dữ liệu",
    "second.confirm": "Trường thứ hai: xác nhận lớp",
    "second.render": "Trường thứ hai: kết xuất PDF/A",
    "second.sign": "Trường thứ hai: ký số",
    "second.sign.teachers": "Trường thứ hai: giáo viên bộ môn ký",
    "second.sign.homeroom": "Trường thứ hai: giáo viên chủ nhiệm ký",
    "second.waiting": "Trường thứ hai: chờ ký duyệt",
    "anchor": "Neo nhật ký kiểm toán",
    "verify": "Kiểm tra nhật ký kiểm toán",
}


@cli.command()
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--primary-classes", type=click.IntRange(0, 40), default=1, show_default=True)
@click.option("--secondary-classes", type=click.IntRange(0, 40), default=1, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--no-sign", is_flag=True, help="Stop after rendering (no signatures).")
def demo(
    seed: int, primary_classes: int, secondary_classes: int, workers: int, no_sign: bool
) -> None:
    """The school year through the service layer, as its people would: accounts → import →
    confirm → render → sign → lock → archive → correction → export → public verification; then a
    second, small school left waiting for its principal's countersignature in the web app."""
    from service.demo import run_demo

    if primary_classes + secondary_classes == 0:
        raise click.UsageError("Cần ít nhất một lớp (--primary-classes/--secondary-classes).")
    obj = _obj()
    with _guard(obj.home):
        ctx = obj.ctx()
        with _progress() as bar:
            task = bar.add_task("Kết xuất PDF/A", total=None, visible=False)

            def on_step(name: str) -> None:
                err.print(f"• {LABELS[name]}…")
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
                    task, description=f"Ký: {LABELS['sign.' + step]}", completed=i, total=n
                ),
            )
        print_demo(ctx, result)
        failures = result.failures()
        for failure in failures:
            err.print(f"[red]✗[/] {escape(failure)}", markup=True)
        if failures:
            raise SystemExit(1)


def print_demo(ctx: Context, result: DemoResult) -> None:
    out.rule("hsdt demo — năm học qua tay từng người")
    for line in result.lines:
        out.print(
            f"{'✓' if line.changed else '='} {LABELS[line.step]} — {line.who} — {line.detail} "
            f"({line.seconds:.1f} s)",
            markup=False,
            soft_wrap=True,
        )
    total = sum(line.seconds for line in result.lines)
    out.print(
        f"Tổng: {total:.1f} s. (✓ ghi vào hệ thống trong lần chạy này; = không thay đổi gì: "
        "đã xong từ trước, hoặc chỉ kiểm tra.)"
    )
    if not result.changed:
        out.print("Chạy lại: mọi bước đã xong từ lần trước — không thay đổi gì.")
    for problem in [
        *(result.signing.problems if result.signing else []),
        *(result.resigning.problems if result.resigning else []),
    ][:10]:
        err.print(f"[yellow]![/] {escape(problem)}", markup=True)
    if result.public is not None:
        p = result.public
        out.rule("Xác minh công khai (POST /api/v1/verify)")
        out.print(f"Kết luận: {p.headline} — {p.explanation}", markup=False)
        for signer in p.signers:
            out.print(f"  ký: {signer}", markup=False)
        out.print(f"Kho lưu trữ: {p.archive}", markup=False)
    people = result.people
    if people is not None:
        _print_credentials(ctx, result)
    root = ctx.home.root.resolve()
    out.rule("Thử tiếp")
    out.print(f"  hsdt --home {root} serve", markup=False)
    out.print("  http://127.0.0.1:8000/            trang chủ: đăng nhập, hàng đợi ký của giáo viên")
    out.print("  http://127.0.0.1:8000/docs        tài liệu OpenAPI")
    out.print("  http://127.0.0.1:8000/xac-minh    xác minh một tệp PDF (công khai)")
    out.print(f"  hsdt --home {root} audit verify", markup=False)
    if result.exported is not None:
        out.print(f"Gói hồ sơ đã xuất: {result.exported.path}", markup=False)
    out.print(
        "Chứng thư số thử nghiệm (PKI phát triển) — KHÔNG có giá trị pháp lý, chỉ để chạy thử."
    )
    _print_countersign(ctx, result)


def _print_countersign(ctx: Context, result: DemoResult) -> None:
    """The last line: what the newcomer does next in the web app (issue 8's "seen working")."""
    second = result.second
    if second is None:
        return
    p = second.principal
    password = p.password or f"(xem {ctx.home.root.resolve() / 'demo-accounts.txt'})"
    who = f"{p.username} / {password} (Hiệu trưởng {p.full_name}, {second.ds.school.name})"
    if second.waiting:
        out.print(
            f"Ký duyệt thử: đăng nhập http://127.0.0.1:8000/ bằng {who} và ký duyệt lớp "
            f"{second.class_id} — {second.waiting} hồ sơ chờ Hiệu trưởng ký duyệt.",
            markup=False,
            soft_wrap=True,
        )
    else:
        out.print(
            f"Lớp {second.class_id} của {second.ds.school.name} đã được ký duyệt ({who}).",
            markup=False,
            soft_wrap=True,
        )


def _print_credentials(ctx: Context, result: DemoResult) -> None:
    from service.demo_accounts import CREDENTIALS_FILE

    people = result.people
    assert people is not None
    out.rule("Tài khoản mẫu — CHỈ DÙNG CHẠY THỬ")
    for person in (result.teacher, people.principal, people.admin):
        if person is None:
            continue
        password = person.password or "(xem tệp bên dưới)"
        out.print(f"  {person.username:<34} {password:<14} {person.roles}", markup=False)
    out.print(f"Mọi tài khoản: {ctx.home.root.resolve() / CREDENTIALS_FILE}", markup=False)
