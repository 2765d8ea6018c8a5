"""``hsdt correction …`` and ``hsdt history`` as the local operator: every step names who acts,
is recorded as ``local:<name>``, and the separation of duties holds between the names given."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result

from api.cli import cli
from corrections.conftest import MATHS, Template
from service.context import Context


def run(ctx: Context, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(ctx.home.root), *args])


def test_the_local_operator_runs_the_workflow_and_reads_the_history(
    home: Context, archived_corrections: Template
) -> None:
    t = archived_corrections
    target = f"{t.student}/{MATHS}/term1.final"
    invalid = run(
        home, "correction", "request", t.hoc_ba, "--reason", "Sai điểm", "--by", "Cô Lan",
        "--edit", target, "6,5", "11",
    )  # fmt: skip
    assert invalid.exit_code == 1 and "score.out_of_range" in invalid.output
    assert "Traceback" not in invalid.output

    requested = run(
        home, "correction", "request", t.hoc_ba, "--reason", "Nhập nhầm điểm cuối kì I",
        "--by", "Cô Lan",
        "--edit", target, "6,5", "9",
        "--edit", f"{t.student}/{MATHS}/term1.submitted_average", "7,1", "7,9",
        "--edit", f"{t.student}/{MATHS}/submitted_year_average", "7,0", "7,3",
    )  # fmt: skip
    assert requested.exit_code == 0, requested.output
    assert "đề nghị đính chính số 1" in requested.output

    # the same name cannot decide its own request
    own = run(home, "correction", "approve", "1", "--by", "Cô Lan")
    assert own.exit_code == 2 and "không được tự phê duyệt" in own.output
    assert run(home, "correction", "approve", "1", "--by", "Thầy Hùng").exit_code == 0
    twice = run(home, "correction", "witness", "1", "--as", "board", "--by", "Thầy Hùng")
    assert twice.exit_code == 2 and "phê duyệt" in twice.output
    for part, name in (("board", "Cô Mai"), ("homeroom", "Cô Hoa")):
        done = run(home, "correction", "witness", "1", "--as", part, "--by", name)
        assert done.exit_code == 0, done.output
    applied = run(home, "correction", "apply", "1", "--by", "Cô Lan")
    assert applied.exit_code == 0, applied.output
    assert f"{t.hoc_ba}: phiên bản 2 thay thế phiên bản 1" in applied.output

    listed = json.loads(run(home, "correction", "list", "--json").output)
    assert [(c["id"], c["state"]) for c in listed] == [(1, "applied")]
    shown = run(home, "correction", "show", "1")
    assert "local:Cô Mai" in shown.output and "chứng kiến (Ban quản trị)" in shown.output

    history = json.loads(run(home, "history", t.hoc_ba, "--json").output)
    v1, v2 = history["versions"]
    assert (v1["state"], v1["superseded_by"], v1["archive"]["completed"]) == ("archived", 2, True)
    assert (v2["state"], v2["supersedes"], v2["correction"]) == ("rendered", 1, 1)
    assert len(v1["signatures"]) > 0 and v2["signatures"] == []
    (correction,) = history["corrections"]
    assert [(s["step"], s["actor"], s["part"]) for s in correction["steps"]] == [
        ("request", "local:Cô Lan", "local:correction.request:homeroom_teacher"),
        ("approve", "local:Thầy Hùng", "local:correction.approve:principal"),
        ("witness", "local:Cô Mai", "local:correction.witness:board_member"),
        ("witness", "local:Cô Hoa", "local:correction.witness:homeroom_teacher"),
        ("apply", "local:Cô Lan", "apply"),
    ]
    text = run(home, "history", t.hoc_ba)
    assert text.exit_code == 0 and "thay thế phiên bản 1 (đính chính số 1)" in text.output
    unknown = run(home, "history", "HB-NOPE")
    assert unknown.exit_code == 2 and "Không có hồ sơ HB-NOPE" in unknown.output
