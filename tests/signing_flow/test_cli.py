"""``hsdt sign``: outcomes as a table, exit codes, clear messages, secrets never shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli import cli
from service.context import Context
from signing.backends.softhsm import TokenInfo
from signing.devpki import REVOKED
from signing_flow.conftest import SEAL_PIN, School
from signing_flow.flow import documents, stored


def _hsdt(home: Context, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home.home.root), *args], input=input)


def _p12_args(school: School, tmp_path: Path, identity_id: str) -> list[str]:
    identity = school.pki.identity(identity_id)
    secret = tmp_path / f"{identity_id}.pass"
    secret.write_bytes(identity.passphrase + b"\n")
    return ["--p12", str(identity.pkcs12_path), "--passphrase-file", str(secret)]


def test_a_teacher_signs_a_class(home: Context, school: School, tmp_path: Path) -> None:
    result = _hsdt(home, "sign", "--as", "GV004", *_p12_args(school, tmp_path, "GV004"))
    assert result.exit_code == 0, result.output
    docs = documents(home, "hoc-ba-trung-hoc") + documents(home, "so-theo-doi")
    for doc in docs:
        assert doc in result.stdout
        assert stored(home, doc).signed == ("gvbm_TOAN",)
    assert f"{len(docs)} hồ sơ: {len(docs)} đã ký ({len(docs)} chữ ký), 0 bỏ qua" in result.stdout
    assert "Dương Đức Thắng" in result.stdout  # the checked certificate is named

    again = _hsdt(home, "sign", "--as", "GV004", *_p12_args(school, tmp_path, "GV004"), "--json")
    assert again.exit_code == 0
    data = json.loads(again.stdout)
    assert [d["status"] for d in data["documents"]] == ["skipped"] * len(docs)


def test_refusals_exit_1_with_the_reason(home: Context, school: School, tmp_path: Path) -> None:
    result = _hsdt(home, "sign", "--as", "GV001", *_p12_args(school, tmp_path, "GV001"))
    assert result.exit_code == 1
    assert "Từ chối" in result.stdout  # the table (its cells wrap at the terminal's width)
    n = len(documents(home, "hoc-ba-trung-hoc") + documents(home, "so-theo-doi"))
    assert f"{n} hồ sơ: 0 đã ký (0 chữ ký), 0 bỏ qua, {n} bị từ chối, 0 lỗi" in result.stdout
    assert "Traceback" not in result.output

    one = documents(home, "hoc-ba-trung-hoc")[0]
    args = ["--document", one, "--field", "gvbm_NGU_VAN", "--json"]
    scope = _hsdt(home, "sign", "--as", "GV004", *_p12_args(school, tmp_path, "GV004"), *args)
    assert scope.exit_code == 1
    (refused,) = json.loads(scope.stdout)["documents"]
    assert (refused["status"], refused["code"], refused["field"]) == (
        "refused",
        "plan.out_of_scope",
        "gvbm_NGU_VAN",
    )
    assert refused["message"].endswith("dành cho Nguyễn Văn Phúc (GV003), không phải GV004.")


def test_a_revoked_certificate_exits_2_and_signs_nothing(
    home: Context, school: School, tmp_path: Path
) -> None:
    result = _hsdt(home, "sign", "--as", "GV004", *_p12_args(school, tmp_path, REVOKED))
    assert result.exit_code == 2
    assert "Chứng thư số không dùng được để ký — chưa ký gì" in result.stderr
    assert "đã bị thu hồi" in result.stderr
    assert "Traceback" not in result.output
    assert {stored(home, d).revision for d in documents(home, "hoc-ba-trung-hoc")} == {0}


def test_a_passphrase_is_asked_hidden_and_never_shown(home: Context, school: School) -> None:
    identity = school.pki.identity("GV004")
    passphrase = identity.passphrase.decode()
    p12 = str(identity.pkcs12_path)

    wrong = _hsdt(home, "sign", "--as", "GV004", "--p12", p12, input="sai-mat-khau\n")
    assert wrong.exit_code == 2
    assert "Mật khẩu không mở được tệp chứng thư số" in wrong.stderr
    assert "sai-mat-khau" not in wrong.output

    right = _hsdt(home, "sign", "--as", "GV004", "--p12", p12, input=f"{passphrase}\n")
    assert right.exit_code == 0, right.output
    assert "Mật khẩu tệp" in right.output  # the prompt
    assert passphrase not in right.output


def test_the_seal_token_through_the_cli(
    home: Context, school: School, tmp_path: Path, seal_token: TokenInfo
) -> None:
    token = ["--pkcs11-module", str(seal_token.module_path), "--token-label"]
    token += [seal_token.token_label, "--key-label", seal_token.key_label]
    wrong_pin = tmp_path / "wrong.pin"
    wrong_pin.write_text("000000\n", encoding="utf-8")
    refused = _hsdt(home, "sign", "--as", school.code, *token, "--pin-file", str(wrong_pin))
    assert refused.exit_code == 2
    assert "Mã PIN của token «SEAL-SUOI-MAY» không đúng" in refused.stderr
    assert "000000" not in refused.output

    pin = tmp_path / "seal.pin"
    pin.write_text(SEAL_PIN + "\n", encoding="utf-8")
    early = _hsdt(home, "sign", "--as", school.code, *token, "--pin-file", str(pin))
    assert early.exit_code == 1  # the token opened; the plan says not yet
    assert "bị từ chối" in early.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["sign", "--p12", "x.p12"],  # no --as
        ["sign", "--as", "GV004"],  # no key
        ["sign", "finish", "abc"],  # neither --signature nor --cms
    ],
)
def test_usage_errors(home: Context, args: list[str]) -> None:
    result = _hsdt(home, *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
