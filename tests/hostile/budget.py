"""Run one hostile input under a time bound and report what happened; the tests' summary."""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


class Timeout(AssertionError):
    pass


def bounded(run: Callable[[], T], seconds: float) -> tuple[T, float]:
    """``run()`` in a worker thread; a run that outlives ``seconds`` fails the test (the thread
    is left behind, but the failure names the input that hung)."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = run()
        except BaseException as error:  # handed to the test below
            box["error"] = error

    started = time.monotonic()
    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    elapsed = time.monotonic() - started
    if worker.is_alive():
        raise Timeout(f"still running after {seconds} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"], elapsed  # type: ignore[return-value]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Tally:
    """Inputs tried / rejected (an error, no verdict of valid) / flagged (a warning only)."""

    title: str
    tried: int = 0
    rejected: int = 0
    flagged: int = 0
    slowest: tuple[float, str] = (0.0, "")
    lines: list[str] = field(default_factory=list)

    def add(self, name: str, outcome: str, seconds: float, reason: str) -> None:
        self.tried += 1
        if outcome == "rejected":
            self.rejected += 1
        elif outcome == "flagged":
            self.flagged += 1
        self.slowest = max(self.slowest, (seconds, name))
        self.lines.append(f"  {name:40} {outcome:9} {seconds:6.2f}s  {reason[:200]}")

    def summary(self) -> str:
        return (
            f"{self.title}: {self.tried} inputs tried, {self.rejected} rejected, "
            f"{self.flagged} flagged, {self.tried - self.rejected - self.flagged} accepted; "
            f"slowest {self.slowest[1]} ({self.slowest[0]:.2f} s); "
            f"peak RSS {peak_rss_mib():.0f} MiB"
        )
