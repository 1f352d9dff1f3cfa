"""Point lots: when earned points expire, and which lots a spend consumes (oldest first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class ExpiryMode(StrEnum):
    NEVER = "never"
    DAYS = "days"  # N days after earning
    YEAR_END = "year_end"  # at the end of the calendar year they were earned in (local time)


@dataclass(frozen=True)
class ExpiryPolicy:
    mode: ExpiryMode = ExpiryMode.DAYS
    days: int = 365

    def problems(self) -> list[str]:
        if self.mode == ExpiryMode.DAYS and not 1 <= self.days <= 3650:
            return ["expiry days must be between 1 and 3650"]
        return []


def expires_at(earned_at: datetime, policy: ExpiryPolicy, tz: str) -> datetime | None:
    if policy.mode == ExpiryMode.NEVER:
        return None
    if policy.mode == ExpiryMode.DAYS:
        return earned_at + timedelta(days=policy.days)
    local_year = earned_at.astimezone(ZoneInfo(tz)).year
    return datetime.combine(datetime(local_year + 1, 1, 1).date(), time(0), ZoneInfo(tz))


@dataclass(frozen=True)
class Lot:
    id: int
    remaining: int
    earned_at: datetime
    available_at: datetime
    expires_at: datetime | None


def spendable(lots: Sequence[Lot], now: datetime) -> list[Lot]:
    """Lots that can be spent now, in the order they are spent: soonest to expire, then oldest."""
    usable = [lot for lot in lots if lot.remaining > 0 and lot.available_at <= now and not _expired(lot, now)]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(usable, key=lambda lot: (lot.expires_at or far, lot.earned_at, lot.id))


class NotEnoughPoints(Exception):
    def __init__(self, wanted: int, available: int) -> None:
        super().__init__(f"wanted {wanted} points, {available} available")
        self.wanted, self.available = wanted, available


def consume(lots: Sequence[Lot], points: int, now: datetime) -> list[tuple[int, int]]:
    """(lot id, points taken) for spending `points`, oldest first; NotEnoughPoints if short."""
    plan, left = [], points
    for lot in spendable(lots, now):
        if left == 0:
            break
        take = min(lot.remaining, left)
        plan.append((lot.id, take))
        left -= take
    if left:
        raise NotEnoughPoints(points, points - left)
    return plan


def take_back(
    lots: Sequence[Lot], points: int, first: int | None, now: datetime
) -> tuple[list[tuple[int, int]], int]:
    """A reversal: from lot `first` (the order's own), then oldest first; what cannot be found stays a debt.

    Returns the lots to reduce and the shortfall (points the member had already spent).
    """
    ordered = sorted(
        (lot for lot in lots if lot.remaining > 0), key=lambda lot: (lot.id != first, lot.earned_at, lot.id)
    )
    plan, left = [], points
    for lot in ordered:
        if left == 0:
            break
        take = min(lot.remaining, left)
        plan.append((lot.id, take))
        left -= take
    return plan, left


def _expired(lot: Lot, now: datetime) -> bool:
    return lot.expires_at is not None and lot.expires_at <= now
