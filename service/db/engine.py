"""Open the database and bring its schema to the newest Alembic revision; say plainly when the
database goes away (``database_unavailable``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from service.errors import HsdtError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def connect(url: str) -> Engine:
    sqlite = make_url(url).get_backend_name() == "sqlite"
    # pre-ping: a server connection that died while idle in the pool (server restart,
    # pg_terminate_backend, a network cut) is replaced at checkout instead of failing the next
    # statement; one that dies inside a transaction fails that transaction (rolled back).
    engine = create_engine(
        url,
        future=True,
        hide_parameters=True,  # no secrets in SQL logs
        pool_pre_ping=not sqlite,
    )
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class DatabaseUnavailable(HsdtError):
    """The database went away or stayed locked mid-command; its transaction was rolled back."""


def database_unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """The user's message for a lost or locked database, or None for any other error.

    Each use case commits whole transactions, so what was committed before stays and the one in
    flight was rolled back by the database: running the command again resumes."""
    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig).lower()
    if "database is locked" in text or "database is busy" in text:
        return DatabaseUnavailable(
            "Cơ sở dữ liệu đang bị một tiến trình khác khóa quá lâu; lệnh đã dừng, thao tác "
            "đang làm dở đã được hủy, những gì đã ghi trước đó vẫn trọn vẹn.",
            hint="Chờ tiến trình kia (một lệnh hsdt khác, một công cụ đang mở tệp cơ sở dữ liệu) "
            "kết thúc rồi chạy lại lệnh: lệnh sẽ tiếp tục từ chỗ đã dừng.",
        )
    if not exc.connection_invalidated and not _is_connection_failure(exc):
        return None
    return DatabaseUnavailable(
        "Mất kết nối tới cơ sở dữ liệu giữa chừng; lệnh đã dừng, thao tác đang làm dở đã được "
        "hủy, những gì đã ghi trước đó vẫn trọn vẹn.",
        hint="Kiểm tra máy chủ cơ sở dữ liệu (đang chạy, nhận kết nối, mạng) và HSDT_DATABASE_URL "
        "hoặc [database] url trong hsdt.toml, rồi chạy lại lệnh: lệnh sẽ tiếp tục từ chỗ đã "
        "dừng.",
    )


def _is_connection_failure(exc: DBAPIError) -> bool:
    """A connection refused or cut (the server is down, or refuses new connections)."""
    text = str(exc.orig).lower()
    return any(
        sign in text
        for sign in (
            "connection refused",
            "connection failed",
            "not currently accepting connections",
            "no route to host",
            "server closed the connection",
            "terminating connection",
            "connection is closed",
            "could not connect",
            "the database system is shutting down",
            "the database system is starting up",
            "consuming input failed",
        )
    )


def migrate(engine: Engine) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
