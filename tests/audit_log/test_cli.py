"""«hsdt audit verify» and «hsdt audit anchor» as a user runs them: Vietnamese messages, exit
status 0 only for an intact log, never a traceback."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result

import api.cli_audit  # noqa: F401  (registers «hsdt audit» on the group)
from api.cli import cli
from audit_log.helpers import record, sql
from service.context import Context


def hsdt(ctx: Context, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--home", str(ctx.home.root), *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def flat(result: Result) -> str:
    return " ".join(result.output.split())


def test_verify_an_intact_log(audit_ctx: Context) -> None:
    record(audit_ctx, 4)
    result = hsdt(audit_ctx, "audit", "verify")
    assert result.exit_code == 0
    text = flat(result)
    assert "Nhật ký kiểm tra: 4 mục, đầu chuỗi #4" in text and "Nguyên vẹn" in text
    assert "Chưa có mốc thời gian nào" in text and "4 mục sau mốc cuối" in text


def test_verify_a_tampered_log_exits_1_naming_the_entry(audit_ctx: Context) -> None:
    record(audit_ctx, 4)
    sql(audit_ctx.engine, "DELETE FROM events WHERE seq = 2")
    result = hsdt(audit_ctx, "audit", "verify")
    assert result.exit_code == 1
    text = flat(result)
    assert "KHÔNG nguyên vẹn" in text and "Thiếu mục số 2" in text
    assert "(audit.entry_removed)" in text

    as_json = hsdt(audit_ctx, "audit", "verify", "--json")
    assert as_json.exit_code == 1
    report = json.loads(as_json.output)
    assert report["ok"] is False
    assert [(f["code"], f["seq"]) for f in report["findings"]] == [("audit.entry_removed", 2)]


def test_anchor_then_verify(anchor_ctx: Context) -> None:
    record(anchor_ctx, 3)
    result = hsdt(anchor_ctx, "audit", "anchor")
    assert result.exit_code == 0, result.output
    text = flat(result)
    assert "Đã gắn mốc cho đầu chuỗi #3" in text and "audit/anchors/000000000003.tsr" in text

    nothing = hsdt(anchor_ctx, "audit", "anchor", "--json")
    assert nothing.exit_code == 0 and json.loads(nothing.output)["anchored"] is False

    verified = hsdt(anchor_ctx, "audit", "verify", "--json")
    assert verified.exit_code == 0
    anchors = json.loads(verified.output)["anchors"]
    assert [(a["seq"], a["ok"], a["archived"]) for a in anchors] == [(3, True, True)]


def test_anchor_refuses_a_tampered_log_with_exit_1(anchor_ctx: Context) -> None:
    record(anchor_ctx, 3)
    sql(anchor_ctx.engine, "UPDATE events SET subject = 'khác' WHERE seq = 2")
    result = hsdt(anchor_ctx, "audit", "anchor")
    assert result.exit_code == 1
    assert "Không gắn mốc" in flat(result) and "Mục số 2" in flat(result)


def test_anchor_without_a_trust_store_says_what_to_do(audit_ctx: Context) -> None:
    record(audit_ctx, 1)
    result = hsdt(audit_ctx, "audit", "anchor")
    assert result.exit_code == 2
    assert "Chưa có chứng thư gốc nào được tin cậy" in flat(result)
    assert "trust_roots trong mục pki của hsdt.toml" in flat(result)
