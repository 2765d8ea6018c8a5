"""«hsdt archive audit» and the second copy, through the CLI: a replica added later is filled by
the next run, a corrupt object in the local store fails the audit (exit 1) until «--repair»
restores it from the S3 replica; every audit is an event and dates each package's last check."""

from __future__ import annotations

import json
import os
import uuid
from datetime import timedelta

import pytest
from click.testing import CliRunner, Result

import api.cli_archive  # noqa: F401  (registers «hsdt archive» on the group)
from api.cli import cli
from archive import package_history
from archive_flow.conftest import Template
from archive_flow.flow import MovableClock, configure, events, s3_table
from service.archiving_audit import audit_archive
from service.archiving_config import open_archive
from service.context import Context


def hsdt(ctx: Context, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--home", str(ctx.home.root), *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_audit_finds_a_corrupt_object_and_repair_restores_it_from_the_replica(
    archived_home: Context, archived_template: Template, moto_endpoint: str, aws_env: None
) -> None:
    bucket = f"hsdt-replica-{uuid.uuid4().hex[:12]}"
    configure(archived_home, s3_table("replica", moto_endpoint, bucket))
    assert hsdt(archived_home, "archive", "init-bucket").exit_code == 0

    # Archived before the replica existed: the next run makes the second copies.
    run = hsdt(archived_home, "archive", "run", "--json")
    assert run.exit_code == 0, run.output
    outcome = json.loads(run.output)
    assert outcome["counts"]["replicated"] == 3
    assert {d["document"] for d in outcome["documents"]} == set(archived_template.documents)
    assert len(events(archived_home, "document.replicated")) == 3
    stores = open_archive(archived_home)
    assert stores.replica is not None
    for doc in archived_template.documents:
        assert package_history(stores.replica, doc) == package_history(stores.primary, doc)

    clean = hsdt(archived_home, "archive", "audit")
    assert clean.exit_code == 0, clean.output
    assert "mọi đối tượng đều nguyên vẹn" in clean.output

    # Someone edits an archived PDF in the home's objects/ folder.
    doc = archived_template.hoc_ba
    (entry,) = package_history(stores.primary, doc)
    key = entry.object_key("data/record.pdf")
    path = archived_home.home.objects_dir / key
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes().replace(b"%PDF-", b"%PDF?", 1))

    broken = hsdt(archived_home, "archive", "audit", "--json")
    assert broken.exit_code == 1
    report = json.loads(broken.output)
    assert report["ok"] is False
    (finding,) = report["findings"]
    assert (finding["code"], finding["key"], finding["repaired"]) == ("corrupt", key, False)
    assert finding["store"] == stores.primary.name

    text = hsdt(archived_home, "archive", "audit")
    assert text.exit_code == 1
    assert f"[LỖI] hỏng: {stores.primary.name}: {key}" in text.output

    repaired = hsdt(archived_home, "archive", "audit", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert f"[đã sửa] hỏng: {stores.primary.name}: {key}" in repaired.output
    assert path.read_bytes().startswith(b"%PDF-")

    again = hsdt(archived_home, "archive", "audit", "--json")
    assert again.exit_code == 0
    assert json.loads(again.output)["findings"] == []

    audits = [d for _, d in events(archived_home, "archive.audited")]
    assert [a["ok"] for a in audits] == [True, False, False, True, True]
    assert audits[3]["repair"] is True and audits[3]["repaired"] == 1
    assert audits[1]["findings"] == [
        {"code": "corrupt", "store": stores.primary.name, "key": key, "repaired": False}
    ]
    status = json.loads(hsdt(archived_home, "archive", "status", "--json").output)
    assert status["last_audit"]["ok"] is True
    assert (status["packages"], status["awaiting_replication"], status["never_audited"]) == (
        3,
        0,
        0,
    )


def test_older_than_means_not_checked_for_that_long_and_sample_picks_that_many(
    archived_home: Context, clock: MovableClock
) -> None:
    first = audit_archive(archived_home)
    assert len(first.packages) == 3 and first.ok

    clock.at += timedelta(days=1)
    recent = audit_archive(archived_home, older_than=timedelta(days=2))
    assert recent.packages == ()  # all checked a day ago

    clock.at += timedelta(days=2)
    one = audit_archive(archived_home, older_than=timedelta(days=2), sample=1, seed=7)
    assert len(one.packages) == 1
    rest = audit_archive(archived_home, older_than=timedelta(days=2))
    assert len(rest.packages) == 2  # the sampled one was checked just now
    assert one.packages[0].key not in {p.key for p in rest.packages}


def test_an_audit_without_a_replica_reports_what_it_cannot_repair(
    archived_home: Context, archived_template: Template
) -> None:
    doc = archived_template.hoc_ba
    store = open_archive(archived_home).primary
    (entry,) = package_history(store, doc)
    (archived_home.home.objects_dir / entry.object_key("data/record.json")).unlink()

    result = hsdt(archived_home, "archive", "audit", "--repair", "--json")

    assert result.exit_code == 1
    (finding,) = json.loads(result.output)["findings"]
    assert finding["code"] == "missing" and finding["repaired"] is False


@pytest.mark.parametrize(
    ("archive", "table", "expected"),
    [
        ("", '[archive.primary]\nkind = "ftp"\n', 'kind phải là "local" hoặc "s3"'),
        ("", '[archive.primary]\nkind = "s3"\n', "thiếu thiết lập bắt buộc bucket"),
        ("retention_years = 500\n", "", "retention_years phải từ 1 đến 100"),
    ],
)
def test_bad_archive_settings_are_named_and_exit_2(
    archived_home: Context, archive: str, table: str, expected: str
) -> None:
    configure(archived_home, table, archive=archive)
    for command in (["run"], ["audit"], ["status"]):
        result = hsdt(archived_home, "archive", *command)
        assert result.exit_code == 2, result.output
        assert "Cấu hình kho lưu trữ không dùng được" in result.output
        assert expected in " ".join(result.output.split())
