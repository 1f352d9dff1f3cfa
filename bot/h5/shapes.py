"""The shapes pages draw: the tier progress bar, a month and a week of check-ins, the current streak,
the ledger by month, the reviews' stars, the catalogue's order."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.h5.wording import WEEKDAYS, Line, tier_gap
from models import Checkin, Reward
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


@dataclass(frozen=True)
class StripDay:
    day: date
    label: str  # 今天, 周三
    checked: bool
    makeup: bool


def week_strip(checkins: Iterable[Checkin], today: date) -> list[StripDay]:
    """The last seven days, oldest first, each with whether it was checked in."""
    done = {c.day: c.makeup for c in checkins}
    days = [today - timedelta(days=n) for n in range(6, -1, -1)]
    label = {d: "今天" if d == today else f"周{WEEKDAYS[d.weekday()]}" for d in days}
    return [StripDay(d, label[d], d in done, done.get(d, False)) for d in days]


def on_shelf(rewards: Iterable[Reward]) -> list[Reward]:
    """The catalogue as shown: what can still be had first (cheapest first), sold-out items last."""
    return sorted(rewards, key=lambda r: (r.stock <= 0, r.points_price, r.id))


def next_reward(rewards: Iterable[Reward], available: int) -> tuple[int, str] | None:
    """(points still missing, name) of the cheapest reward in stock the member cannot afford yet."""
    out_of_reach = [r for r in rewards if r.stock > 0 and r.points_price > available]
    if not out_of_reach:
        return None
    cheapest = min(out_of_reach, key=lambda r: (r.points_price, r.id))
    return cheapest.points_price - available, cheapest.name


def by_month(lines: Iterable[Line]) -> list[tuple[str, list[Line]]]:
    """Ledger lines (newest first) under their month's header."""
    groups: list[tuple[str, list[Line]]] = []
    for line in lines:
        if not groups or groups[-1][0] != line.month:
            groups.append((line.month, []))
        groups[-1][1].append(line)
    return groups


@dataclass(frozen=True)
class Stars:
    average: str  # "4.6", "" with no reviews
    total: int
    rows: list[tuple[int, int, int]]  # (stars, reviews, percent of all), 5 stars first


def stars(counts: dict[int, int]) -> Stars:
    total = sum(counts.get(n, 0) for n in range(1, 6))
    if not total:
        return Stars("", 0, [(n, 0, 0) for n in range(5, 0, -1)])
    average = sum(n * counts.get(n, 0) for n in range(1, 6)) / total
    rows = [(n, counts.get(n, 0), counts.get(n, 0) * 100 // total) for n in range(5, 0, -1)]
    return Stars(f"{average:.1f}", total, rows)


def initial(nickname: str | None) -> str:
    """What the avatar circle shows: the nickname's first character, or 会员."""
    return nickname.strip()[0] if nickname and nickname.strip() else "会员"
