"""Every hostile or tampered PDF gets a non-valid verdict with a clear Vietnamese reason from the
real verifier (``hsdt verify``'s ``verify_pdf``), within a time bound — never a crash or a hang.

The attacks (tests/hostile/pdf_attacks.py) are derived at test time from one really signed
record; the summary (tried / rejected) is printed at the end of the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hostile.budget import Tally, bounded, peak_rss_mib
from hostile.pdf_attacks import ATTACKS, Attack, Material
from signing.report_text import render_report
from signing.verify import Severity, VerificationReport, verify_pdf

SECONDS = 30.0
RSS_GROWTH_MIB = 400.0


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    tally = Tally("Hostile PDFs")
    yield tally
    print("\n" + "\n".join(tally.lines) + "\n" + tally.summary())


def _verify(pdf: bytes, material: Material, require_lta: bool = True) -> VerificationReport:
    return verify_pdf(
        pdf, trust_roots=material.pki.trust_roots(), demo_mode=True, require_lta=require_lta
    )


def test_the_honest_record_verifies(attack_material: Material) -> None:
    assert _verify(attack_material.signed, attack_material).bottom_line
    shadow = _verify(attack_material.shadow_signed, attack_material)
    assert shadow.bottom_line, shadow.findings  # the shadow is invisible until it is used


def test_the_corpus_covers_the_published_classes() -> None:
    families = {a.family for a in ATTACKS}
    assert {"ISA", "SWA", "USF", "shadow", "trust", "parser", "byte"} <= families
    assert len(ATTACKS) >= 25 and len({a.name for a in ATTACKS}) == len(ATTACKS)
    assert all(a.codes for a in ATTACKS)  # each names the reason it must be rejected for


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_hostile_pdf_is_not_valid_and_says_why(
    attack: Attack, attack_material: Material, tally: Tally
) -> None:
    pdf = attack.build(attack_material)
    assert pdf != attack_material.signed
    before = peak_rss_mib()

    report, seconds = bounded(lambda: _verify(pdf, attack_material, attack.require_lta), SECONDS)

    assert peak_rss_mib() - before < RSS_GROWTH_MIB, "memory was not bounded"
    codes = {f.code.value for f in report.findings}
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    assert not report.bottom_line
    assert attack.codes <= codes, (attack.codes - codes, [(f.code, f.message) for f in errors])
    text = render_report(report)  # what «hsdt verify» prints: every reason, then the verdict
    assert "KẾT LUẬN: KHÔNG HỢP LỆ" in text
    assert all(f"[{f.code.value}] {f.message}" in text for f in errors)
    main = next(f for f in errors if f.code.value in attack.codes)
    tally.add(attack.name, "rejected", seconds, f"[{main.code.value}] {main.message}")


def test_every_attack_is_in_the_docs() -> None:
    text = (Path(__file__).parents[2] / "docs" / "hostile-inputs.md").read_text(encoding="utf-8")
    assert [a.name for a in ATTACKS if f"| `{a.name}` |" not in text] == []
