"""From things members did to point awards: keys, caps counted per business day and week."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import NamedTuple

from rules.clock import business_date
from rules.points.reviews import ReviewDraft, earns
from rules.points.tasks import Action, Award, PointTask, Refusal, Usage, decide, purchase_points, week_of


class Earning(NamedTuple):  # a tuple: thousands are made per batch
    """Something a member did that may earn points."""

    account_id: int
    member_id: int
    action: str
    source: str  # what makes it unique: an event, a review, an order, a check-in day
    at: datetime
    fixed_points: int | None = None  # decided already (check-ins): no task rules apply
    amount_fen: int | None = None  # purchases
    review: ReviewDraft | None = None
    note: str | None = None


def award_key(task: PointTask | None, e: Earning) -> str:
    """One award per person ever for first-time-only tasks; otherwise one per source."""
    if task is not None and task.first_time_only:
        return f"{e.action}:member:{e.member_id}"
    return f"{e.action}:{e.source}"


class UsageBook:
    """Awards already made, by member, action and business day; grows as the batch is decided."""

    def __init__(
        self, days: dict[tuple[int, str], dict[date, int]], lifetime: dict[tuple[int, str], int]
    ) -> None:
        self.days = {k: dict(v) for k, v in days.items()}
        self.lifetime = dict(lifetime)

    def usage(self, member_id: int, action: str, day: date) -> Usage:
        days = self.days.get((member_id, action), {})
        monday = week_of(day)
        week = sum(n for d, n in days.items() if week_of(d) == monday)
        return Usage(days.get(day, 0), week, self.lifetime.get((member_id, action), 0))

    def count(self, member_id: int, action: str, day: date) -> None:
        days = self.days.setdefault((member_id, action), {})
        days[day] = days.get(day, 0) + 1
        self.lifetime[(member_id, action)] = self.lifetime.get((member_id, action), 0) + 1


def counted(
    earnings: list[Earning], tasks: dict[str, PointTask]
) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """Which (action → members) need per-day counts and which lifetime counts for their caps."""
    daily: dict[str, set[int]] = {}
    lifetime: dict[str, set[int]] = {}
    for e in earnings:
        task = tasks.get(e.action)
        if task is None or e.fixed_points is not None:
            continue
        if task.daily_cap is not None or task.weekly_cap is not None:
            daily.setdefault(e.action, set()).add(e.member_id)
        if task.lifetime_cap is not None or task.first_time_only:
            lifetime.setdefault(e.action, set()).add(e.member_id)
    return daily, lifetime


def decide_earning(
    e: Earning, task: PointTask | None, book: UsageBook, tier: str | None, tz: str
) -> tuple[Award | Refusal, date]:
    """The award (or refusal) for one earning; an award is counted in `book` at once."""
    day = business_date(e.at, tz)
    key = award_key(task, e)
    if e.fixed_points is not None:
        outcome: Award | Refusal = Award(e.fixed_points, key) if e.fixed_points > 0 else Refusal("zero")
    else:
        outcome = _by_task(e, task, book.usage(e.member_id, e.action, day), tier, key)
    if isinstance(outcome, Award):
        book.count(e.member_id, e.action, day)
    return outcome, day


def _by_task(e: Earning, task: PointTask | None, usage: Usage, tier: str | None, key: str) -> Award | Refusal:
    if task is not None and e.review is not None:
        refusal = earns(e.review, task.min_length, task.min_rating)
        if refusal:
            return Refusal(refusal)
    if task is not None and e.action == Action.PURCHASE and e.amount_fen is not None:
        task = replace(task, points=purchase_points(task, e.amount_fen), per_yuan=None)
    return decide(task, usage, e.at, tier, key)
