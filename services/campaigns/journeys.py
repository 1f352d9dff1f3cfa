"""Triggered journeys: who reached a journey's moment (their trigger plus the delay) and gets its
message now — through the same planner, caps and delivery as campaigns, once per member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import Session

from models import (
    Account,
    Campaign,
    Checkin,
    Delivery,
    Journey,
    Member,
    MemberTag,
    Reward,
    TierChange,
    TierRow,
)
from models.base import UTCDateTime, utcnow
from rules.campaigns.audience import audience_problems
from rules.campaigns.lifecycle import CampaignStatus
from rules.campaigns.planner import Rules
from services.campaigns import audience as campaigns
from services.campaigns import delivery
from services.campaigns.covers import cover_problems
from services.points import rewards
from services.segments.scoring import KOL_TAG

LOOKBACK = timedelta(days=2)  # a run only reaches moments this recent: a new journey does not flood

DEFAULTS: list[dict[str, Any]] = [
    {
        "name": "新人欢迎 · 第一天",
        "trigger": "follow",
        "delay_minutes": 60,
        "title": "欢迎加入，每日签到领积分",
        "summary": "回复「签到」或点菜单签到，连续 7 天再得 50 积分",
    },
    {
        "name": "新人欢迎 · 第三天",
        "trigger": "follow",
        "delay_minutes": 3 * 24 * 60,
        "title": "完善资料，解锁会员福利",
        "summary": "绑定手机号，生日月有惊喜",
    },
    {
        "name": "连续签到提醒",
        "trigger": "streak_at_risk",
        "trigger_days": 3,
        "delay_minutes": 18 * 60,  # 18:00 of the day they have not checked in yet
        "title": "今天还没签到哦",
        "summary": "别让连续签到中断，签到继续领积分",
    },
    {
        "name": "唤醒 · 14 天未互动",
        "trigger": "inactive",
        "trigger_days": 14,
        "delay_minutes": 0,
        "title": "好久不见，送你一张回归券",
        "summary": "回来看看，积分兑换有新品",
        "reward": {  # the 回归券 the title promises: granted to each member the message reaches
            "name": "回归券",
            "kind": "coupon",
            "points_price": 200,
            "stock": 1000,
            "description": "老朋友回归专享优惠券，到店出示兑换码使用",
        },
    },
]


def ensure_defaults(session: Session, account_id: int) -> None:
    """Seed the onboarding series and re-activation journeys of a new account (disabled ones stay)."""
    if session.scalar(select(func.count()).where(Journey.account_id == account_id)):
        return
    since = session.scalar(select(Account.created_at).where(Account.id == account_id))
    for d in DEFAULTS:  # they stand since the account does: its first followers are welcomed too
        body = {k: v for k, v in d.items() if k != "reward"}
        if "reward" in d:
            body["reward_id"] = rewards.create_reward(session, account_id, d["reward"]).id
        create(session, account_id, body).created_at = since or utcnow()


def ensure_every_default(session: Session) -> None:
    """Seed the default journeys of every account that has none yet."""
    for account_id in session.scalars(select(Account.id)).all():
        ensure_defaults(session, account_id)


class InvalidJourney(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def create(session: Session, account_id: int, body: dict[str, Any]) -> Journey:
    problems = journey_problems(session, account_id, body)
    if problems:
        raise InvalidJourney(problems)
    variant = {"code": "A", "split": 100, "title": body["title"], "summary": body["summary"]}
    campaign = Campaign(
        account_id=account_id,
        name=body["name"],
        kind="journey",
        status=CampaignStatus.SENDING,  # always: each run sends to the members it triggered
        audience=body.get("audience", {}),
        variants=[variant],
        cover_image_id=body.get("cover_image_id"),
    )
    session.add(campaign)
    session.flush()
    journey = Journey(
        account_id=account_id,
        name=body["name"],
        trigger=body["trigger"],
        trigger_days=body.get("trigger_days"),
        delay_minutes=body.get("delay_minutes", 0),
        campaign_id=campaign.id,
        reward_id=body.get("reward_id"),
    )
    session.add(journey)
    session.flush()
    return journey


def journey_problems(session: Session, account_id: int, body: dict[str, Any]) -> list[str]:
    """What the account's data says against a journey whose fields each hold: its audience's tiers,
    its reward (an enabled one of the account), its cover (an image of the account)."""
    tiers = set(session.scalars(select(TierRow.code).where(TierRow.account_id == account_id)))
    problems = audience_problems(body.get("audience") or {}, tiers | {"normal", "silver", "gold"})
    problems += reward_problems(session, account_id, body.get("reward_id"))
    return problems + cover_problems(session, account_id, body.get("cover_image_id"))


def reward_problems(session: Session, account_id: int, reward_id: int | None) -> list[str]:
    if reward_id is None:
        return []
    enabled = session.scalar(
        select(Reward.enabled).where(Reward.id == reward_id, Reward.account_id == account_id)
    )
    if enabled is None:
        return [f"reward_id: no reward {reward_id}"]
    return [] if enabled else [f"reward_id: reward {reward_id} is not enabled"]


def journeys_of(session: Session, account_id: int) -> list[Journey]:
    """The account's journeys, the defaults seeded on first ask."""
    ensure_defaults(session, account_id)
    return list(session.scalars(select(Journey).where(Journey.account_id == account_id).order_by(Journey.id)))


def message_of(session: Session, journey: Journey) -> tuple[Campaign, int]:
    """The journey's message (its campaign) and how many members it was sent to."""
    campaign = session.get(Campaign, journey.campaign_id)
    assert campaign is not None
    sent = session.scalar(
        select(func.count()).where(Delivery.campaign_id == journey.campaign_id, Delivery.status == "sent")
    )
    return campaign, int(sent or 0)


def switch(session: Session, account_id: int, journey_id: int, enabled: bool | None) -> Journey | None:
    """Stop a journey (what is sent stays sent) or start it again (None: leave it); None for no such
    journey."""
    found = session.scalar(select(Journey).where(Journey.id == journey_id, Journey.account_id == account_id))
    if found is not None and enabled is not None:
        found.enabled = enabled
    return found


def set_reward(session: Session, account_id: int, journey_id: int, reward_id: int | None) -> Journey | None:
    """Grant this reward (None: no reward) to the members the journey reaches from now on; None for
    no such journey, InvalidJourney for a reward that is not an enabled one of the account."""
    found = session.scalar(select(Journey).where(Journey.id == journey_id, Journey.account_id == account_id))
    if found is not None:
        problems = reward_problems(session, account_id, reward_id)
        if problems:
            raise InvalidJourney(problems)
        found.reward_id = reward_id
    return found


def moments(journey: Journey, now: datetime, tz_day_start: datetime) -> Any:
    """A SELECT of (member_id, at): each member's trigger moment for this journey."""
    a = journey.account_id
    if journey.trigger == "follow":
        return select(Member.id.label("member_id"), Member.first_followed_at.label("at")).where(
            Member.account_id == a, Member.first_followed_at.is_not(None)
        )
    if journey.trigger == "first_checkin":
        return (
            select(Checkin.member_id.label("member_id"), func.min(Checkin.created_at).label("at"))
            .where(Checkin.account_id == a)
            .group_by(Checkin.member_id)
        )
    if journey.trigger == "streak_at_risk":  # checked in yesterday with a streak, not yet today
        last = (
            select(
                Checkin.member_id,
                func.max(Checkin.day).label("day"),
                func.max(Checkin.streak).label("streak"),
            )
            .where(Checkin.account_id == a)
            .group_by(Checkin.member_id)
            .subquery()
        )
        yesterday = (tz_day_start - timedelta(days=1)).date()
        return select(
            last.c.member_id.label("member_id"), literal(tz_day_start, UTCDateTime()).label("at")
        ).where(last.c.day == yesterday, last.c.streak >= (journey.trigger_days or 3))
    if journey.trigger == "inactive":
        days = timedelta(days=journey.trigger_days or 14)
        return select(Member.id.label("member_id"), Member.last_interaction_at.label("at")).where(
            Member.account_id == a, Member.last_interaction_at < now - days
        )
    if journey.trigger == "tier_up":
        return (
            select(TierChange.member_id.label("member_id"), func.max(TierChange.changed_at).label("at"))
            .where(TierChange.account_id == a, TierChange.reason == "upgrade")
            .group_by(TierChange.member_id)
        )
    return select(MemberTag.member_id.label("member_id"), MemberTag.created_at.label("at")).where(
        MemberTag.account_id == a, MemberTag.tag == KOL_TAG, MemberTag.removed_at.is_(None)
    )


def due(journey: Journey, now: datetime, tz_day_start: datetime) -> Any:
    """Member ids whose moment (plus the delay) has come, recently, and after the journey began.

    For "inactive" the moment is when they went quiet plus the days: the delay counts from there.
    """
    m = moments(journey, now, tz_day_start).subquery()
    delay = timedelta(minutes=journey.delay_minutes)
    if journey.trigger == "inactive":
        delay += timedelta(days=journey.trigger_days or 14)
        return select(m.c.member_id).where(m.c.at <= now - delay, m.c.at > now - delay - LOOKBACK)
    return select(m.c.member_id).where(
        and_(m.c.at <= now - delay, m.c.at > now - delay - LOOKBACK, m.c.at >= journey.created_at)
    )


@dataclass(frozen=True)
class Enabled:
    """An enabled journey, its campaign and the account's time zone."""

    journey_id: int
    campaign_id: int
    account_id: int
    timezone: str


def enabled(session: Session) -> list[Enabled]:
    """Every enabled journey of every account, in id order."""
    rows = session.execute(
        select(Journey.id, Journey.campaign_id, Account.id, Account.timezone)
        .join(Account, Account.id == Journey.account_id)
        .where(Journey.enabled.is_(True))
        .order_by(Journey.id)
    )
    return [Enabled(*row) for row in rows]


@dataclass(frozen=True)
class Planned:
    """What a journey's run planned: its name, the deliveries it added, its campaign and account
    (for the senders)."""

    name: str
    added: int
    campaign: Campaign
    account: Account


def plan_due(session: Session, found: Enabled, now: datetime, planner: Rules) -> Planned:
    """Plan the journey's message for the members whose moment came. Nothing in quiet hours: the
    next run after them reaches those members."""
    journey = session.get(Journey, found.journey_id)
    campaign = session.get(Campaign, found.campaign_id)
    account = session.get(Account, found.account_id)
    assert journey is not None and campaign is not None and account is not None
    if campaigns.quiet_until(campaign, found.timezone, now) is not None:
        return Planned(journey.name, 0, campaign, account)
    local = now.astimezone(ZoneInfo(found.timezone))
    day_start = datetime.combine(local.date(), time(), local.tzinfo)
    before = sum(delivery.counts(session, campaign.id).values())
    counts = delivery.materialize(
        session, campaign, found.timezone, now, planner, due(journey, now, day_start)
    )
    return Planned(journey.name, sum(counts.values()) - before, campaign, account)
