"""The archive: object stores with integrity and retention, BagIt packages, replication, audits.

The pure parts are importable from here without boto3; the S3 adapter lives in
``archive.s3_store`` and ``archive.stores.open_store`` picks an adapter from configuration.
"""

from archive.config import (
    ArchiveConfig,
    LocalStoreConfig,
    S3Config,
    StoreConfig,
    archive_config_from_mapping,
)
from archive.errors import (
    AlreadyExists,
    ArchiveError,
    IntegrityError,
    InvalidKey,
    NotFound,
    PackageError,
    RetentionError,
    StoreAccessDenied,
    StoreFailure,
    StoreMisconfigured,
    StoreUnavailable,
)
from archive.fixity import AuditCode, AuditFinding, AuditReport, audit
from archive.index import IndexEntry
from archive.local_store import LocalObjectStore
from archive.package import (
    ArchivalPackage,
    PackageInput,
    archive_package,
    build_package,
    export_bag,
    load_package,
    package_history,
    read_package,
    validate_package,
)
from archive.provenance import EventType, ProvenanceEvent
from archive.replication import ReplicationReport, replicate, replicate_package
from archive.retention import Retention, RetentionPolicy
from archive.store import ObjectInfo, ObjectStore, StoredObject

__all__ = [
    "AlreadyExists",
    "ArchivalPackage",
    "ArchiveConfig",
    "ArchiveError",
    "AuditCode",
    "AuditFinding",
    "AuditReport",
    "EventType",
    "IndexEntry",
    "IntegrityError",
    "InvalidKey",
    "LocalObjectStore",
    "LocalStoreConfig",
    "NotFound",
    "ObjectInfo",
    "ObjectStore",
    "PackageError",
    "PackageInput",
    "ProvenanceEvent",
    "ReplicationReport",
    "Retention",
    "RetentionError",
    "RetentionPolicy",
    "S3Config",
    "StoreAccessDenied",
    "StoreConfig",
    "StoreFailure",
    "StoreMisconfigured",
    "StoreUnavailable",
    "StoredObject",
    "archive_config_from_mapping",
    "archive_package",
    "audit",
    "build_package",
    "export_bag",
    "load_package",
    "package_history",
    "read_package",
    "replicate",
    "replicate_package",
    "validate_package",
]
