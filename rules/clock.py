"""Business time: a callback's CreateTime, read in the account's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def from_create_time(create_time: int) -> datetime:
    """Turn WeChat's CreateTime (Unix seconds) into an aware UTC datetime."""
    return datetime.fromtimestamp(create_time, UTC)


def business_date(at: datetime, tz: str) -> date:
    """The calendar day `at` falls on in the account's time zone."""
    return at.astimezone(ZoneInfo(tz)).date()


def timestamp_fresh(timestamp: int, now: float, window: int) -> bool:
    """True when a signed timestamp is within `window` seconds of now (replay guard)."""
    return abs(now - timestamp) <= window


SKEW = timedelta(minutes=5)  # clocks differ: a time this far ahead of ours is still "now"


def ahead_of(at: datetime, now: datetime) -> bool:
    """True when `at` is in the future, beyond what clocks differing explains."""
    return at > now + SKEW
