"""Daily check-in (签到): streaks, streak bonuses and make-up check-ins (补签)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_STREAK_BONUSES: tuple[tuple[int, int], ...] = ((7, 50), (30, 300))


@dataclass(frozen=True)
class CheckinPlan:
    day: date
    streak: int
    points: int
    bonus: int


def streak_on(day: date, yesterday_streak: int | None) -> int:
    """The streak a check-in on `day` makes: one more than yesterday's, or 1 after a missed day."""
    return (yesterday_streak or 0) + 1


def bonus_for(streak: int, bonuses: tuple[tuple[int, int], ...]) -> int:
    """The extra points a streak of exactly this length earns (day 7: +50, day 30: +300)."""
    return sum(points for days, points in bonuses if days == streak)


def next_bonus(streak: int, bonuses: tuple[tuple[int, int], ...]) -> tuple[int, int] | None:
    """(days still to check in, bonus) for the next streak bonus, or None past the last one."""
    ahead = sorted((days, points) for days, points in bonuses if days > streak)
    return (ahead[0][0] - streak, ahead[0][1]) if ahead else None


def plan_checkin(
    day: date, yesterday_streak: int | None, points: int, bonuses: tuple[tuple[int, int], ...]
) -> CheckinPlan:
    streak = streak_on(day, yesterday_streak)
    return CheckinPlan(day, streak, points, bonus_for(streak, bonuses))


def makeup_day(today: date) -> date:
    """补签 fills yesterday only."""
    return today - timedelta(days=1)


def restreak(days_with_streaks: dict[date, int], filled: date, until: date) -> dict[date, int]:
    """Streaks after filling the gap at `filled`: recount from `filled` through `until`.

    `days_with_streaks` holds the member's check-ins around the gap (day → streak). Returns the
    new streak of every day from `filled` that is part of the now unbroken run.
    """
    before = days_with_streaks.get(filled - timedelta(days=1), 0)
    out, day, streak = {}, filled, before
    while day <= until and (day == filled or day in days_with_streaks):
        streak += 1
        out[day] = streak
        day += timedelta(days=1)
    return out


MAX_BONUSES = 10
BONUS_DAYS = (2, 365)  # a streak bonus is for a streak this long
MAX_BONUS_POINTS = 100_000


def repeated_firsts(pairs: Sequence[tuple[int, int]], what: str) -> list[str]:
    """`[days, points]` pairs (or `[nth, points]`): each first number once."""
    firsts = [p[0] for p in pairs]
    repeated = sorted({f for f in firsts if firsts.count(f) > 1})
    return [f"{what} {f} is given more than once" for f in repeated]
