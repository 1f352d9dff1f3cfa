"""The channel planner: for each member, the customer-service message while WeChat's window is
open, otherwise the mass send within its monthly quota — or held back, with the reason.

WeChat's rules are data (`Rules`), so a change of theirs is a setting, not a code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple


@dataclass(frozen=True)
class Rules:
    message_window: timedelta = timedelta(hours=48)  # after the member sends a message …
    message_quota: int = 5  # … this many customer-service messages
    event_window: timedelta = timedelta(minutes=1)  # after a follow, a scan or a menu click …
    event_quota: int = 3
    mass_per_month: int = 4  # a service account's mass sends reach a member this often a month
    daily_cap: int = 1  # campaign messages per member, across all campaigns
    weekly_cap: int = 3


class Facts(NamedTuple):
    """What the planner needs of one member (one row of the planner's query)."""

    following: bool
    message_at: datetime | None
    message_used: int
    event_at: datetime | None
    event_used: int
    sent_today: int  # campaign messages delivered today (the account's day) …
    sent_week: int  # … and in the last seven days
    mass_month: int  # mass sends that reached them this calendar month


def plan(f: Facts, now: datetime, quiet: bool, rules: Rules) -> tuple[str | None, str | None]:
    """(channel, None) to send by "kf" or "mass"; (None, reason) when held back."""
    if not f.following:
        return None, "unfollowed"
    if quiet:
        return None, "quiet_hours"
    if f.sent_today >= rules.daily_cap:
        return None, "daily_cap"
    if f.sent_week >= rules.weekly_cap:
        return None, "weekly_cap"
    if window_open(f.message_at, f.message_used, rules.message_window, rules.message_quota, now):
        return "kf", None
    if window_open(f.event_at, f.event_used, rules.event_window, rules.event_quota, now):
        return "kf", None
    if f.mass_month < rules.mass_per_month:
        return "mass", None
    return None, "mass_quota"


def window_open(opened: datetime | None, used: int, length: timedelta, quota: int, now: datetime) -> bool:
    return opened is not None and now - opened < length and used < quota


def in_quiet_hours(local: datetime, start_minute: int, end_minute: int) -> bool:
    """Quiet hours in the account's time zone, e.g. 22:00–08:00 (wrapping past midnight)."""
    minute = local.hour * 60 + local.minute
    if start_minute == end_minute:
        return False
    if start_minute < end_minute:
        return start_minute <= minute < end_minute
    return minute >= start_minute or minute < end_minute


def split_variant(member_id: int, campaign_id: int, splits: list[tuple[str, int]]) -> str:
    """A stable A/B assignment: the same member always lands in the same variant of a campaign."""
    bucket = (member_id * 2654435761 + campaign_id * 40503) % 100
    total = 0
    for code, percent in splits:
        total += percent
        if bucket < total:
            return code
    return splits[-1][0]
