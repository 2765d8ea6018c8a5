"""Retention rules shared by every store: COMPLIANCE only, retain-until only ever extended.

The archive never sends or performs anything that shortens or weakens retention. The checks here
run *before* a request leaves the process, because some S3 implementations (moto among them) would
accept a shortened COMPLIANCE date that real S3 refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from archive.errors import RetentionError

COMPLIANCE = "COMPLIANCE"
DEFAULT_YEARS = 100  # "permanent": the longest default retention S3 Object Lock accepts


def utc_seconds(at: datetime) -> datetime:
    """Aware UTC, whole seconds: stores keep retain-until dates at second precision at best."""
    if at.tzinfo is None:
        raise ValueError(f"timestamp {at.isoformat()} has no time zone; use an aware datetime")
    return at.astimezone(UTC).replace(microsecond=0)


def add_years(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February in a non-leap target year
        return at.replace(year=at.year + years, day=28)


@dataclass(frozen=True)
class Retention:
    """The lock on one object. ``mode`` is always COMPLIANCE for what hsdt writes; it can differ
    only for objects read back from a store that someone else configured."""

    retain_until: datetime
    legal_hold: bool = False
    mode: str = COMPLIANCE

    def __post_init__(self) -> None:
        object.__setattr__(self, "retain_until", utc_seconds(self.retain_until))

    def in_force(self, now: datetime) -> bool:
        return self.legal_hold or self.retain_until > now

    def at_least(self, other: Retention) -> bool:
        """True when this lock is at least as strong as ``other``."""
        return (
            self.mode == COMPLIANCE
            and self.retain_until >= other.retain_until
            and (self.legal_hold or not other.legal_hold)
        )

    def to_json(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "retain_until": self.retain_until.isoformat().replace("+00:00", "Z"),
            "legal_hold": self.legal_hold,
        }

    @staticmethod
    def from_json(data: dict[str, object]) -> Retention:
        return Retention(
            retain_until=datetime.fromisoformat(str(data["retain_until"]).replace("Z", "+00:00")),
            legal_hold=bool(data.get("legal_hold", False)),
            mode=str(data.get("mode", COMPLIANCE)),
        )


@dataclass(frozen=True)
class RetentionPolicy:
    """How long new archive objects are kept: ``years`` from the moment they are archived."""

    years: int = DEFAULT_YEARS
    legal_hold: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.years <= DEFAULT_YEARS:
            raise ValueError(
                f"retention_years phải từ 1 đến {DEFAULT_YEARS} (năm), không phải {self.years}"
            )

    def retention_for(self, archived_at: datetime) -> Retention:
        return Retention(add_years(utc_seconds(archived_at), self.years), self.legal_hold)


def check_new_retention(store: str, key: str, retention: Retention, now: datetime) -> None:
    if retention.mode != COMPLIANCE:
        raise RetentionError(store, key, f"chế độ {retention.mode} không phải COMPLIANCE")
    if retention.retain_until <= now:
        raise RetentionError(
            store,
            key,
            f"hạn lưu giữ {retention.retain_until.isoformat()} không nằm trong tương lai",
            hint="Hạn lưu giữ tính từ thời điểm lưu trữ: RetentionPolicy.retention_for().",
        )


def check_extension(store: str, key: str, current: Retention | None, until: datetime) -> None:
    """Refuse a retain-until earlier than the one in force (checked before any request is sent)."""
    if current is not None and utc_seconds(until) < current.retain_until:
        raise RetentionError(
            store,
            key,
            f"hạn lưu giữ mới {utc_seconds(until).isoformat()} sớm hơn hạn "
            f"{current.retain_until.isoformat()} đang có hiệu lực; thời hạn lưu giữ chỉ được "
            "kéo dài",
        )
