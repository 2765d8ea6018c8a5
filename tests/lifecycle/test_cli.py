"""``hsdt confirm``, ``hsdt lock``, ``hsdt records state`` and ``hsdt render`` on a copy of the
template home (SQLite: the commands are thin shells over the use cases tested on both)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli import cli
from lifecycle.conftest import Schools
from lifecycle.flow import renamed_student
from records.canonical import dataset_to_json


def _hsdt(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(root), *args], catch_exceptions=False)


@pytest.fixture
def root(schools: Schools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("HSDT_DATABASE_URL", raising=False)
    home = tmp_path / "home"
    shutil.copytree(schools.template, home)
    return home


def test_confirm_lock_and_render_from_the_command_line(root: Path, schools: Schools) -> None:
    a = schools.a
    changed = root / "a-changed.json"
    changed.write_bytes(dataset_to_json(renamed_student(a, "Nguyễn Văn Mới")))
    assert _hsdt(root, "import", str(changed)).exit_code == 0

    refused = _hsdt(root, "render", "--workers", "1")
    assert refused.exit_code == 2
    assert "chưa được xác nhận" in refused.output and "hsdt confirm" in refused.output

    confirmed = _hsdt(
        root, "confirm", schools.class_id, "--school", a.school.code, "--by", "Cô Lan"
    )
    assert confirmed.exit_code == 0 and "Đã xác nhận" in confirmed.output
    assert "Cô Lan" in confirmed.output

    opened = _hsdt(
        root, "lock", "open", "--school", a.school.code, "--year", a.school_year,
        "--reason", "Thanh tra", "--by", "Quản trị Phòng",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    listed = json.loads(_hsdt(root, "lock", "list", "--json").output)
    assert [(w["id"], w["school"], w["district"], w["term"]) for w in listed] == [
        (1, a.school.code, a.district.code, "year")
    ]
    states = json.loads(_hsdt(root, "records", "state", "--school", a.school.code, "--json").output)
    assert {s["frozen_by"] for s in states} == {1}

    locked = _hsdt(root, "render", "--workers", "1")
    assert locked.exit_code == 2
    assert "Thanh tra" in locked.output and "Điều 11.4" in locked.output
    assert "Traceback" not in locked.output

    assert _hsdt(root, "lock", "close", "1", "--reason", "Xong").exit_code == 0
    assert _hsdt(root, "lock", "list", "--active", "--json").output.strip() == "[]"
    assert _hsdt(root, "render", "--workers", "1").exit_code == 0
