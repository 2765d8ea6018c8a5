"""The other «hsdt archive» commands: run, status, show, init-bucket, renew; exit codes and
messages in Vietnamese, never a traceback."""

from __future__ import annotations

import json
import uuid
from typing import Any

from click.testing import CliRunner, Result

import api.cli_archive  # noqa: F401  (registers «hsdt archive» on the group)
from api.cli import cli
from archive_flow.conftest import Template
from archive_flow.flow import configure, dead_endpoint, row, s3_table
from service.context import Context
from service.db.models import DocumentRow


def hsdt(ctx: Context, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--home", str(ctx.home.root), *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def flat(result: Result) -> str:
    return " ".join(result.output.split())


def test_run_archives_and_reports_a_refusal_with_exit_1(
    signed_home: Context, signed_template: Template
) -> None:
    refused = next(d for d in signed_template.documents if d.startswith("STD-"))
    with signed_home.sessions.begin() as session:
        stored = session.get(DocumentRow, row(signed_home, refused).id)
        assert stored is not None
        stored.content_hash = "0" * 64
    doc = signed_template.hoc_ba

    result = hsdt(signed_home, "archive", "run", "--document", doc, "--document", refused)

    assert result.exit_code == 1
    text = flat(result)
    assert "Đã lưu trữ" in text and "Từ chối" in text
    assert "2 hồ sơ: 1 đã lưu trữ, 0 đã sao chép bù, 1 bị từ chối, 0 lỗi" in text

    again = hsdt(signed_home, "archive", "run", "--document", doc)
    assert again.exit_code == 0
    assert "Không có hồ sơ nào chờ lưu trữ" in flat(again)

    unknown = hsdt(signed_home, "archive", "run", "--document", "HB-KHONG-CO")
    assert unknown.exit_code == 2
    assert "Không có hồ sơ HB-KHONG-CO trong hệ thống" in flat(unknown)


def test_status_and_show_describe_the_archive(
    archived_home: Context, archived_template: Template
) -> None:
    status = hsdt(archived_home, "archive", "status")
    assert status.exit_code == 0
    text = flat(status)
    assert "đã lưu trữ │ 3" in text
    assert "Gói đã lưu trữ: 3" in text
    assert "Thời hạn lưu giữ: 100 năm (COMPLIANCE)" in text
    assert "Kiểm tra toàn vẹn gần nhất: chưa có" in text

    doc = archived_template.hoc_ba
    shown = hsdt(archived_home, "archive", "show", doc, "--json")
    assert shown.exit_code == 0
    history: dict[str, Any] = json.loads(shown.output)
    (package,) = history["packages"]
    assert package["index_key"] == f"index/{doc}/000001.json"
    assert (package["version"], package["files"], package["replicated"]) == (1, 10, None)
    assert history["versions"] == [{"version": 1, "state": "archived"}]
    assert hsdt(archived_home, "archive", "show", doc).exit_code == 0

    unknown = hsdt(archived_home, "archive", "show", "HB-00000000-2025-KHONG-CO")
    assert unknown.exit_code == 2
    assert "Không có hồ sơ HB-00000000-2025-KHONG-CO" in flat(unknown)


def test_show_exits_1_for_a_record_not_archived_yet(
    signed_home: Context, signed_template: Template
) -> None:
    result = hsdt(signed_home, "archive", "show", signed_template.hoc_ba)
    assert result.exit_code == 1
    assert "Chưa có gói lưu trữ nào" in flat(result)


def test_init_bucket_creates_an_object_lock_bucket_once(
    archived_home: Context, moto_endpoint: str, aws_env: None, raw_s3: Any
) -> None:
    bucket = f"hsdt-init-{uuid.uuid4().hex[:12]}"
    configure(archived_home, s3_table("replica", moto_endpoint, bucket))

    first = hsdt(archived_home, "archive", "init-bucket")
    assert first.exit_code == 0, first.output
    assert f"s3://{bucket}" in flat(first) and "Object Lock và versioning đã bật" in flat(first)
    lock = raw_s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert raw_s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert hsdt(archived_home, "archive", "init-bucket").exit_code == 0  # checked, not changed


def test_an_unreachable_store_exits_2_and_says_what_to_do(
    archived_home: Context, aws_env: None
) -> None:
    configure(archived_home, s3_table("primary", dead_endpoint(), "hsdt-xa-xoi"))

    result = hsdt(archived_home, "archive", "audit")

    assert result.exit_code == 2
    text = flat(result)
    assert "Kho lưu trữ không phản hồi" in text
    assert "chạy lại lệnh khi kho hoạt động trở lại" in text
    assert "hsdt-test-secret" not in text and "hsdt-test-key-id" not in text


def test_renew_reports_records_not_due(archived_home: Context) -> None:
    result = hsdt(archived_home, "archive", "renew", "--within", "30", "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["counts"] == {"renewed": 0, "not-due": 3, "failed": 0}
