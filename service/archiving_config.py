"""Which stores the archive uses: the ``[archive]`` table of hsdt.toml, opened into object stores.

The embedded default needs no table: a local store in the home's ``objects/``, 100-year
COMPLIANCE retention, no second copy. S3 stores authenticate through the standard AWS credential
chain (environment, shared files, a named ``profile``); hsdt.toml never holds a secret.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from archive import (
    ArchiveConfig,
    LocalStoreConfig,
    ObjectStore,
    RetentionPolicy,
    S3Config,
    StoreConfig,
    StoreFailure,
    archive_config_from_mapping,
)
from service.context import Context
from service.errors import HomeError
from service.home import Home

__all__ = [
    "ArchiveStores",
    "BucketOutcome",
    "archive_config",
    "describe_store",
    "init_buckets",
    "open_archive",
]


def archive_config(home: Home) -> ArchiveConfig:
    """The ``[archive]`` table of the home's hsdt.toml (absent: the embedded default)."""
    try:
        data: dict[str, Any] = tomllib.loads(home.config_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise HomeError(
            f"Không đọc được {home.config_path}: {exc}",
            hint="Sửa tệp cấu hình hoặc khôi phục nó từ bản sao.",
        ) from exc
    table = data.get("archive", {})
    if not isinstance(table, dict):
        raise HomeError(f"{home.config_path}: [archive] phải là một bảng TOML.")
    return archive_config_from_mapping(table)


def describe_store(config: StoreConfig, home: Home) -> str:
    """Where a store is, for messages and ``hsdt archive status``, without connecting to it."""
    if isinstance(config, LocalStoreConfig):
        return f"kho cục bộ {config.path(home.root)}"
    where = f" tại {config.endpoint_url}" if config.endpoint_url else ""
    return f"s3://{config.bucket}{where}"


@dataclass(frozen=True)
class ArchiveStores:
    """The opened stores of one command. ``replica_problem`` says why a configured second copy
    could not be opened (archiving then goes on and replication waits for the next run)."""

    primary: ObjectStore
    replica: ObjectStore | None
    retention: RetentionPolicy
    replica_problem: str | None = None


def open_archive(ctx: Context, *, replica_required: bool = True) -> ArchiveStores:
    """Open the configured stores (S3 buckets are checked for versioning and Object Lock).

    A primary that cannot be opened raises (``StoreFailure``). So does the replica when
    ``replica_required``; otherwise its problem is kept in ``replica_problem``.
    """
    config = archive_config(ctx.home)
    primary = _open(ctx, config.primary)
    if config.replica is None:
        return ArchiveStores(primary, None, config.retention)
    try:
        replica = _open(ctx, config.replica)
    except StoreFailure as exc:
        if replica_required:
            raise
        return ArchiveStores(primary, None, config.retention, replica_problem=exc.message)
    return ArchiveStores(primary, replica, config.retention)


def _open(ctx: Context, config: StoreConfig) -> ObjectStore:
    from archive.stores import open_store  # boto3 loads only when a store is really opened

    return open_store(config, home_root=ctx.home.root, now=ctx.clock.now)


@dataclass(frozen=True)
class BucketOutcome:
    store: str
    message: str


def init_buckets(ctx: Context) -> list[BucketOutcome]:
    """Create every configured S3 bucket with Object Lock and versioning (an existing bucket of
    ours is only checked), and the folder of every local store."""
    config = archive_config(ctx.home)
    outcomes = []
    for store in (config.primary, config.replica):
        if store is None:
            continue
        name = describe_store(store, ctx.home)
        if isinstance(store, S3Config):
            from archive.s3_store import create_bucket

            create_bucket(store)
            message = "bucket sẵn sàng: Object Lock và versioning đã bật"
        else:
            _open(ctx, store)
            message = "thư mục kho cục bộ sẵn sàng (không cần bucket)"
        outcomes.append(BucketOutcome(name, message))
    return outcomes
