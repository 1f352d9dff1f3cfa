"""Birthdays (生日礼): the date a member may give, and the once-a-year award in their birthday month."""

from __future__ import annotations

from datetime import date, datetime

from rules.points.tasks import Award, PointTask, Refusal, Usage, decide

OLDEST = 120  # years: an older birthday is a typing slip


def birthday_problem(birthday: date, today: date) -> str | None:
    """Why a birthday cannot be kept (in the member's words), or None: not in the future, not
    over 120 years ago."""
    if birthday > today:
        return "生日不能晚于今天"
    if birthday.year < today.year - OLDEST:
        return "请选择正确的出生年份"
    return None


def birthday_key(member_id: int, year: int) -> str:
    """The ledger's idempotency key: one birthday award per member and year."""
    return f"birthday:{year}:{member_id}"


def decide_birthday(
    task: PointTask | None, member_id: int, birthday: date, today: date, at: datetime, tier: str | None
) -> Award | Refusal:
    """The birthday award for `today` (the account's local date): only in the birthday month, then
    by the task's switch, dates and tiers; its key makes it once a year (caps do not apply)."""
    if birthday.month != today.month:
        return Refusal("not_birthday_month")
    return decide(task, Usage(), at, tier, birthday_key(member_id, today.year))
