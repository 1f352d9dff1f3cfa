"""Membership tiers (会员等级): which tier a value earns, the gap to the next, grace on the way down."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Tier:
    code: str
    name: str
    threshold: int  # lifetime points earned (or spend in yuan, by the programme's basis)
    benefits: str | None = None  # what the tier gives, as the merchant wrote it for customers


def ladder(tiers: Sequence[Tier]) -> list[Tier]:
    return sorted(tiers, key=lambda t: t.threshold)


def tier_for(value: int, tiers: Sequence[Tier]) -> Tier | None:
    """The highest tier whose threshold `value` reaches."""
    reached = [t for t in ladder(tiers) if value >= t.threshold]
    return reached[-1] if reached else None


def next_tier(value: int, tiers: Sequence[Tier]) -> tuple[Tier, int] | None:
    """(the next tier up, how much more it takes), or None at the top."""
    above = [t for t in ladder(tiers) if t.threshold > value]
    return (above[0], above[0].threshold - value) if above else None


def rank(code: str | None, tiers: Sequence[Tier]) -> int:
    codes = [t.code for t in ladder(tiers)]
    return codes.index(code) if code in codes else -1


@dataclass(frozen=True)
class TierReview:
    """What a periodic tier review decides for one member."""

    tier: str | None  # the tier to hold after the review
    grace_until: datetime | None  # set while below the threshold, inside the grace period
    changed: bool


def review_tier(
    value: int,
    current: str | None,
    grace_until: datetime | None,
    tiers: Sequence[Tier],
    now: datetime,
    grace_days: int,
) -> TierReview:
    """Upgrade at once; below the current tier's threshold, wait `grace_days` before a downgrade."""
    earned = tier_for(value, tiers)
    earned_code = earned.code if earned else None
    if rank(earned_code, tiers) >= rank(current, tiers):
        return TierReview(earned_code, None, earned_code != current)
    if grace_until is None:
        return TierReview(current, now + timedelta(days=grace_days), False)
    if now < grace_until:
        return TierReview(current, grace_until, False)
    return TierReview(earned_code, None, True)


MAX_TIERS = 10
TIER_CODE = r"^[A-Za-z0-9_-]{1,32}$"
MAX_THRESHOLD = 1_000_000_000


def ladder_problems(codes: Sequence[str], thresholds: Sequence[int]) -> list[str]:
    """What makes a whole ladder unsound, each tier being sound on its own."""
    problems = []
    if len(set(codes)) != len(codes):
        problems.append("tier codes must be unique")
    if list(thresholds).count(0) != 1:
        problems.append("exactly one tier must have threshold 0 (where every member starts)")
    if len(set(thresholds)) != len(thresholds):
        problems.append("thresholds must all differ: each tier needs more than the one below")
    return problems
