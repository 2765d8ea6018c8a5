"""The home directory: one folder holding everything an hsdt installation owns.

Layout (all paths relative to the home, so a home can be copied or moved and still works):

    hsdt.toml      configuration
    hsdt.db        SQLite database (embedded default; PostgreSQL by URL in production)
    records/       rendered and signed record books, by school/year/class
    objects/       the local object store (archive)
    pki/           the development PKI (demo/test mode only)
    imports/       original imported files, content-addressed
    logs/          internal error reports
    secrets/       installation key (token signing, TOTP encryption): keep private
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.errors import HomeError

DEFAULT_HOME = "hsdt-home"
CONFIG_NAME = "hsdt.toml"
MARKER = "# hsdt home"

DEFAULT_CONFIG = f"""{MARKER} — configuration. Paths are relative to this folder.

[database]
# Embedded default: an SQLite file in the home. Production: a PostgreSQL URL, e.g.
# url = "postgresql+psycopg://hsdt@db.example/hsdt"
url = ""

[verification]
# Printed in every record's QR code and footer link: where anyone can check the document.
url = "http://127.0.0.1:8000/xac-thuc"

[pki]
# "demo": the development PKI in pki/ is trusted (every report says so). "production": only the
# trust roots listed below are trusted.
mode = "demo"
trust_roots = []

[archive]
# Where signed records are kept for good. Every archived object is locked (S3 Object Lock,
# COMPLIANCE) for retention_years from the moment it is archived: nobody, hsdt included, can
# shorten that. Embedded default: the folder objects/ in this home.
retention_years = 100      # 1..100; 100 = "permanent"
legal_hold = false

[archive.primary]
kind = "local"
directory = "objects"      # relative to this folder

# Production: a bucket at an S3-compatible provider (AWS, MinIO, Ceph RGW, a Vietnamese cloud)
# instead of the table above. «hsdt archive init-bucket» creates it with Object Lock and
# versioning. Credentials come from the standard AWS chain (environment variables, ~/.aws, the
# named profile below), never from this file.
# [archive.primary]
# kind = "s3"
# bucket = "hsdt-truong-ban-xeo"
# endpoint_url = "https://s3.example.vn"   # omit for AWS
# region = "hn-1"
# path_style = true                        # most self-hosted servers need it
# profile = "hsdt"                         # optional

# The second copy: another provider, region or site. «hsdt archive run» copies every package
# there; «hsdt archive audit --repair» restores damaged objects from it. Embedded default: a second
# local folder (put it on another disk); production: a bucket elsewhere, as below.
[archive.replica]
kind = "local"
directory = "objects-copy"

# [archive.replica]
# kind = "s3"
# bucket = "hsdt-truong-ban-xeo-ban-sao"
# endpoint_url = "https://s3.other-provider.vn"
# region = "hcm-1"
# path_style = true

[jobs]
# Bulk jobs (import, render, sign, archive a class or a school; see docs/jobs.md).
# "inprocess": the command that submits a job runs it, in `workers` processes of this machine.
# "dramatiq": the job's tasks go through the broker below to «hsdt worker» processes, on this
# machine or others sharing this home and a PostgreSQL database.
engine = "inprocess"
workers = 2
broker_url = "redis://127.0.0.1:6379/0"
namespace = "hsdt"          # key prefix in Redis: one per installation sharing a broker
lease_seconds = 600         # a task running longer than this is taken over by another worker
"""


def resolve_home(option: str | None) -> Path:
    """--home wins, then $HSDT_HOME, then ./hsdt-home."""
    raw = option or os.environ.get("HSDT_HOME") or DEFAULT_HOME
    return Path(raw).expanduser()


@dataclass(frozen=True)
class Settings:
    database_url: str
    verify_url: str
    pki_mode: str
    trust_roots: tuple[str, ...] = field(default_factory=tuple)
    jobs: JobSettings = field(default_factory=lambda: JobSettings())


@dataclass(frozen=True)
class JobSettings:
    """The ``[jobs]`` section: which engine runs bulk jobs, and where its broker is."""

    engine: str = "inprocess"  # or "dramatiq"
    workers: int = 2
    broker_url: str = "redis://127.0.0.1:6379/0"
    namespace: str = "hsdt"
    lease_seconds: int = 600


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def database_path(self) -> Path:
        return self.root / "hsdt.db"

    @property
    def records_dir(self) -> Path:
        return self.root / "records"

    @property
    def objects_dir(self) -> Path:
        return self.root / "objects"

    @property
    def pki_dir(self) -> Path:
        return self.root / "pki"

    @property
    def imports_dir(self) -> Path:
        return self.root / "imports"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def relative(self, path: Path) -> str:
        """A path stored in the database or manifests: always relative to the home."""
        return path.resolve().relative_to(self.root.resolve()).as_posix()

    def absolute(self, stored: str) -> Path:
        return self.root / stored

    @staticmethod
    def open(root: Path, *, create: bool = True) -> Home:
        home = Home(root)
        if home.config_path.exists():
            return home
        if root.exists() and any(root.iterdir()) and not create:
            raise HomeError(f"{root} is not an hsdt home (no {CONFIG_NAME}).")
        if not create:
            raise HomeError(
                f"No hsdt home at {root}.", hint="Run «hsdt demo» or «hsdt init» to create one."
            )
        if root.exists() and any(root.iterdir()):
            raise HomeError(
                f"{root} exists and is not empty, but has no {CONFIG_NAME}: "
                "refusing to use it as a home.",
                hint="Choose another folder with --home or HSDT_HOME.",
            )
        root.mkdir(parents=True, exist_ok=True)
        home.config_path.write_text(DEFAULT_CONFIG, encoding="utf-8")
        return home

    def settings(self) -> Settings:
        try:
            data: dict[str, Any] = tomllib.loads(self.config_path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise HomeError(
                f"Cannot read {self.config_path}: {exc}",
                hint="Fix the file or restore it from a copy.",
            ) from exc
        db = data.get("database", {}).get("url") or ""
        # env override lets CI point the same home at PostgreSQL without editing files
        db = os.environ.get("HSDT_DATABASE_URL") or db or f"sqlite:///{self.database_path}"
        return Settings(
            database_url=db,
            verify_url=data.get("verification", {}).get("url", "http://127.0.0.1:8000/xac-thuc"),
            pki_mode=data.get("pki", {}).get("mode", "demo"),
            trust_roots=tuple(data.get("pki", {}).get("trust_roots", [])),
            jobs=_job_settings(self.config_path, data.get("jobs", {})),
        )


def _job_settings(path: Path, raw: dict[str, Any]) -> JobSettings:
    default = JobSettings()
    try:
        jobs = JobSettings(
            engine=str(raw.get("engine", default.engine)),
            workers=int(raw.get("workers", default.workers)),
            broker_url=str(raw.get("broker_url", default.broker_url)),
            namespace=str(raw.get("namespace", default.namespace)),
            lease_seconds=int(raw.get("lease_seconds", default.lease_seconds)),
        )
    except (TypeError, ValueError) as exc:
        raise HomeError(
            f"Mục [jobs] trong {path} có giá trị không hợp lệ: {exc}.",
            hint="workers và lease_seconds là số nguyên dương (xem docs/jobs.md).",
        ) from exc
    if jobs.engine not in ("inprocess", "dramatiq"):
        raise HomeError(
            f"[jobs] engine = «{jobs.engine}» trong {path} không được hỗ trợ.",
            hint='Dùng engine = "inprocess" (mặc định) hoặc "dramatiq".',
        )
    if jobs.workers < 1 or jobs.lease_seconds < 1:
        raise HomeError(
            f"Mục [jobs] trong {path}: workers và lease_seconds phải lớn hơn 0.",
            hint="Sửa hsdt.toml (xem docs/jobs.md).",
        )
    return jobs
