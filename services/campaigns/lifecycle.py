"""The campaign lifecycle over the database: the merchant's actions, and the sending job's claim,
check and close. Every write of a campaign's status goes through here; which move is allowed is
`rules.campaigns.lifecycle`'s to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Account, Campaign, Delivery
from rules.campaigns import lifecycle as rules
from rules.campaigns.lifecycle import PENDING_DELIVERIES, Action, CampaignStatus, NotAllowed
from rules.campaigns.planner import Rules
from services.campaigns import audience, delivery

__all__ = ["Action", "Claim", "EmptyAudience", "NotAllowed", "act", "claim", "close", "stalled"]


class EmptyAudience(ValueError):
    """A send whose audience matches no member: nothing would go out."""


def act(session: Session, campaign: Campaign, action: Action, now: datetime) -> bool:
    """Apply the merchant's action to the campaign. Returns whether its senders are to be queued
    (after the commit). Raises NotAllowed from a status the action does not apply to, and
    EmptyAudience for a send to nobody."""
    after = rules.after_action(action, campaign.status, bool(campaign.recurring))
    if action is Action.SEND and audience.audience_size(session, campaign, now) == 0:
        raise EmptyAudience(f"campaign {campaign.id}'s audience matches no member")
    campaign.status = after
    if action is Action.SEND:
        campaign.send_requested_at = now
    if after is CampaignStatus.RECURRING:  # its occurrences send (tasks.campaigns.run_recurring)
        campaign.started_at = campaign.started_at or now
    return rules.queues_senders(action, after)


@dataclass(frozen=True)
class Claim:
    """A sending job's hold on its campaign: the campaign and its account, and when to come back
    (send_at, or the end of quiet hours) when it is not time yet; None: send now."""

    campaign: Campaign
    account: Account
    later: datetime | None


def claim(session: Session, campaign_id: int, now: datetime, planner: Rules) -> Claim | None:
    """Take the campaign up for sending (its row locked): scheduled when it is not time yet;
    otherwise sending, planned once (a resumed or repeated run sends what is left) and with the
    deliveries a killed worker left taken back. None when it is not the job's to send."""
    campaign = session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None or campaign.status not in rules.CLAIMABLE:
        return None
    account = session.get(Account, campaign.account_id)
    assert account is not None
    later = not_yet(campaign, account.timezone, now)
    status = rules.claim(campaign.status, later is not None)
    assert status is not None
    campaign.status = status
    if later is None:
        if campaign.started_at is None:
            delivery.materialize(session, campaign, account.timezone, now, planner)
            campaign.started_at = now
        delivery.rescue_stale(session, campaign_id, now)
    return Claim(campaign, account, later)


def not_yet(campaign: Campaign, tz: str, now: datetime) -> datetime | None:
    """When to come back: the scheduled time, or the end of quiet hours; None to send now."""
    if campaign.send_at is not None and campaign.send_at > now:
        return campaign.send_at
    return audience.quiet_until(campaign, tz, now)


def still_sending(session: Session, campaign_id: int) -> bool:
    """Whether the senders go on (the merchant may have paused or cancelled it meanwhile)."""
    status = session.scalar(select(Campaign.status).where(Campaign.id == campaign_id))
    return status == CampaignStatus.SENDING


def close(session: Session, campaign_id: int, now: datetime) -> dict[str, int]:
    """The job's last move: a sending campaign with nothing left to send is done. Returns its
    deliveries by status."""
    counts = delivery.counts(session, campaign_id)
    campaign = session.get(Campaign, campaign_id)
    if campaign is not None:
        left = sum(counts.get(s, 0) for s in PENDING_DELIVERIES)
        after = rules.close(campaign.status, left)
        if after is not None:
            campaign.status, campaign.finished_at = after, now
    return counts


def stalled(session: Session, now: datetime) -> list[int]:
    """Campaigns whose senders should be running and are not: still sending with deliveries
    waiting (a worker died, a job timed out), sent but still a draft (the job was lost with
    Redis's data), or scheduled and due long ago (the delayed job was lost the same way)."""
    return sorted(set(_sending_stalled(session, now) + _lost_sends(session, now)))


def _sending_stalled(session: Session, now: datetime) -> list[int]:
    return list(
        session.scalars(
            select(Campaign.id)
            .where(
                Campaign.status == CampaignStatus.SENDING,
                Campaign.kind == "campaign",
                Campaign.started_at < now - delivery.STALE,
            )
            .where(
                select(Delivery.id)
                .where(Delivery.campaign_id == Campaign.id, Delivery.status.in_(PENDING_DELIVERIES))
                .exists()
            )
        )
    )


def _lost_sends(session: Session, now: datetime) -> list[int]:
    """Sent drafts and scheduled campaigns that were already due a STALE while ago: their jobs
    would have claimed them by now. (Senders queued twice share the batches: nothing goes twice.)"""
    due_by = now - delivery.STALE
    rows = session.execute(
        select(Campaign, Account.timezone)
        .join(Account, Account.id == Campaign.account_id)
        .where(
            Campaign.kind == "campaign",
            Campaign.status.in_([CampaignStatus.DRAFT, CampaignStatus.SCHEDULED]),
            Campaign.send_requested_at < due_by,
        )
    ).all()
    return [c.id for c, tz in rows if not_yet(c, tz, due_by) is None]
