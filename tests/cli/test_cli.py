"""The hsdt command line, run as a user runs it: a separate process, real files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent.parent / "fixtures"


def hsdt(
    *args: str, home: Path | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("HSDT_HOME", None)
    cmd = [sys.executable, "-m", "api.cli"]
    if home is not None:
        cmd += ["--home", str(home)]
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600, check=False
    )


def test_check_reports_findings_with_exit_status_and_no_traceback() -> None:
    good = hsdt("check", str(FIXTURES / "good" / "small-school.json"))
    assert good.returncode == 0, good.stderr
    bad = hsdt("check", str(FIXTURES / "bad" / "score.out_of_range.json"))
    assert bad.returncode == 1
    assert "score.out_of_range" in bad.stdout and "Traceback" not in bad.stdout + bad.stderr
    as_json = hsdt("check", "--json", str(FIXTURES / "bad" / "score.out_of_range.json"))
    report = json.loads(as_json.stdout)
    assert any(f["code"] == "score.out_of_range" for f in report["findings"])
    missing = hsdt("check", "/nonexistent/file.json")
    assert missing.returncode in (1, 2) and "Traceback" not in missing.stderr


def test_import_of_a_bad_file_stores_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bad = hsdt("import", str(FIXTURES / "bad" / "score.out_of_range.json"), home=home)
    assert bad.returncode == 1 and "không lưu" in bad.stderr
    assert "Traceback" not in bad.stdout + bad.stderr
    assert not (home / "imports").exists()


def test_home_comes_from_the_environment(tmp_path: Path) -> None:
    env = {**os.environ, "HSDT_HOME": str(tmp_path / "envhome")}
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", "sample", "--primary-classes", "0"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert list((tmp_path / "envhome" / "samples").glob("*.json"))
