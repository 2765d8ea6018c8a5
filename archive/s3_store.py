"""The S3 adapter (boto3): AWS, MinIO, Ceph RGW and other S3-compatible providers.

Every upload sends the locally computed SHA-256 (``x-amz-checksum-sha256``) and Content-MD5,
is conditional (``If-None-Match: *``: an existing key is a 412, never an overwrite), carries its
COMPLIANCE retention, and is read back by version id and compared before ``put`` returns.
``put`` is thread-safe (one boto3 client is shared, as boto3 allows): ``archive_package`` stores
a package's files ``upload_workers`` at a time, each put still followed by its own read-back.
Downloads are verified before their bytes are returned. Nothing here deletes a retained object,
shortens a retain-until date, switches a lock to GOVERNANCE, releases a legal hold or touches
bucket lifecycle or lock configuration.

Credentials come from the standard AWS chain (environment, shared files, a named profile,
instance roles); they are never part of a message.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    FlexibleChecksumError,
    IncompleteReadError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    ResponseStreamingError,
)
from botocore.parsers import ResponseParserFactory
from botocore.utils import parse_timestamp

from archive.config import S3Config
from archive.errors import (
    AlreadyExists,
    ArchiveError,
    IntegrityError,
    NotFound,
    RetentionError,
    StoreAccessDenied,
    StoreMisconfigured,
    StoreUnavailable,
)
from archive.integrity import b64_to_hex, hex_to_b64, md5_b64, sha256_hex, verify_download
from archive.retention import (
    COMPLIANCE,
    Retention,
    check_extension,
    check_new_retention,
    utc_seconds,
)
from archive.store import (
    ListedObject,
    Now,
    ObjectInfo,
    StoredObject,
    check_key,
    check_prefix,
    utcnow,
)

# A package's bag is 10 files: all of them in flight at once, so a package costs one round trip
# of uploads and read-backs instead of ten (bench/archive_bench.py measured 6, 8 and 10 alike).
UPLOAD_WORKERS = 10
SHA256_METADATA = "sha256"  # x-amz-meta-sha256: our own record, whatever the provider keeps
_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchVersion"}
_CONFLICT = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
_DENIED = {
    "AccessDenied",
    "403",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
}
_CHECKSUM_MISMATCH = re.compile(r"Expected checksum (\S+) did not match calculated checksum: (\S+)")
_UNAVAILABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
    ResponseStreamingError,
    IncompleteReadError,
)
# A body that breaks off after the headers (connection cut, read timeout mid-body). botocore
# retries a request only until its headers arrive; the body is read by us, so we retry it.
_BODY_BROKEN = (
    ResponseStreamingError,
    IncompleteReadError,
    ReadTimeoutError,
    ConnectionClosedError,
)


def make_client(config: S3Config, *, session: boto3.Session | None = None) -> Any:
    """A boto3 S3 client for ``config``; ``session`` overrides the standard credential chain."""
    try:
        session = session or boto3.Session(profile_name=config.profile or None)
    except ProfileNotFound as exc:
        raise StoreAccessDenied(
            f"Chưa có AWS profile {config.profile!r} trên máy này.",
            hint="Thêm profile vào ~/.aws/credentials, hoặc bỏ 'profile' trong hsdt.toml để dùng "
            "chuỗi thông tin xác thực mặc định của AWS.",
        ) from exc
    client_config = Config(
        region_name=config.region,
        s3={"addressing_style": "path" if config.path_style else "auto"},
        # total_max_attempts counts the first try (botocore's max_attempts counts only retries):
        # "max_attempts = 3" in hsdt.toml means three requests, as the error message then says
        retries={"total_max_attempts": config.max_attempts, "mode": "standard"},
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        max_pool_connections=UPLOAD_WORKERS,  # one connection per parallel upload
        # Checksums only where an operation requires one, plus our explicit SHA-256 on uploads:
        # the SDK's default streamed CRC32 trailers break many S3-compatible servers.
        request_checksum_calculation="when_required",
        # Responses are checked by botocore only where we ask for the store's checksum
        # (ChecksumMode=ENABLED: get, head). The read-back after an upload does not ask: it hashes
        # the bytes itself against our own SHA-256, and botocore hashing them too was a second
        # SHA-256 of every object archived.
        response_checksum_validation="when_required",
    )
    client = session.client(
        "s3",
        endpoint_url=config.endpoint_url or None,
        verify=config.ca_bundle or True,
        config=client_config,
    )
    _install_fast_timestamps(client)
    return client


def parse_s3_timestamp(value: Any) -> datetime:
    """The two timestamp forms S3 sends, parsed directly; anything else by botocore.

    botocore parses every timestamp with dateutil (0.1-0.3 ms each): a read-back carries two
    (Last-Modified, the retain-until date), a package eleven read-backs, and on a server on the
    same machine that was a tenth of the client's CPU per package. The result is the same
    instant, timezone-aware, as botocore's (tested).
    """
    if isinstance(value, str):
        with contextlib.suppress(ValueError, TypeError, IndexError):
            if value.endswith(" GMT"):  # HTTP date (RFC 7231): "Sat, 28 Nov 2026 20:54:16 GMT"
                parsed = parsedate_to_datetime(value)
            else:  # ISO 8601: "2126-11-28T20:50:00.000Z" (headers and XML bodies)
                parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed
    result: datetime = parse_timestamp(value)
    return result


def _install_fast_timestamps(client: Any) -> None:
    """Give this client (and only it: the session's other clients keep their parser) the
    timestamp parser above. botocore reads the factory of the client's endpoint for every
    response; without that attribute (another botocore) the client keeps botocore's parser."""
    endpoint = getattr(client, "_endpoint", None)
    if endpoint is None or not hasattr(endpoint, "_response_parser_factory"):
        return
    factory = ResponseParserFactory()
    factory.set_parser_defaults(timestamp_parser=parse_s3_timestamp)
    endpoint._response_parser_factory = factory


def create_bucket(config: S3Config, *, session: boto3.Session | None = None) -> None:
    """Create the archive bucket with Object Lock (which turns versioning on), then check it.

    An existing bucket of ours is checked, not changed.
    """
    S3ObjectStore(make_client(config, session=session), config).create_bucket()


class S3ObjectStore:
    def __init__(
        self,
        client: Any,
        config: S3Config,
        *,
        now: Now = utcnow,
        upload_workers: int = UPLOAD_WORKERS,
    ) -> None:
        self._client = client
        self._config = config
        self._bucket = config.bucket
        self._now = now
        self._upload_workers = upload_workers

    @classmethod
    def connect(
        cls,
        config: S3Config,
        *,
        session: boto3.Session | None = None,
        now: Now = utcnow,
        check_bucket: bool = True,
        upload_workers: int = UPLOAD_WORKERS,
    ) -> S3ObjectStore:
        client = make_client(config, session=session)
        store = cls(client, config, now=now, upload_workers=upload_workers)
        if check_bucket:
            store.check_bucket()
        return store

    @property
    def name(self) -> str:
        where = f" tại {self._config.endpoint_url}" if self._config.endpoint_url else ""
        return f"s3://{self._bucket}{where}"

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def client(self) -> Any:
        return self._client

    @property
    def upload_workers(self) -> int:
        """Puts ``archive_package`` may run at once on this store (1: one at a time)."""
        return self._upload_workers

    def create_bucket(self) -> None:
        """See the module function ``create_bucket``."""
        params: dict[str, Any] = {"Bucket": self._bucket, "ObjectLockEnabledForBucket": True}
        region = self._config.region or self._client.meta.region_name
        if region and region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self._client.create_bucket(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "BucketAlreadyExists":
                raise StoreMisconfigured(
                    f"{self.name}: tên bucket đã thuộc về một tài khoản khác.",
                    hint="Ở hầu hết nhà cung cấp, tên bucket là duy nhất toàn cục; hãy chọn tên "
                    "khác.",
                ) from None
            if code != "BucketAlreadyOwnedByYou":
                raise self._archive_error(exc, "tạo bucket") from None
        except BotoCoreError as exc:
            raise self._archive_error(exc, "tạo bucket") from None
        self.check_bucket()

    def check_bucket(self) -> None:
        """Refuse a bucket that cannot keep an archive: versioning and Object Lock must be on."""
        with self._translate("đọc cấu hình versioning của bucket"):
            versioning = self._client.get_bucket_versioning(Bucket=self._bucket)
        action = "đọc cấu hình Object Lock của bucket"
        try:
            lock = self._client.get_object_lock_configuration(Bucket=self._bucket)
            lock_enabled = lock["ObjectLockConfiguration"].get("ObjectLockEnabled") == "Enabled"
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ObjectLockConfigurationNotFoundError":
                raise self._archive_error(exc, action) from None
            lock_enabled = False
        except BotoCoreError as exc:
            raise self._archive_error(exc, action) from None
        if versioning.get("Status") != "Enabled" or not lock_enabled:
            raise StoreMisconfigured(
                f"{self.name}: bucket "
                f"{'chưa bật Object Lock' if not lock_enabled else 'chưa bật versioning'}; hồ sơ "
                "lưu vào đó có thể bị xóa hoặc ghi đè.",
                hint="Tạo bucket mới có bật Object Lock («hsdt archive init-bucket» hoặc trang "
                "quản trị của nhà cung cấp) rồi khai báo bucket đó trong hsdt.toml.",
            )

    # ------------------------------------------------------------------ the port

    def put(
        self,
        key: str,
        data: bytes,
        *,
        retention: Retention,
        content_type: str = "application/octet-stream",
    ) -> ObjectInfo:
        check_key(key)
        check_new_retention(self.name, key, retention, utc_seconds(self._now()))
        digest = sha256_hex(data)
        params = self._upload_params(key, data, digest, retention, content_type)
        try:
            with self._translate("tải lên", key):
                response = self._client.put_object(IfNoneMatch="*", **params)
        except AlreadyExists:
            existing = self._existing_sha256(key)
            raise AlreadyExists(self.name, key, existing_sha256=existing) from None
        return self._read_back(key, digest, retention, response)

    def get(self, key: str, *, expected_sha256: str | None = None) -> StoredObject:
        check_key(key)
        with self._translate("tải xuống", key):
            response, data = self._get_object(key)
        info = self._info(key, response)
        verify_download(
            data,
            store=self.name,
            key=key,
            expected=expected_sha256,
            recorded=info.sha256,
            store_sha256=info.store_sha256,
        )
        return StoredObject(info, data)

    def head(self, key: str) -> ObjectInfo:
        check_key(key)
        with self._translate("đọc siêu dữ liệu của", key):
            response = self._client.head_object(
                Bucket=self._bucket, Key=key, ChecksumMode="ENABLED"
            )
        return self._info(key, response)

    def exists(self, key: str) -> bool:
        try:
            self.head(key)
        except NotFound:
            return False
        return True

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        check_prefix(prefix)
        paginator = self._client.get_paginator("list_objects_v2")
        with self._translate("liệt kê đối tượng"):
            for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield ListedObject(
                        item["Key"], int(item["Size"]), utc_seconds(item["LastModified"])
                    )

    def extend_retention(self, key: str, retain_until: datetime) -> ObjectInfo:
        current = self.head(key)
        check_extension(self.name, key, current.retention, retain_until)
        if current.retention and utc_seconds(retain_until) == current.retention.retain_until:
            return current
        with self._translate("kéo dài thời hạn lưu giữ của", key):
            self._client.put_object_retention(
                Bucket=self._bucket,
                Key=key,
                VersionId=current.version_id,
                Retention={"Mode": COMPLIANCE, "RetainUntilDate": utc_seconds(retain_until)},
            )
        return self.head(key)

    def place_legal_hold(self, key: str) -> ObjectInfo:
        current = self.head(key)
        if current.legal_hold:
            return current
        with self._translate("đặt giữ pháp lý cho", key):
            self._client.put_object_legal_hold(
                Bucket=self._bucket,
                Key=key,
                VersionId=current.version_id,
                LegalHold={"Status": "ON"},
            )
        return self.head(key)

    def delete(self, key: str) -> None:
        current = self.head(key)
        now = utc_seconds(self._now())
        if current.retention is None:
            raise RetentionError(
                self.name,
                key,
                "kho không ghi thời hạn lưu giữ nào cho đối tượng này nên hsdt không thể xác "
                "định có được xóa hay không",
                hint="Đối tượng không có khóa lưu giữ thì không do hsdt ghi; hãy để quản trị "
                "viên xử lý.",
            )
        if current.retention.legal_hold:
            raise RetentionError(self.name, key, "đối tượng đang bị giữ pháp lý (legal hold)")
        if current.retention.in_force(now):
            raise RetentionError(
                self.name,
                key,
                f"đối tượng được lưu giữ đến {current.retention.retain_until.isoformat()} "
                f"({current.retention.mode})",
            )
        with self._translate("xóa", key):
            self._client.delete_object(Bucket=self._bucket, Key=key, VersionId=current.version_id)

    def restore(
        self, key: str, data: bytes, *, expected_sha256: str, retention: Retention
    ) -> ObjectInfo:
        check_key(key)
        expected = expected_sha256.lower()
        actual = sha256_hex(data)
        if actual != expected:
            raise IntegrityError(
                self.name, key, expected=expected, actual=actual, what="sha256 của bản sao tốt"
            )
        if retention.mode != COMPLIANCE:
            raise RetentionError(self.name, key, f"chế độ {retention.mode} không phải COMPLIANCE")
        try:
            current = self.head(key)
        except NotFound:
            return self.put(key, data, retention=retention)
        try:
            self.get(key, expected_sha256=expected)
            return current  # healthy: nothing to restore
        except IntegrityError:
            pass
        if current.retention is not None:  # the new version keeps whichever lock is stronger
            retention = Retention(
                max(retention.retain_until, current.retention.retain_until),
                retention.legal_hold or current.retention.legal_hold,
            )
        params = self._upload_params(key, data, expected, retention, "application/octet-stream")
        # A new version on top of exactly the corrupt one we saw; the corrupt version itself stays
        # (it is locked) and remains visible in the bucket's version history.
        with self._translate("khôi phục", key):
            etag = self._client.head_object(Bucket=self._bucket, Key=key)["ETag"]
            response = self._client.put_object(IfMatch=etag, **params)
        return self._read_back(key, expected, retention, response)

    # ------------------------------------------------------------------ internals

    def _upload_params(
        self, key: str, data: bytes, digest: str, retention: Retention, content_type: str
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": key,
            "Body": data,
            "ContentType": content_type,
            "ContentMD5": md5_b64(data),
            "ChecksumAlgorithm": "SHA256",
            "ChecksumSHA256": hex_to_b64(digest),
            "Metadata": {SHA256_METADATA: digest},
            "ObjectLockMode": COMPLIANCE,
            "ObjectLockRetainUntilDate": retention.retain_until,
        }
        if retention.legal_hold:
            params["ObjectLockLegalHoldStatus"] = "ON"
        return params

    def _read_back(
        self, key: str, digest: str, retention: Retention, put_response: dict[str, Any]
    ) -> ObjectInfo:
        """Fetch exactly the version just written and hold it to what was sent.

        The bytes are hashed here and compared with our SHA-256 (``digest``), the recorded
        ``x-amz-meta-sha256`` and the store's own checksum, taken from the upload's response
        (where a provider verifies ``x-amz-checksum-sha256`` it answers with the checksum it
        stored) rather than asked for again on the GET: the same comparisons, one hash less.
        """
        version_id = put_response.get("VersionId")
        extra = {"VersionId": version_id} if version_id else {}
        with self._translate("đọc lại", key):
            response, data = self._get_object(key, checksum_mode=False, **extra)
        info = self._info(key, response)
        if info.store_sha256 is None and put_response.get("ChecksumSHA256"):
            info = replace(info, store_sha256=b64_to_hex(put_response["ChecksumSHA256"]))
        verify_download(
            data,
            store=self.name,
            key=key,
            expected=digest,
            recorded=info.sha256,
            store_sha256=info.store_sha256,
        )
        if info.retention is None or not info.retention.at_least(retention):
            got = info.retention.to_json() if info.retention else "không có khóa"
            raise RetentionError(
                self.name,
                key,
                f"kho không áp dụng khóa lưu giữ đã yêu cầu {retention.to_json()} (kho báo {got})",
                hint="Kiểm tra nhà cung cấp có hỗ trợ Object Lock ở chế độ COMPLIANCE không.",
            )
        return info

    def _get_object(
        self, key: str, *, checksum_mode: bool = True, **extra: str
    ) -> tuple[dict[str, Any], bytes]:
        """GET and read the whole body; a body that breaks off is fetched again, up to
        ``max_attempts`` times (a GET is idempotent; by version id it is exactly the same bytes).
        ``checksum_mode``: ask for the store's checksum (botocore then checks the body against it
        while it streams in)."""
        if checksum_mode:
            extra = {**extra, "ChecksumMode": "ENABLED"}
        for attempt in range(1, max(1, self._config.max_attempts) + 1):
            response = self._client.get_object(Bucket=self._bucket, Key=key, **extra)
            try:
                data: bytes = response["Body"].read()
            except _BODY_BROKEN:
                response["Body"].close()
                if attempt >= self._config.max_attempts:
                    raise
                continue
            return response, data
        raise AssertionError("unreachable")

    def _existing_sha256(self, key: str) -> str | None:
        try:
            return self.head(key).sha256
        except ArchiveError:
            return None

    def _info(self, key: str, response: dict[str, Any]) -> ObjectInfo:
        metadata = {k.lower(): v for k, v in response.get("Metadata", {}).items()}
        store_sum = response.get("ChecksumSHA256")
        retention = None
        until = response.get("ObjectLockRetainUntilDate")
        legal_hold = response.get("ObjectLockLegalHoldStatus") == "ON"
        if until is not None or legal_hold:
            retention = Retention(
                retain_until=utc_seconds(until) if until else utc_seconds(response["LastModified"]),
                legal_hold=legal_hold,
                mode=str(response.get("ObjectLockMode", "")),
            )
        return ObjectInfo(
            key=key,
            size=int(response["ContentLength"]),
            sha256=metadata.get(SHA256_METADATA),
            store_sha256=b64_to_hex(store_sum) if store_sum else None,
            retention=retention,
            stored_at=utc_seconds(response["LastModified"]),
            version_id=response.get("VersionId"),
        )

    @contextlib.contextmanager
    def _translate(self, action: str, key: str | None = None) -> Iterator[None]:
        """botocore's exceptions become archive errors that say what to do."""
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise self._archive_error(exc, action, key) from None

    def _archive_error(
        self, exc: ClientError | BotoCoreError, action: str, key: str | None = None
    ) -> ArchiveError:
        target = f" {key}" if key else ""
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            detail = f"{code}: {error.get('Message', '')}".strip(": ")
            if code in _NOT_FOUND and key:
                return NotFound(self.name, key)
            if code in _CONFLICT and key:
                return AlreadyExists(self.name, key, existing_sha256=None)
            if code == "NoSuchBucket":
                return StoreMisconfigured(
                    f"{self.name}: bucket không tồn tại.",
                    hint="Tạo bucket có bật Object Lock («hsdt archive init-bucket») hoặc sửa "
                    "'bucket'/'endpoint_url' trong hsdt.toml.",
                )
            if code in _DENIED:
                return StoreAccessDenied(
                    f"{self.name}: không được phép {action}{target} ({detail}).",
                    hint="Kiểm tra thông tin xác thực hsdt đang dùng (AWS_PROFILE, "
                    "AWS_ACCESS_KEY_ID, ~/.aws/credentials) và chính sách truy cập của bucket.",
                )
            if status.startswith("5") or code in {"SlowDown", "ServiceUnavailable"}:
                return self._unavailable(action, target, detail)
            return ArchiveError(
                f"{self.name}: không thể {action}{target} ({detail}).",
                hint="Tra mã lỗi này trong tài liệu của nhà cung cấp lưu trữ.",
            )
        if isinstance(exc, FlexibleChecksumError):
            # botocore checks the store's checksum header while the body streams in
            sums = _CHECKSUM_MISMATCH.search(str(exc))
            expected, actual = sums.groups() if sums else ("?", str(exc))
            return IntegrityError(
                self.name,
                key or "?",
                expected=b64_to_hex(expected) or expected,
                actual=b64_to_hex(actual) or actual,
                what="checksum sha256 của kho",
            )
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return StoreAccessDenied(
                f"{self.name}: không có thông tin xác thực dùng được ({type(exc).__name__}).",
                hint="Đặt AWS_PROFILE hoặc AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, hoặc khai báo "
                "~/.aws/credentials cho tài khoản sở hữu bucket.",
            )
        if isinstance(exc, _UNAVAILABLE):
            return self._unavailable(action, target, type(exc).__name__)
        return ArchiveError(f"{self.name}: không thể {action}{target} ({exc}).")

    def _unavailable(self, action: str, target: str, detail: str) -> StoreUnavailable:
        return StoreUnavailable(
            f"{self.name}: không thể {action}{target}: kho không trả lời sau "
            f"{self._config.max_attempts} lần thử ({detail}).",
            hint="Không có gói dở dang nào được ghi nhận là đã lưu trữ. Kiểm tra mạng và "
            "endpoint_url rồi chạy lại lệnh: lệnh sẽ tiếp tục từ chỗ đã dừng.",
        )
