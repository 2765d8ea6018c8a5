"""Issue 7.3, the store: archiving a signed school through a fault-injecting proxy to S3.

boto3 → FaultProxy (127.0.0.1) → moto. Transient faults (each request faulted at most twice,
fewer than the client's attempts) must be absorbed: the run succeeds with complete, verifiable
packages. Persistent faults must end with a clear Vietnamese error naming the store and the
object, no package visible, and a rerun (``hsdt archive run``) that finishes it, leaving no
orphan object behind.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from archive_flow.flow import configure
from sqlalchemy import select
from support.s3 import REGION

from archive import PackageError, read_package
from reliability.checks import check_done, hsdt
from reliability.conftest import FULL, School, Tally
from reliability.faultproxy import (
    CUT,
    DROP,
    HTTP_500,
    HTTP_503,
    RESET,
    Fault,
    FaultPlan,
    FaultProxy,
    Rule,
)
from service.archiving import archive_signed
from service.archiving_config import open_archive
from service.context import Context
from service.db.models import DocumentRow, EventRow

READ_TIMEOUT = 1  # seconds; a delay fault waits longer than this
ALL_FAULTS = [DROP, HTTP_500, HTTP_503, CUT, RESET, Fault.delay(READ_TIMEOUT + 0.5)]


def s3_via(proxy: FaultProxy, bucket: str, *, attempts: int) -> str:
    return (
        "\n[archive.primary]\n"
        'kind = "s3"\n'
        f'bucket = "{bucket}"\n'
        f'endpoint_url = "{proxy.url}"\n'
        f'region = "{REGION}"\n'
        "path_style = true\n"
        f"max_attempts = {attempts}\n"
        "connect_timeout = 1.0\n"
        f"read_timeout = {float(READ_TIMEOUT)}\n"
    )


def school_on_s3(
    school: School, tmp_path: Path, proxy: FaultProxy, *, attempts: int, name: str = "home"
) -> Path:
    root = school.copy(tmp_path / name)
    ctx = Context.open(root)
    bucket = f"hsdt-rel-{uuid.uuid4().hex[:12]}-{name}"
    configure(ctx, s3_via(proxy, bucket, attempts=attempts))
    ctx.close()
    assert hsdt(root, "archive", "init-bucket").exit_code == 0
    return root


SEEDS = [11, 12, 13] if FULL else [11]
_FULL_ONLY = pytest.mark.skipif(not FULL, reason="full mode only (HSDT_RELIABILITY=full)")


@pytest.mark.parametrize("seed", SEEDS)
def test_transient_faults_are_retried_and_the_run_succeeds(
    signed_school: School,
    fault_proxy: FaultProxy,
    aws_env: None,
    tmp_path: Path,
    tally: Tally,
    seed: int,
) -> None:
    root = school_on_s3(signed_school, tmp_path, fault_proxy, attempts=3)
    # every kind of fault, on a quarter of the requests, never more than twice for one request
    fault_proxy.plan = FaultPlan.random(seed, 0.25, ALL_FAULTS, max_per_request=2)

    ctx = Context.open(root)
    try:
        report = archive_signed(ctx)
    finally:
        ctx.close()
    injected = fault_proxy.counts()
    fault_proxy.plan = FaultPlan()

    assert report.ok, report.to_json()
    assert len(report.documents) == len(signed_school.documents)
    assert sum(injected.values()) >= 5, injected  # the plan did bite
    done = check_done(root)
    tally.trials["store: transient faults"] += 1
    tally.lost += done.problems
    assert done.problems == []
    assert done.archived == len(signed_school.documents)


def test_a_store_that_stays_down_fails_clearly_and_a_rerun_finishes(
    signed_school: School, fault_proxy: FaultProxy, aws_env: None, tmp_path: Path, tally: Tally
) -> None:
    root = school_on_s3(signed_school, tmp_path, fault_proxy, attempts=2)
    # the first package's first few files land, then every upload fails
    fault_proxy.plan = FaultPlan([Rule(HTTP_503, method="PUT", skip=4)])

    result = hsdt(root, "archive", "run")

    text = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "Kho lưu trữ không phản hồi" in text, text
    assert "s3://hsdt-rel-" in text and fault_proxy.url in text  # names the store
    assert "không thể tải lên packages/" in text  # names the object
    assert "sau 2 lần thử" in text and "chạy lại lệnh" in text  # says what to do
    assert fault_proxy.counts()["503"] >= 2

    fault_proxy.plan = FaultPlan()
    ctx = Context.open(root)
    try:
        with ctx.sessions() as session:
            states = set(session.scalars(select(DocumentRow.state)))
            archived = session.scalars(
                select(EventRow).where(EventRow.action == "document.archived")
            ).all()
        assert states == {"locked"} and archived == []  # nothing recorded as archived
        primary = open_archive(ctx, replica_required=False).primary
        keys = [o.key for o in primary.list_objects()]
        assert keys and not any(k.startswith("index/") for k in keys)  # partial, not visible
        for document_id in signed_school.documents:
            with pytest.raises(PackageError, match="chưa lưu trữ"):
                read_package(primary, document_id)
    finally:
        ctx.close()
    audit = hsdt(root, "archive", "audit", "--json")
    assert audit.exit_code == 0  # orphans are warnings...
    assert '"orphan": ' in audit.output and '"orphan": 0' not in audit.output  # ...and listed

    again = hsdt(root, "archive", "run")
    assert again.exit_code == 0, again.output
    done = check_done(root)  # the orphans became the complete package: none left
    tally.trials["store: persistent fault + rerun"] += 1
    tally.lost += done.problems
    assert done.problems == []
    assert done.archived == len(signed_school.documents)


PERSISTENT = [
    pytest.param(label, fault, method, id=label, marks=_FULL_ONLY)
    for label, fault, method in [
        ("dropped", DROP, "PUT"),
        ("500", HTTP_500, "PUT"),
        ("reset", RESET, "PUT"),
        ("cut-get", CUT, "GET"),  # every read-back's body breaks off
    ]
]


@pytest.mark.parametrize(("label", "fault", "method"), PERSISTENT)
def test_each_persistent_fault_class_fails_clearly_then_resumes(
    signed_school: School,
    fault_proxy: FaultProxy,
    aws_env: None,
    tmp_path: Path,
    tally: Tally,
    label: str,
    fault: Fault,
    method: str,
) -> None:
    root = school_on_s3(signed_school, tmp_path, fault_proxy, attempts=2)
    fault_proxy.plan = FaultPlan([Rule(fault, method=method, skip=6)])

    result = hsdt(root, "archive", "run")

    text = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "Kho lưu trữ không phản hồi" in text and "chạy lại lệnh" in text, text
    fault_proxy.plan = FaultPlan()
    assert hsdt(root, "archive", "run").exit_code == 0
    done = check_done(root, verify_signatures=False)
    tally.trials[f"store: persistent {label} + rerun"] += 1
    tally.lost += done.problems
    assert done.problems == []


@_FULL_ONLY
def test_put_answers_that_never_arrive_are_absorbed(
    signed_school: School, fault_proxy: FaultProxy, aws_env: None, tmp_path: Path, tally: Tally
) -> None:
    """Every upload's answer is lost (the server stored it): each retry gets 412, the object is
    read back and confirmed by its SHA-256, the index entry recognised as this package's."""
    root = school_on_s3(signed_school, tmp_path, fault_proxy, attempts=2)
    fault_proxy.plan = FaultPlan([Rule(CUT, method="PUT", skip=6)])

    result = hsdt(root, "archive", "run")

    assert result.exit_code == 0, result.output
    assert fault_proxy.counts()["cut"] >= 20
    fault_proxy.plan = FaultPlan()
    done = check_done(root, verify_signatures=False)
    tally.trials["store: every PUT answer lost"] += 1
    tally.lost += done.problems
    assert done.problems == [] and done.archived == 3
