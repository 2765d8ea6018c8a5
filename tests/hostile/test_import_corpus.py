"""Every malformed import file ends in a located, Vietnamese finding with a stable code, through
the real ``hsdt check`` command, within a time and memory bound — never a traceback.

The corpus (tests/hostile/import_corpus.py) is generated from the good fixtures at test time; the
summary (tried / rejected / flagged) is printed at the end of the module (``pytest -s`` or -rA).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import cli
from hostile.budget import Tally, bounded, peak_rss_mib
from hostile.import_corpus import CASES, ImportCase
from records.findings import CODES, Severity

SECONDS = 20.0  # per file, generous for a loaded 2-core machine; the slowest takes < 1 s
RSS_GROWTH_MIB = 400.0  # a bomb that inflated would blow far past this


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    tally = Tally("Malformed import files")
    yield tally
    print("\n" + "\n".join(tally.lines) + "\n" + tally.summary())


def test_the_corpus_is_big_enough() -> None:
    by_format = {s: sum(1 for c in CASES if c.suffix == s) for s in (".json", ".csv", ".xlsx")}
    assert len(CASES) >= 50 and min(by_format.values()) >= 15, by_format
    assert len({c.name for c in CASES}) == len(CASES)
    assert all(c.code in CODES for c in CASES), [c.code for c in CASES if c.code not in CODES]


def test_every_case_is_in_the_docs() -> None:
    text = (Path(__file__).parents[2] / "docs" / "hostile-inputs.md").read_text(encoding="utf-8")
    assert [c.filename for c in CASES if f"| `{c.filename}` |" not in text] == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_malformed_file_is_refused_with_a_clear_finding(
    case: ImportCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tally: Tally
) -> None:
    monkeypatch.chdir(tmp_path)  # an internal error would write logs/ here: none must appear
    path = tmp_path / case.filename
    path.write_bytes(case.build())
    before = peak_rss_mib()

    result, seconds = bounded(
        lambda: CliRunner().invoke(cli, ["check", "--json", str(path)]), SECONDS
    )

    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert not (tmp_path / "logs").exists(), "hsdt check hit an internal error"
    assert peak_rss_mib() - before < RSS_GROWTH_MIB, "memory was not bounded"
    report = json.loads(result.stdout)
    findings = report["findings"]
    codes = [f["code"] for f in findings]
    assert case.code in codes, (case.code, [(f["code"], f["detail"]) for f in findings])
    finding = next(f for f in findings if f["code"] == case.code)
    # clear: a Vietnamese title, detail and hint, and where (at least the file)
    assert finding["location"]["file"] == case.filename
    assert finding["title"] and finding["hint"] and finding["detail"]
    assert "Traceback" not in result.output
    severity = CODES[case.code].severity
    if severity is Severity.ERROR:
        assert result.exit_code == 1 and report["ok"] is False
        tally.add(case.name, "rejected", seconds, f"[{case.code}] {finding['detail']}")
    else:
        tally.add(case.name, "flagged", seconds, f"[{case.code}] {finding['detail']}")
