"""Point tasks (积分任务) and the decision to award points for one action."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Action(StrEnum):
    FOLLOW = "follow"
    CHECKIN = "checkin"
    REVIEW = "review"
    SHARE = "share"
    SHARE_READ = "share_read"
    REFERRAL = "referral"  # the referrer, for a friend who followed through their code
    REFEREE = "referee"  # the friend's welcome bonus
    PURCHASE = "purchase"
    BIRTHDAY = "birthday"  # once a year, in the member's birthday month (rules/points/birthdays.py)


MAX_TASK_POINTS = 100_000
CUSTOM_ACTION = r"^custom:[A-Za-z0-9_-]{1,32}$"  # a merchant-defined action, as a pattern
CUSTOM_PREFIX = "custom:"  # merchant-defined actions: "custom:anniversary", posted through the API


def is_valid_action(action: str) -> bool:
    if action.startswith(CUSTOM_PREFIX):
        return re.match(CUSTOM_ACTION, action) is not None  # the same pattern the API's model checks
    return action in {a.value for a in Action}


@dataclass(frozen=True)
class PointTask:
    """What a merchant configured for one action."""

    action: str
    points: int = 0
    per_yuan: int | None = None  # purchases: points per whole yuan, instead of `points`
    daily_cap: int | None = None  # awards per business day
    weekly_cap: int | None = None  # awards per ISO week (Monday first)
    lifetime_cap: int | None = None
    first_time_only: bool = False  # once per person, ever (follow: re-follows never pay again)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    target_tiers: frozenset[str] = field(default_factory=frozenset)  # empty: every tier
    enabled: bool = True
    hold_days: int = 0  # points locked this long before they can be spent
    min_length: int = 0  # reviews: characters needed to earn
    min_rating: int = 1  # reviews: stars needed to earn


def task_problems(task: PointTask) -> list[str]:
    """What contradicts itself in a task whose fields each hold (the API's model checks their ranges),
    in words a merchant understands; empty when it is sound."""
    problems = []
    if not is_valid_action(task.action):
        problems.append(f"unknown action {task.action!r}")
    if task.per_yuan is not None and task.action != Action.PURCHASE:
        problems.append("per_yuan is for purchases only")
    caps = [
        ("daily_cap", task.daily_cap),
        ("weekly_cap", task.weekly_cap),
        ("lifetime_cap", task.lifetime_cap),
    ]
    set_caps = [(name, cap) for name, cap in caps if cap is not None]
    for (small, a), (large, b) in zip(set_caps, set_caps[1:], strict=False):
        if a > b:
            problems.append(f"{small} ({a}) cannot exceed {large} ({b})")
    if task.action == Action.BIRTHDAY and (set_caps or task.first_time_only):
        problems.append("birthday pays once a year, in the birthday month: no caps, no first_time_only")
    if task.first_time_only and task.lifetime_cap not in (None, 1):
        problems.append("first_time_only pays once, so lifetime_cap must be empty or 1")
    if task.starts_at and task.ends_at and task.starts_at >= task.ends_at:
        problems.append("starts_at must be before ends_at")
    return problems


@dataclass(frozen=True)
class Usage:
    """Awards this member already received from this task."""

    today: int = 0
    this_week: int = 0
    lifetime: int = 0

    def plus_one(self) -> Usage:
        return Usage(self.today + 1, self.this_week + 1, self.lifetime + 1)


@dataclass(frozen=True)
class Award:
    points: int
    key: str  # the ledger's idempotency key
    hold_days: int = 0


@dataclass(frozen=True)
class Refusal:
    reason: str  # a short code: disabled, not_started, ended, tier, daily_cap, weekly_cap, lifetime_cap, zero


def decide(task: PointTask | None, usage: Usage, at: datetime, tier: str | None, key: str) -> Award | Refusal:
    """Award `task.points` under key `key`, unless the task's rules say no."""
    refusal = _refusal(task, usage, at, tier)
    if refusal:
        return Refusal(refusal)
    assert task is not None
    if task.points <= 0:
        return Refusal("zero")
    return Award(task.points, key, task.hold_days)


def _refusal(task: PointTask | None, usage: Usage, at: datetime, tier: str | None) -> str | None:
    if task is None or not task.enabled:
        return "disabled"
    if task.starts_at and at < task.starts_at:
        return "not_started"
    if task.ends_at and at >= task.ends_at:
        return "ended"
    if task.target_tiers and (tier or "") not in task.target_tiers:
        return "tier"
    if task.first_time_only and usage.lifetime >= 1:
        return "lifetime_cap"
    limits = (("daily_cap", task.daily_cap, usage.today), ("weekly_cap", task.weekly_cap, usage.this_week))
    for name, cap, used in (*limits, ("lifetime_cap", task.lifetime_cap, usage.lifetime)):
        if cap is not None and used >= cap:
            return name
    return None


def purchase_points(task: PointTask, amount_fen: int) -> int:
    """Points for a purchase: per whole yuan when `per_yuan` is set, else the fixed points."""
    if task.per_yuan is not None:
        return amount_fen // 100 * task.per_yuan
    return task.points


def refund_reversal(awarded: int, amount_fen: int, refunded_fen: int) -> int:
    """Points to take back for a refund: the refunded share of what the order earned, rounded up."""
    if amount_fen <= 0 or awarded <= 0:
        return 0
    refunded_fen = min(refunded_fen, amount_fen)
    return -(-awarded * refunded_fen // amount_fen)


def week_of(day: date) -> date:
    """The Monday that starts `day`'s week."""
    return date.fromordinal(day.toordinal() - day.weekday())
