"""Lockout after repeated failures: pure decisions on an account's counters and the time."""

from __future__ import annotations

from datetime import UTC, datetime

from service.accounts.policy import AccountPolicy


def as_utc(moment: datetime) -> datetime:
    """SQLite gives zone-less datetimes back; everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def locked_until(stored: datetime | None, now: datetime) -> datetime | None:
    """The end of a lock still in force at ``now``, or None."""
    if stored is None:
        return None
    end = as_utc(stored)
    return end if end > now else None


def lock_after(failures: int, now: datetime, policy: AccountPolicy) -> datetime | None:
    """When ``failures`` consecutive failures reach the limit: the end of the lock they cause."""
    return now + policy.lockout if failures >= policy.max_failures else None
