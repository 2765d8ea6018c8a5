"""Per-client rate limiting for the public pages: an in-memory token bucket per address.

In memory on purpose: the public endpoint runs as one process per server, and a limit that
resets on restart is still a limit. Behind a reverse proxy, the proxy's own limit comes first
(docs/verification.md); the client address is the socket peer, never a forwarded header that a
client could forge.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter"]

_MAX_CLIENTS = 10_000  # beyond this, the fullest (idle) buckets are forgotten first


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self,
        *,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, client: str, cost: float = 1.0) -> float:
        """0.0 if allowed (and the tokens are spent), else the seconds to wait."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= _MAX_CLIENTS:
                    self._forget_idle(now)
                bucket = self._buckets[client] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            if self.rate <= 0:
                return 3600.0
            return (cost - bucket.tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        full = [
            k
            for k, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.rate >= self.burst
        ]
        for key in full or list(self._buckets)[: _MAX_CLIENTS // 10]:
            del self._buckets[key]
