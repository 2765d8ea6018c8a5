"""Open the store a configuration names: the one place that picks an adapter."""

from __future__ import annotations

from pathlib import Path

import boto3

from archive.config import LocalStoreConfig, S3Config, StoreConfig
from archive.local_store import LocalObjectStore
from archive.s3_store import S3ObjectStore
from archive.store import Now, ObjectStore, utcnow


def open_store(
    config: StoreConfig,
    *,
    home_root: Path,
    now: Now = utcnow,
    session: boto3.Session | None = None,
) -> ObjectStore:
    """A ready store. S3 buckets are checked for versioning and Object Lock on the way."""
    if isinstance(config, LocalStoreConfig):
        return LocalObjectStore(config.path(home_root), now=now)
    if isinstance(config, S3Config):
        return S3ObjectStore.connect(config, session=session, now=now)
    raise TypeError(f"not a store configuration: {config!r}")
