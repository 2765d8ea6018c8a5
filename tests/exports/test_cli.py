"""``hsdt export student|extract|register`` over a signed, archived home (thin shells)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli import cli
from exports.conftest import ExportHome

# A thin shell over the use cases, which run on both databases in the other modules.
pytestmark = pytest.mark.parametrize("export_home", ["sqlite"], indirect=True)


def _run(home: ExportHome, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.setenv("HSDT_DATABASE_URL", home.database_url)
    return CliRunner().invoke(cli, ["--home", str(home.ctx.home.root), *args])


def test_export_student_extract_and_register(
    export_home: ExportHome, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, code = export_home, export_home.student(1)
    bundle = out_dir / "goi.zip"
    result = _run(
        home, monkeypatch, "export", "student", code, "--purpose", "Lưu giữ cá nhân",
        "--recipient", "Học sinh", "--by", "Cô Vân (văn thư)", "--out", str(bundle), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)
    assert entry["issued_by"] == "Cô Vân (văn thư)" and entry["kind"] == "bundle"
    assert zipfile.ZipFile(bundle).testzip() is None

    # the note's offline command, run as written inside the unpacked bundle, says HỢP LỆ
    unpacked = out_dir / "unpacked"
    zipfile.ZipFile(bundle).extractall(unpacked)
    note = (unpacked / "HUONG-DAN-XAC-MINH.txt").read_text(encoding="utf-8")
    (command,) = [line.split() for line in note.splitlines() if "hsdt verify" in line]
    monkeypatch.chdir(unpacked)
    result = CliRunner().invoke(cli, command[1:])
    assert result.exit_code == 0, result.output
    assert "KẾT LUẬN: HỢP LỆ" in result.output

    identity = home.template.pki.identity(home.dataset.school.code)
    secret = out_dir / "pass.txt"
    secret.write_bytes(identity.passphrase)
    pdf = out_dir / "tl.pdf"
    result = _run(
        home, monkeypatch, "export", "extract", code, "--year", home.dataset.school_year,
        "--purpose", "Xét tuyển", "--recipient", "Trường THPT", "--out", str(pdf),
        "--as", home.dataset.school.code, "--p12", str(identity.pkcs12_path),
        "--passphrase-file", str(secret),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert "Mã văn bản trích lục: TL-" in result.stdout

    result = _run(home, monkeypatch, "export", "register", "--student", code, "--json")
    assert result.exit_code == 0, result.output
    kinds = [(e["kind"], e["recipient"]) for e in json.loads(result.stdout)]
    assert ("bundle", "Học sinh") in kinds and ("extract", "Trường THPT") in kinds
    assert _run(home, monkeypatch, "export", "register").exit_code == 0


def test_refusal_exits_2_without_traceback(
    export_home: ExportHome, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = out_dir / "x.zip"
    result = _run(
        export_home, monkeypatch, "export", "student", "KHONGCO", "--purpose", "p",
        "--recipient", "r", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Không có hồ sơ nào của học sinh mã KHONGCO" in result.output
    assert "Traceback" not in result.output and not out.exists()
