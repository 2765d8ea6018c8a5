"""``hsdt progress``: the table, the JSON and the errors a clerk sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import api.cli_progress  # noqa: F401  (registers ``progress`` until api.cli imports it itself)
from api.cli import cli
from records.canonical import dataset_to_json
from records.model import Dataset
from service.context import Context
from service.importing import import_file


@pytest.fixture
def home(tmp_path: Path, gappy_school: Dataset, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("HSDT_DATABASE_URL", raising=False)  # the home's own SQLite database
    path = tmp_path / "school.json"
    path.write_bytes(dataset_to_json(gappy_school))
    ctx = Context.open(tmp_path / "home")
    try:
        import_file(ctx, path)
    finally:
        ctx.close()
    return tmp_path / "home"


def _run(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--home", str(home), "progress", *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_table_has_vietnamese_headers_and_percentages(home: Path) -> None:
    code, out, _ = _run(home, "--by", "teacher", "--term", "1")
    assert code == 0
    assert "Học kì I" in " ".join(out.split())  # the title may wrap on a narrow terminal
    for heading in ("Giáo viên", "Đã nhập", "Đã xác nhận", "Đã ký", "Đã lưu trữ"):
        assert heading in out
    assert "(GV010)" in out  # teachers are shown with the id --teacher takes
    # GV010's Toán in 8A: the ĐĐGgk and ĐĐGck of one student are missing in term 1
    assert "208/210" in out


def test_json_carries_the_same_numbers(home: Path) -> None:
    code, out, _ = _run(home, "--class", "8A", "--by", "subject", "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["by"], report["term"]) == ("subject", "year")
    toan = next(r for r in report["rows"] if r["key"] == "TOAN")
    entered = toan["entered"]
    assert entered["total"] - entered["done"] == 2
    assert entered["percent"] == 100 * entered["done"] // entered["total"] < 100
    assert toan["signed"] == {"done": 0, "total": 36, "percent": 0}  # nothing rendered yet


def test_an_unknown_class_is_a_message_not_a_traceback(home: Path) -> None:
    code, out, err = _run(home, "--class", "9Z")
    assert code == 2
    assert "Không có lớp «9Z»" in err and "8A" in err
    assert "Traceback" not in out + err


def test_an_empty_home_says_how_to_get_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HSDT_DATABASE_URL", raising=False)
    code, _, err = _run(tmp_path / "empty", "--by", "school")
    assert code == 2
    assert "Chưa có dữ liệu" in err and "hsdt import" in err
