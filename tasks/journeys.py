"""Triggered journeys, every five minutes: members whose moment came get the journey's message
through the campaign planner, caps and delivery (once per member per journey)."""

from __future__ import annotations

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import Account, Campaign, Journey, utcnow
from rules.campaigns.planner import Rules, in_quiet_hours
from services.campaigns import delivery, journeys
from tasks.campaigns import Sender
from tasks.runtime import current

log = logging.getLogger(__name__)


def run_journeys() -> dict[str, int]:
    """Plan and send every enabled journey's due members; returns deliveries planned per journey."""
    runtime, planned = current(), {}
    with runtime.job_sessions.begin() as session:
        for account_id in session.scalars(select(Account.id)):
            journeys.ensure_defaults(session, account_id)
    with runtime.job_sessions() as session:
        found = session.execute(
            select(Journey.id, Journey.campaign_id, Account.id, Account.timezone)
            .join(Account, Account.id == Journey.account_id)
            .where(Journey.enabled.is_(True))
            .order_by(Journey.id)
        ).all()
    for journey_id, campaign_id, account_id, tz in found:
        now = utcnow()
        with runtime.job_sessions.begin() as session:
            journey = session.get(Journey, journey_id)
            campaign = session.get(Campaign, campaign_id)
            assert journey is not None and campaign is not None
            local = now.astimezone(ZoneInfo(tz))
            if in_quiet_hours(local, campaign.quiet_start, campaign.quiet_end):
                planned[journey.name] = 0
                continue  # the next run after quiet hours reaches them
            day_start = datetime.combine(local.date(), time(), local.tzinfo)
            before = sum(delivery.counts(session, campaign_id).values())
            counts = delivery.materialize(
                session, campaign, tz, now, Rules(), journeys.due(journey, now, day_start)
            )
            planned[journey.name] = sum(counts.values()) - before
            account = session.get(Account, account_id)
            assert account is not None
        if planned[journey.name]:
            with Sender(runtime, account, campaign) as sender:
                while sender.kf_batch() or sender.mass_batch():
                    pass
    log.info("journeys planned: %s", planned)
    return planned
