"""A realistic, seeded sample school in Lào Cai for demos, tests and rendering (``hsdt sample``).

All people are synthetic; see docs/sample-data.md for what is generated and the edge cases.
"""

from __future__ import annotations

from records.sample.edge_cases import EdgeCase, edge_cases
from records.sample.school import SampleOptions, generate, generate_school

__all__ = ["EdgeCase", "SampleOptions", "edge_cases", "generate", "generate_school"]
