"""docs/permissions.md shows the matrix as it is in the code."""

from __future__ import annotations

from pathlib import Path

from service.authz import RULES
from service.authz.matrix_doc import BEGIN, END, generated_section, with_generated_section

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def test_the_committed_tables_are_the_generated_ones() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert with_generated_section(text) == text, (
        "docs/permissions.md is out of date: run `.venv/bin/python -m service.authz.matrix_doc "
        "--write`"
    )


def test_the_generated_section_lists_every_rule_with_conditions() -> None:
    section = generated_section()
    assert section.startswith(BEGIN) and section.rstrip().endswith(END)
    conditional = [r for r in RULES if r.ignores or r.states or r.checks]
    assert conditional and all(f"`{r.id}`" in section for r in conditional)


def test_one_rule_per_action_and_role() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
