"""``hsdt serve``: the HTTP API (FastAPI under uvicorn) on the home, with the public verification
pages (``api/public``).

    hsdt serve [--host 127.0.0.1] [--port 8000] [--max-body-mib 20]

On a demo home without accounts, the demo's people get accounts first and their credentials are
printed (and kept in ``demo-accounts.txt`` in the home).
"""

from __future__ import annotations

import click
from sqlalchemy import func, select

from api.cli import _guard, _obj, cli, out
from service.context import Context
from service.db.account_models import AccountRow
from service.db.models import DatasetRow


def _demo_accounts(ctx: Context) -> None:
    from service.demo_accounts import CREDENTIALS_FILE, create_demo_accounts
    from service.importing import load_dataset

    if ctx.settings.pki_mode != "demo":
        return
    with ctx.sessions() as s:
        if s.scalar(select(func.count()).select_from(AccountRow)):
            return
        has_data = s.scalar(select(func.count()).select_from(DatasetRow))
    if not has_data:
        return
    _, ds = load_dataset(ctx)
    accounts = create_demo_accounts(ctx, ds)
    out.print("Tài khoản mẫu (chế độ thử — mỗi người một tài khoản):")
    for a in accounts:
        out.print(f"  {a.username:<32} {a.password:<14} {a.roles}", markup=False)
    out.print(f"(Đã lưu vào {ctx.home.root / CREDENTIALS_FILE}.)")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--max-body-mib",
    type=click.IntRange(1, 1024),
    default=20,
    show_default=True,
    help="Largest request body accepted (413 above).",
)
def serve(host: str, port: int, max_body_mib: int) -> None:
    """Serve the HTTP API (OpenAPI at /docs) on the home."""
    import uvicorn

    from api.app import create_app
    from api.http.state import ApiSettings

    obj = _obj()
    with _guard(obj.home):
        ctx = obj.ctx()
        _demo_accounts(ctx)
        app = create_app(ctx, settings=ApiSettings(max_body_bytes=max_body_mib * 1024 * 1024))
        out.print(f"API: http://{host}:{port}/api/v1 — tài liệu OpenAPI: http://{host}:{port}/docs")
        out.print(f"Trang cho cán bộ nhà trường: http://{host}:{port}/")
        uvicorn.run(app, host=host, port=port, log_level="info")
