"""Recurring campaigns: a cron expression in the account's time zone, and the occurrences due
now, each made once (a copy of the campaign that is sent like any other; frequency caps across
campaigns still hold every member).

A recurring campaign sends nothing itself; each time its expression fires, an occurrence is made.
Only the latest missed occurrence is made after downtime: a campaign meant for 10:00 every day
that was down for three days sends once, not three times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Account, Campaign
from models.upsert import upsert
from rules.campaigns.lifecycle import CampaignStatus

MIN_GAP = timedelta(hours=1)  # the fastest a campaign may recur: frequency caps hold members anyway
LOOK_AHEAD = 48  # occurrences checked for MIN_GAP


def recurrence_problems(expression: object) -> list[str]:
    """What is wrong with a `recurring` value: a five-field cron expression firing at most hourly."""
    if not isinstance(expression, str) or len(expression) > 40 or len(expression.split()) != 5:
        return ["recurring must be a cron expression of five fields, e.g. '0 10 * * 1' (Mondays 10:00)"]
    if not croniter.is_valid(expression):
        return [f"recurring {expression!r} is not a valid cron expression"]
    it = croniter(expression, datetime(2026, 1, 1, tzinfo=UTC))
    fires = [it.get_next(datetime) for _ in range(LOOK_AHEAD)]
    if any(b - a < MIN_GAP for a, b in zip(fires, fires[1:], strict=False)):
        return ["recurring may fire at most once an hour"]
    return []


def due_occurrence(
    expression: str, timezone: str, since: datetime, last: datetime | None, now: datetime
) -> datetime | None:
    """The latest time the expression fired in (since, now], in UTC, when it is later than `last`
    (the occurrence made before); None when nothing is due."""
    local_now = now.astimezone(ZoneInfo(timezone))
    fired: datetime = croniter(expression, local_now).get_prev(datetime)
    if local_now == croniter(expression, local_now - timedelta(seconds=1)).get_next(datetime):
        fired = local_now  # firing this very second counts
    at = fired.astimezone(UTC)
    if at <= since or (last is not None and at <= last):
        return None
    return at


LOST = timedelta(minutes=5)  # an occurrence still a draft this long after it was made lost its senders


def make_due(session: Session, now: datetime) -> list[int]:
    """Make the occurrence due for every recurring campaign; the ids of those this call made."""
    made = []
    parents = session.execute(
        select(Campaign, Account.timezone)
        .join(Account, Account.id == Campaign.account_id)
        .where(Campaign.status == CampaignStatus.RECURRING, Campaign.recurring.is_not(None))
    ).all()
    for parent, timezone in parents:
        last = session.scalar(select(func.max(Campaign.occurs_at)).where(Campaign.parent_id == parent.id))
        since = parent.started_at or parent.created_at
        at = due_occurrence(parent.recurring or "", timezone, since, last, now)
        if at is not None:
            campaign_id = make_occurrence(session, parent, timezone, at, now)
            if campaign_id is not None:
                made.append(campaign_id)
    return made


def make_occurrence(
    session: Session, parent: Campaign, timezone: str, at: datetime, now: datetime
) -> int | None:
    """Copy the campaign for its firing at `at`; None when that occurrence exists already."""
    local = at.astimezone(ZoneInfo(timezone))
    stmt = upsert(session, Campaign).values(
        account_id=parent.account_id,
        name=f"{parent.name[:44]} · {local:%m-%d %H:%M}",
        status=CampaignStatus.DRAFT,
        kind="campaign",
        audience=parent.audience,
        variants=parent.variants,
        cover_image_id=parent.cover_image_id,
        page=parent.page,
        quiet_start=parent.quiet_start,
        quiet_end=parent.quiet_end,
        created_at=now,
        parent_id=parent.id,
        occurs_at=at,
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=["parent_id", "occurs_at"])
    return session.execute(stmt.returning(Campaign.id)).scalar_one_or_none()


def lost_occurrences(session: Session, now: datetime) -> list[int]:
    """Occurrences made but never started (the worker died before queueing their senders)."""
    return list(
        session.scalars(
            select(Campaign.id).where(
                Campaign.parent_id.is_not(None),
                Campaign.status == CampaignStatus.DRAFT,
                Campaign.started_at.is_(None),
                Campaign.created_at < now - LOST,
            )
        )
    )


def occurrences(session: Session, parent_id: int) -> list[tuple[int, datetime | None, str]]:
    """The latest 100 (id, firing time, status), newest first."""
    rows = session.execute(
        select(Campaign.id, Campaign.occurs_at, Campaign.status)
        .where(Campaign.parent_id == parent_id)
        .order_by(Campaign.occurs_at.desc())
        .limit(100)
    )
    return [(i, at, status) for i, at, status in rows]
