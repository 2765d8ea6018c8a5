"""Settings from hsdt.toml's [archive] table, opening stores, and the retention arithmetic."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from archive.config import (
    ArchiveConfig,
    LocalStoreConfig,
    S3Config,
    archive_config_from_mapping,
)
from archive.errors import StoreMisconfigured
from archive.local_store import LocalObjectStore
from archive.retention import Retention, RetentionPolicy
from archive.s3_store import S3ObjectStore
from archive.stores import open_store

EXAMPLE = """
[archive]
retention_years = 50
legal_hold = true

[archive.primary]
kind = "local"
directory = "objects"

[archive.replica]
kind = "s3"
bucket = "hsdt-ban-xeo"
endpoint_url = "https://s3.example.vn"
region = "hn-1"
path_style = true
profile = "hsdt"
"""


def test_the_documented_example_reads_as_written() -> None:
    config = archive_config_from_mapping(tomllib.loads(EXAMPLE)["archive"])
    assert config == ArchiveConfig(
        primary=LocalStoreConfig("objects"),
        replica=S3Config(
            bucket="hsdt-ban-xeo",
            endpoint_url="https://s3.example.vn",
            region="hn-1",
            path_style=True,
            profile="hsdt",
        ),
        retention=RetentionPolicy(years=50, legal_hold=True),
    )


def test_no_table_means_the_embedded_default() -> None:
    assert archive_config_from_mapping({}) == ArchiveConfig(
        LocalStoreConfig("objects"), None, RetentionPolicy(100, False)
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"primary": {"kind": "ftp"}}, 'kind phải là "local" hoặc "s3"'),
        ({"primary": {"kind": "s3", "bucket": "ok-name", "secret": "x"}}, "không biết thiết lập"),
        ({"primary": {"kind": "s3"}}, "thiếu thiết lập bắt buộc bucket"),
        ({"primary": {"kind": "s3", "bucket": "ok-name", "path_style": "yes"}}, "true/false"),
        ({"primary": {"kind": "s3", "bucket": "ok-name", "max_attempts": "3"}}, "một số"),
        ({"primary": {"kind": "local", "directory": "/var/archive"}}, "đường dẫn tương đối"),
        ({"primary": {"kind": "local", "directory": "../outside"}}, "đường dẫn tương đối"),
        ({"retention_years": 0}, "retention_years phải từ 1 đến 100"),
        ({"retention_years": 101}, "retention_years phải từ 1 đến 100"),
    ],
)
def test_bad_settings_name_the_setting(table: dict[str, object], message: str) -> None:
    with pytest.raises(StoreMisconfigured, match=message):
        archive_config_from_mapping(table)


def test_open_store_picks_the_adapter(
    tmp_path: Path,
    moto_endpoint: str,
    s3_session: boto3.Session,
    new_s3_store: Callable[..., S3ObjectStore],
) -> None:
    local = open_store(LocalStoreConfig(), home_root=tmp_path)
    assert isinstance(local, LocalObjectStore) and local.root == tmp_path / "objects"
    bucket = new_s3_store().bucket
    config = S3Config(bucket, moto_endpoint, "us-east-1", path_style=True)
    remote = open_store(config, home_root=tmp_path, session=s3_session)
    assert isinstance(remote, S3ObjectStore) and remote.bucket == bucket


def test_permanent_retention_is_a_hundred_years_from_archiving() -> None:
    at = datetime(2026, 6, 30, 9, 15, 42, 123456, tzinfo=UTC)
    assert RetentionPolicy().retention_for(at) == Retention(
        datetime(2126, 6, 30, 9, 15, 42, tzinfo=UTC)
    )
    leap = datetime(2028, 2, 29, tzinfo=UTC)
    assert RetentionPolicy(years=1).retention_for(leap).retain_until == datetime(
        2029, 2, 28, tzinfo=UTC
    )


def test_a_lock_is_at_least_another_only_when_no_weaker_in_any_way() -> None:
    base = Retention(datetime(2100, 1, 1, tzinfo=UTC))
    assert Retention(datetime(2101, 1, 1, tzinfo=UTC), legal_hold=True).at_least(base)
    assert not Retention(datetime(2099, 1, 1, tzinfo=UTC)).at_least(base)
    assert not base.at_least(Retention(base.retain_until, legal_hold=True))
    assert not Retention(base.retain_until, mode="GOVERNANCE").at_least(base)
