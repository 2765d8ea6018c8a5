"""``hsdt jobs`` and ``hsdt worker`` as a user meets them: import jobs in file order, refusals
with a Vietnamese message and exit status 2, JSON for machines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli import cli
from jobs.conftest import School
from service.context import Context


def hsdt(ctx: Context, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(ctx.home.root), *args])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_job_runs_files_in_order_and_reports_each(
    home: Context, school: School, tmp_path: Path
) -> None:
    broken = tmp_path / "bang-diem.csv"
    broken.write_text("ma_hs;diem\nHS1;mười\n", encoding="utf-8")
    again = tmp_path / "truong.json"
    again.write_bytes((school.template / "school.json").read_bytes())
    # the subject sheet is given first; the year (JSON) still goes first
    result = hsdt(home, "jobs", "submit", "import", str(broken), str(again), "--json")
    assert result.exit_code == 1, result.output
    job = json.loads(result.stdout)
    assert job["state"] == "failed" and job["progress"]["done"] == 1
    first, second = job["tasks"]
    assert first["subject"].endswith("truong.json") and first["state"] == "done"
    assert "Không đổi" in first["outcome"]  # the very same data was imported before
    assert second["subject"].endswith("bang-diem.csv") and second["state"] == "failed"
    assert second["error"] and "nội bộ" not in second["error"]  # the import check says why
    listed = json.loads(hsdt(home, "jobs", "status", "--json").stdout)
    assert listed["total"] == 1 and listed["jobs"][0]["id"] == job["id"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_refusals_exit_2_without_traceback(home: Context, school: School) -> None:
    unknown = hsdt(home, "jobs", "cancel", "999")
    assert unknown.exit_code == 2 and "Không có công việc số 999" in unknown.output
    no_key = hsdt(home, "jobs", "submit", "sign", "--class", school.class_id, "--as", "GV001")
    assert no_key.exit_code == 2 and "--p12" in no_key.output
    no_worker = hsdt(home, "worker")
    assert no_worker.exit_code == 2 and "inprocess" in no_worker.output
    for result in (unknown, no_key, no_worker):
        assert "Traceback" not in result.output
