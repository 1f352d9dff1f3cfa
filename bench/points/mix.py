"""The award stage's stored events, as plain rows: check-ins, reviews, orders and follows.

Deterministic (seeded). Proportions: 45 % check-ins (streaks over up to ten business days, so
day 7 earns the streak bonus), 25 % reviews (a quarter too short; one to three a member a day,
minutes apart, so the daily cap refuses some), 20 % paid orders, 10 % follows (a tenth of them
re-follows, which the first-time-only follow task refuses).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rules.points.checkins import DEFAULT_STREAK_BONUSES, bonus_for

TZ = "Asia/Shanghai"
DAYS = 10
CHECKIN_POINTS = 10
SHORT_TEXTS = ("好吃", "不错不错", "还行吧", "一般")  # under the review task's min_length of 10
LONG_TEXTS = (
    "菜品很好吃,服务也很周到,下次还来",
    "环境干净,上菜速度快,价格公道",
    "味道正宗,分量很足,强烈推荐给朋友们",
)
SHARES = {"checkin": 0.45, "review": 0.25, "order": 0.20}  # follows: the rest


@dataclass(frozen=True)
class Event:
    member_id: int
    kind: str  # checkin | review | order | follow
    at: datetime  # CreateTime, UTC
    ref: int  # msg_id (texts), order id (orders), 0 (follows)
    content: str | None = None


@dataclass(frozen=True)
class CheckinRow:
    member_id: int
    day: date
    streak: int
    bonus: int
    msg_id: int
    at: datetime


@dataclass(frozen=True)
class ReviewRow:
    member_id: int
    rating: int
    text: str
    msg_id: int
    at: datetime


@dataclass(frozen=True)
class OrderRow:
    id: int
    member_id: int
    amount_fen: int
    at: datetime


@dataclass
class Mix:
    members: int
    checkins: list[CheckinRow] = field(default_factory=list)
    reviews: list[ReviewRow] = field(default_factory=list)
    orders: list[OrderRow] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)  # in CreateTime order: their ids follow it


def openid(member_id: int) -> str:
    return f"opts{member_id:08d}"


def build(events: int, members: int, today: date, seed: int = 20240601) -> Mix:
    rng = random.Random(seed)
    mix = Mix(members)
    msg_ids = iter(range(7_100_000_000_000_000_000, 7_200_000_000_000_000_000))
    n_checkin, n_review, n_order = (round(events * SHARES[k]) for k in ("checkin", "review", "order"))
    days = [today - timedelta(days=d) for d in range(DAYS, 0, -1)]
    _checkins(rng, mix, days, n_checkin, msg_ids)
    _reviews(rng, mix, days, n_review, msg_ids)
    _orders(rng, mix, days, n_order)
    _follows(rng, mix, days, events - n_checkin - n_review - n_order)
    mix.events.sort(key=lambda e: (e.at, e.kind, e.ref, e.member_id))
    return mix


def local_time(rng: random.Random, day: date, first_hour: int = 8, last_hour: int = 22) -> datetime:
    seconds = rng.randrange(first_hour * 3600, last_hour * 3600)
    local = datetime.combine(day, time(0), ZoneInfo(TZ)) + timedelta(seconds=seconds)
    return local.astimezone(UTC)


def _checkins(rng: random.Random, mix: Mix, days: list[date], target: int, msg_ids: Iterator[int]) -> None:
    for member in rng.sample(range(1, mix.members + 1), mix.members):
        regular = rng.random() < 0.4  # from the first days to the last: reaches the day-7 bonus
        start = rng.randrange(3) if regular else rng.randrange(len(days))
        end = len(days) if regular else rng.randint(start + 1, len(days))
        for streak, i in enumerate(range(start, end), start=1):
            at, msg_id = local_time(rng, days[i]), next(msg_ids)
            bonus = bonus_for(streak, DEFAULT_STREAK_BONUSES)
            mix.checkins.append(CheckinRow(member, days[i], streak, bonus, msg_id, at))
            mix.events.append(Event(member, "checkin", at, msg_id, "签到"))
            if len(mix.checkins) == target:
                return


def _reviews(rng: random.Random, mix: Mix, days: list[date], target: int, msg_ids: Iterator[int]) -> None:
    reviewers = rng.sample(range(1, mix.members + 1), max(1, mix.members // 3))
    while len(mix.reviews) < target:
        member, day = rng.choice(reviewers), rng.choice(days)
        at = local_time(rng, day, 8, 18)
        for _ in range(min(rng.choices((1, 2, 3), (5, 3, 2))[0], target - len(mix.reviews))):
            text = rng.choice(SHORT_TEXTS if rng.random() < 0.25 else LONG_TEXTS)
            rating, msg_id = rng.randint(1, 5), next(msg_ids)
            mix.reviews.append(ReviewRow(member, rating, text, msg_id, at))
            mix.events.append(Event(member, "review", at, msg_id, f"评价 {rating} {text}"))
            at += timedelta(minutes=rng.randint(1, 90))


def _orders(rng: random.Random, mix: Mix, days: list[date], target: int) -> None:
    for order_id in range(1, target + 1):
        member, at = rng.randint(1, mix.members), local_time(rng, rng.choice(days))
        mix.orders.append(OrderRow(order_id, member, rng.randint(500, 40_000), at))
        mix.events.append(Event(member, "order", at, order_id))


def _follows(rng: random.Random, mix: Mix, days: list[date], target: int) -> None:
    firsts = min(target - target // 10, mix.members)
    first = {m: local_time(rng, rng.choice(days)) for m in rng.sample(range(1, mix.members + 1), firsts)}
    for member, at in first.items():
        mix.events.append(Event(member, "follow", at, 0))
    for j, member in enumerate(rng.choices(sorted(first), k=target - firsts), start=1):
        later = first[member] + timedelta(minutes=10 + j)  # back later: the follow task pays once
        mix.events.append(Event(member, "follow", later, j))


def expected_awards(mix: Mix, min_length: int) -> dict[str, int]:
    """Ledger rows the drain must write, by action: what the rules allow, worked out independently."""
    reviewed = {
        (r.member_id, r.at.astimezone(ZoneInfo(TZ)).date()) for r in mix.reviews if len(r.text) >= min_length
    }
    return {
        "follow": len({e.member_id for e in mix.events if e.kind == "follow"}),
        "checkin": len(mix.checkins),
        "checkin_bonus": sum(1 for c in mix.checkins if c.bonus),
        "review": len(reviewed),
        "purchase": sum(1 for o in mix.orders if o.amount_fen >= 100),
    }
