"""Shared test configuration. Fixture plugins live in tests/support/ (one module per concern)."""

from __future__ import annotations

import importlib.util

# Fixture plugins are registered only once they exist, so each area can land independently.
pytest_plugins = [
    name
    for name in ("support.pki", "support.s3", "support.db")
    if importlib.util.find_spec(name) is not None
]
