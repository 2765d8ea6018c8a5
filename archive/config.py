"""Archive settings as plain data, and their reading from the ``[archive]`` table of hsdt.toml.

Example (the embedded default needs no table at all)::

    [archive]
    retention_years = 100      # 1..100; 100 = "permanent"
    legal_hold = false

    [archive.primary]
    kind = "local"
    directory = "objects"      # relative to the home

    [archive.replica]          # optional second copy
    kind = "s3"
    bucket = "hsdt-ban-xeo"
    endpoint_url = "https://s3.example.vn"
    region = "hn-1"
    path_style = true
    profile = "hsdt"           # optional; otherwise the standard AWS credential chain
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any

from archive.errors import StoreMisconfigured
from archive.retention import DEFAULT_YEARS, RetentionPolicy


@dataclass(frozen=True)
class LocalStoreConfig:
    """A directory inside the home; stored relative so the home can move."""

    directory: str = "objects"

    def __post_init__(self) -> None:
        path = PurePosixPath(self.directory)
        if path.is_absolute() or ".." in path.parts or not self.directory.strip():
            raise StoreMisconfigured(
                f"thư mục lưu trữ {self.directory!r} phải là đường dẫn tương đối bên trong "
                "thư mục home.",
                hint='Ví dụ: directory = "objects".',
            )

    def path(self, home_root: Path) -> Path:
        return home_root / self.directory


@dataclass(frozen=True)
class S3Config:
    """An S3 bucket. No secrets here: credentials come from the standard AWS chain."""

    bucket: str
    endpoint_url: str | None = None  # None: AWS; otherwise MinIO, Ceph RGW, a provider's URL
    region: str | None = None
    path_style: bool = False  # most self-hosted servers need path-style addressing
    profile: str | None = None  # a named profile in ~/.aws; None: the default chain
    ca_bundle: str | None = None  # a private CA for the endpoint's TLS certificate
    max_attempts: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0

    def __post_init__(self) -> None:
        if not 3 <= len(self.bucket) <= 63:
            raise StoreMisconfigured(f"tên bucket S3 {self.bucket!r} phải dài từ 3 đến 63 kí tự.")


StoreConfig = LocalStoreConfig | S3Config


@dataclass(frozen=True)
class ArchiveConfig:
    primary: StoreConfig = field(default_factory=LocalStoreConfig)
    replica: StoreConfig | None = None
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)


def archive_config_from_mapping(table: Mapping[str, Any]) -> ArchiveConfig:
    """Read the ``[archive]`` table; errors name the offending setting."""
    try:
        retention = RetentionPolicy(
            years=int(table.get("retention_years", DEFAULT_YEARS)),
            legal_hold=bool(table.get("legal_hold", False)),
        )
    except ValueError as exc:
        raise StoreMisconfigured(f"[archive] trong hsdt.toml: {exc}.") from None
    primary = table.get("primary")
    replica = table.get("replica")
    return ArchiveConfig(
        primary=_store_config(primary, "archive.primary") if primary else LocalStoreConfig(),
        replica=_store_config(replica, "archive.replica") if replica else None,
        retention=retention,
    )


def _store_config(table: Mapping[str, Any], where: str) -> StoreConfig:
    kind = table.get("kind")
    settings = {k: v for k, v in table.items() if k != "kind"}
    cls: type[LocalStoreConfig] | type[S3Config]
    if kind == "local":
        cls = LocalStoreConfig
    elif kind == "s3":
        cls = S3Config
    else:
        raise StoreMisconfigured(
            f'[{where}] trong hsdt.toml: kind phải là "local" hoặc "s3", không phải {kind!r}.'
        )
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise StoreMisconfigured(
            f"[{where}] trong hsdt.toml: không biết thiết lập {', '.join(unknown)}.",
            hint=f'Các thiết lập của kind = "{kind}": {", ".join(sorted(known))}.',
        )
    missing = sorted(
        f.name
        for f in fields(cls)
        if f.default is MISSING and f.default_factory is MISSING and f.name not in settings
    )
    if missing:
        raise StoreMisconfigured(
            f"[{where}] trong hsdt.toml: thiếu thiết lập bắt buộc {', '.join(missing)}."
        )
    for f in fields(cls):
        if f.name in settings and not _type_fits(settings[f.name], f.default):
            raise StoreMisconfigured(
                f"[{where}] trong hsdt.toml: {f.name} = {settings[f.name]!r} không đúng kiểu "
                f"(cần {_type_name(f.default)})."
            )
    return cls(**settings)


def _type_fits(value: object, default: object) -> bool:
    if default is None or default is MISSING:  # optional or required text
        return isinstance(value, str)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, type(default)) and not isinstance(value, bool)


def _type_name(default: object) -> str:
    if isinstance(default, bool):
        return "true/false"
    if isinstance(default, int | float):
        return "một số"
    return "một chuỗi"
