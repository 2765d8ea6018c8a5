"""The code stays a place people want to live in: ruff-clean, formatted, and mypy --strict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],  # strict, on the packages listed in pyproject.toml
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_tree_passes(command: list[str], tmp_path: Path) -> None:
    extra = ["--cache-dir", str(tmp_path / "mypy-cache")] if command[0] == "mypy" else []
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:], *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
