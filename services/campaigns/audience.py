"""Campaigns: checked on the way in, their audience resolved in SQL, and the planner's decision for
every member of it — who gets which variant by which channel, and who is held back and why.

The planner's SQL mirrors `rules.campaigns.planner.plan` (tests hold the two to the same answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from models import Campaign, Channel, ContactWindow, Delivery, Member, MemberScore, MemberTag, TierRow
from rules.campaigns.audience import audience_problems
from rules.campaigns.lifecycle import DeliveryStatus
from rules.campaigns.planner import Rules, in_quiet_hours
from services.campaigns.covers import cover_problems
from services.campaigns.recurring import recurrence_problems


class InvalidCampaign(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def campaign_problems(session: Session, account_id: int, body: dict[str, Any], now: datetime) -> list[str]:
    """What the account's data and the clock say against a campaign whose fields each hold (the API's
    model checks those): its audience's tiers, a send time not past, a cron expression that fires."""
    tiers = set(session.scalars(select(TierRow.code).where(TierRow.account_id == account_id)))
    problems = audience_problems(body.get("audience") or {}, tiers)
    send_at = body.get("send_at")
    if send_at is not None and send_at < now - timedelta(minutes=1):
        problems.append("send_at: is in the past")
    if body.get("recurring") is not None:
        problems += recurrence_problems(body["recurring"])
    return problems + cover_problems(session, account_id, body.get("cover_image_id"))


def create(session: Session, account_id: int, body: dict[str, Any], now: datetime) -> Campaign:
    problems = campaign_problems(session, account_id, body, now)
    if problems:
        raise InvalidCampaign(problems)
    campaign = Campaign(
        account_id=account_id,
        name=body["name"],
        audience=body.get("audience", {}),
        variants=body["variants"],
        page=body.get("page", "campaign"),
        send_at=body.get("send_at"),
        recurring=body.get("recurring"),
        quiet_start=body.get("quiet_start", 22 * 60),
        quiet_end=body.get("quiet_end", 8 * 60),
        cover_image_id=body.get("cover_image_id"),
    )
    session.add(campaign)
    session.flush()
    return campaign


def audience_filter(session: Session, account_id: int, spec: dict[str, Any], now: datetime) -> list[Any]:
    """WHERE clauses over Member (and MemberScore, outer-joined) for an audience spec."""
    where: list[Any] = [Member.account_id == account_id]
    if "tiers" in spec:
        where.append(Member.tier_code.in_(spec["tiers"]))
    if "stages" in spec:
        where.append(MemberScore.stage.in_(spec["stages"]))
    if "rfm_segments" in spec:
        where.append(MemberScore.rfm_segment.in_(spec["rfm_segments"]))
    if spec.get("kol"):
        where.append(MemberScore.kol.is_(True))
    if "tags" in spec:
        where.append(
            exists().where(
                MemberTag.member_id == Member.id,
                MemberTag.tag.in_(spec["tags"]),
                MemberTag.removed_at.is_(None),
            )
        )
    if "points_min" in spec:
        where.append(Member.points_balance >= spec["points_min"])
    if "points_max" in spec:
        where.append(Member.points_balance <= spec["points_max"])
    if "active_within_days" in spec:
        where.append(Member.last_interaction_at >= now - timedelta(days=spec["active_within_days"]))
    if "inactive_for_days" in spec:
        cutoff = now - timedelta(days=spec["inactive_for_days"])
        where.append(or_(Member.last_interaction_at.is_(None), Member.last_interaction_at < cutoff))
    if "channels" in spec:
        where.append(
            Member.channel_id.in_(
                select(Channel.id).where(Channel.account_id == account_id, Channel.code.in_(spec["channels"]))
            )
        )
    if "followed_since" in spec:
        where.append(Member.first_followed_at >= datetime.fromisoformat(spec["followed_since"]))
    return where


@dataclass(frozen=True)
class Clock:
    """The moments the caps count from, in the account's time zone."""

    now: datetime
    day_start: datetime
    week_start: datetime
    month_start: datetime
    quiet: bool

    @classmethod
    def of(cls, campaign: Campaign, tz_name: str, now: datetime) -> Clock:
        tz = ZoneInfo(tz_name)
        local = now.astimezone(tz)
        midnight = datetime.combine(local.date(), time(), tz)
        return cls(
            now,
            midnight,
            now - timedelta(days=7),
            midnight.replace(day=1),
            quiet_until(campaign, tz_name, now) is not None,
        )


def quiet_until(campaign: Campaign, tz_name: str, now: datetime) -> datetime | None:
    """The end of the campaign's quiet hours when `now` (in the account's time zone) falls in them;
    None when it may send. The one place quiet hours are read: the planner holds members with it,
    the sending job waits with it, the journeys skip a run with it."""
    local = now.astimezone(ZoneInfo(tz_name))
    if not in_quiet_hours(local, campaign.quiet_start, campaign.quiet_end):
        return None
    end = datetime.combine(
        local.date(), time(campaign.quiet_end // 60, campaign.quiet_end % 60), local.tzinfo
    )
    return end if end > local else end + timedelta(days=1)


def audience_size(session: Session, campaign: Campaign, now: datetime) -> int:
    """How many members the campaign's audience matches (followers or not): what the planner
    would decide for, counted without running it."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Member)
            .outerjoin(MemberScore, MemberScore.member_id == Member.id)
            .where(*audience_filter(session, campaign.account_id, campaign.audience or {}, now))
        )
        or 0
    )


def planned(
    session: Session, campaign: Campaign, tz: str, now: datetime, rules: Rules, only: Any = None
) -> Any:
    """A SELECT of (member_id, openid, variant, channel, reason) for everyone in the audience
    (and, for a journey, among the member ids `only` selects)."""
    clock = Clock.of(campaign, tz, now)
    sent = aliased(Delivery)
    counts = (
        select(
            sent.member_id.label("member_id"),
            func.sum(case((sent.sent_at >= clock.day_start, 1), else_=0)).label("today"),
            func.sum(case((sent.sent_at >= clock.week_start, 1), else_=0)).label("week"),
            func.sum(
                case((and_(sent.channel == "mass", sent.sent_at >= clock.month_start), 1), else_=0)
            ).label("mass"),
        )
        .where(
            sent.account_id == campaign.account_id,
            sent.status == DeliveryStatus.SENT,
            sent.sent_at >= min(clock.week_start, clock.month_start),
        )
        .group_by(sent.member_id)
        .subquery()
    )
    today, week, mass = (func.coalesce(c, 0) for c in (counts.c.today, counts.c.week, counts.c.mass))
    kf_open = or_(
        _window(
            ContactWindow.message_at,
            ContactWindow.message_used,
            rules.message_window,
            rules.message_quota,
            now,
        ),
        _window(ContactWindow.event_at, ContactWindow.event_used, rules.event_window, rules.event_quota, now),
    )
    reason = case(
        (Member.following.is_not(True), "unfollowed"),
        (literal(clock.quiet), "quiet_hours"),
        (today >= rules.daily_cap, "daily_cap"),
        (week >= rules.weekly_cap, "weekly_cap"),
        (kf_open, None),
        (mass < rules.mass_per_month, None),
        else_="mass_quota",
    )
    channel = case((reason.is_not(None), None), (kf_open, "kf"), else_="mass")
    return (
        select(
            Member.id.label("member_id"),
            Member.openid.label("openid"),
            variant_of(campaign).label("variant"),
            channel.label("channel"),
            reason.label("reason"),
        )
        .select_from(Member)
        .outerjoin(MemberScore, MemberScore.member_id == Member.id)
        .outerjoin(ContactWindow, ContactWindow.member_id == Member.id)
        .outerjoin(counts, counts.c.member_id == Member.id)
        .where(*audience_filter(session, campaign.account_id, campaign.audience or {}, now))
        .where(Member.id.in_(only) if only is not None else literal(True))
    )


def _window(opened: Any, used: Any, length: timedelta, quota: int, now: datetime) -> ColumnElement[bool]:
    return and_(opened.is_not(None), opened > now - length, used < quota)


def variant_of(campaign: Campaign) -> Any:
    """rules.campaigns.planner.split_variant in SQL: the same member, the same variant, every run."""
    bucket = (Member.id * literal(2654435761) + campaign.id * 40503) % 100
    whens, total = [], 0
    for v in campaign.variants[:-1]:
        total += int(v["split"])
        whens.append((bucket < total, v["code"]))
    last = campaign.variants[-1]["code"]
    return case(*whens, else_=last) if whens else literal(last)


@dataclass(frozen=True)
class Preview:
    audience: int
    by_channel: dict[str, int]
    held: dict[str, int]
    by_variant: dict[str, int]


def preview(session: Session, campaign: Campaign, tz: str, now: datetime, rules: Rules) -> Preview:
    """Counts only: one GROUP BY over the planned rows."""
    rows = planned(session, campaign, tz, now, rules).subquery()
    found = session.execute(
        select(rows.c.variant, rows.c.channel, rows.c.reason, func.count()).group_by(
            rows.c.variant, rows.c.channel, rows.c.reason
        )
    ).all()
    by_channel: dict[str, int] = {"kf": 0, "mass": 0}
    held: dict[str, int] = {}
    by_variant: dict[str, int] = {v["code"]: 0 for v in campaign.variants}
    for variant, channel, reason, n in found:
        if channel:
            by_channel[channel] += n
            by_variant[variant] = by_variant.get(variant, 0) + n
        else:
            held[reason] = held.get(reason, 0) + n
    return Preview(sum(n for *_, n in found), by_channel, held, by_variant)


def dry_run(
    session: Session, campaign: Campaign, tz: str, now: datetime, rules: Rules, page: int, per_page: int
) -> list[Any]:
    rows = planned(session, campaign, tz, now, rules).order_by(Member.id)
    return list(session.execute(rows.offset((page - 1) * per_page).limit(per_page)).all())


def preview_audience(
    session: Session, account_id: int, spec: dict[str, Any], tz: str, now: datetime, rules: Rules
) -> Preview:
    """The counts of `preview` for an audience spec not saved yet (a campaign being edited): checked
    against the account's data first (InvalidCampaign), quiet hours left out (it is not sent now)."""
    tiers = set(session.scalars(select(TierRow.code).where(TierRow.account_id == account_id)))
    problems = audience_problems(spec, tiers)
    if problems:
        raise InvalidCampaign(problems)
    draft = Campaign(  # never added to the session: only read by the planner's SELECT
        id=0,
        account_id=account_id,
        name="preview",
        audience=spec,
        variants=[{"code": "A", "split": 100}],
        quiet_start=0,
        quiet_end=0,
    )
    return preview(session, draft, tz, now, rules)


def campaigns_page(
    session: Session, account_id: int, status: str | None, page: int, per_page: int
) -> tuple[list[Campaign], int]:
    """The account's campaigns (not journeys' messages, not a recurring one's occurrences), newest
    first, of one status or all."""
    where = [Campaign.account_id == account_id, Campaign.kind == "campaign", Campaign.parent_id.is_(None)]
    if status:
        where.append(Campaign.status == status)
    total = int(session.scalar(select(func.count()).select_from(Campaign).where(*where)) or 0)
    rows = session.scalars(
        select(Campaign)
        .where(*where)
        .order_by(Campaign.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


def audience_sizes(session: Session, campaigns: list[Campaign], now: datetime) -> dict[int, int]:
    """How many members each campaign's audience matches."""
    return {c.id: audience_size(session, c, now) for c in campaigns}
