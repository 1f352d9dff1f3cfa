"""The shapes pages draw: the tier progress bar, a month of check-ins, the current streak."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.h5.wording import tier_gap
from models import Checkin
from rules.points.tiers import Tier, tier_for
from services.points.balances import Statement

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Progress:
    tier_name: str
    percent: int  # of the way from this tier's threshold to the next one's
    text: str  # 再得 120 积分升级为银卡会员


def progress(st: Statement, tiers: Sequence[Tier], basis: str) -> Progress:
    name = st.tier.name if st.tier else "普通会员"
    if st.next is None:
        return Progress(name, 100, "已是最高等级，感谢你的支持")
    upcoming, gap = st.next
    value = upcoming.threshold - gap
    reached = tier_for(value, tiers)  # the bar starts where the value is, whatever tier is held
    floor = reached.threshold if reached else 0
    span = upcoming.threshold - floor
    percent = min(max((value - floor) * 100 // span, 0), 100) if span > 0 else 0
    return Progress(name, percent, tier_gap(upcoming.name, gap, basis))


@dataclass(frozen=True)
class Day:
    day: date
    checked: bool
    makeup: bool
    today: bool
    future: bool


def month_of(raw: str | None, today: date) -> date:
    """The first day of the month `YYYY-MM` names; this month when absent, malformed or ahead."""
    this_month = today.replace(day=1)
    match = MONTH.match(raw or "")
    if not match:
        return this_month
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return this_month
    return min(date(year, month, 1), this_month)


def month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def month_grid(first: date, checkins: Iterable[Checkin], today: date) -> list[list[Day | None]]:
    """Weeks of the month, Monday first; None pads the first and last week."""
    done = {c.day: c for c in checkins}
    cells: list[Day | None] = [None] * first.weekday()
    day = first
    while day.month == first.month:
        c = done.get(day)
        cells.append(Day(day, c is not None, bool(c and c.makeup), day == today, day > today))
        day += timedelta(days=1)
    cells += [None] * (-len(cells) % 7)
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def current_streak(checkins: Iterable[Checkin], today: date) -> int:
    """Today's streak, or yesterday's while today's check-in is still to come; else 0."""
    streaks = {c.day: c.streak for c in checkins}
    return streaks.get(today) or streaks.get(today - timedelta(days=1)) or 0
