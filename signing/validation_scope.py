"""The lifetime of the memos that make one verification fast: one ``verify_pdf`` call.

The patched library functions in ``signing.validation_cache`` and ``signing.name_cache`` look up
the active scope here; with none (signing, anything outside a verification) they run the
library's own code. A scope lives in a ``ContextVar``, so two verifications running side by side
in different tasks or threads never share a memo, and nothing outlives the call that made it.
"""

from __future__ import annotations

import contextvars
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["ValidationScope", "current_scope", "verification_scope"]


class ValidationScope:
    """Named memo tables, and counts of what they answered (for tests and profiling)."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[Any, Any]] = {}
        self.hits: Counter[str] = Counter()
        self.misses: Counter[str] = Counter()

    def table(self, name: str) -> dict[Any, Any]:
        return self._tables.setdefault(name, {})


_current: contextvars.ContextVar[ValidationScope | None] = contextvars.ContextVar(
    "hsdt_validation_scope", default=None
)


def current_scope() -> ValidationScope | None:
    return _current.get()


@contextmanager
def verification_scope() -> Iterator[ValidationScope]:
    """Memoize repeated validation work until the block ends. An inner scope starts empty."""
    scope = ValidationScope()
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
