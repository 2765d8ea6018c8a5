"""The service core's root error. Every error a user can cause says what, where and what to do."""

from __future__ import annotations


class HsdtError(Exception):
    """An error the user can act on; the CLI prints it without a traceback (exit status 2)."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n→ {self.hint}"


class HomeError(HsdtError):
    """The home directory is missing, unreadable or not an hsdt home."""


class ImportRejected(HsdtError):
    """A file had errors; nothing was stored."""

    exit_code = 1
