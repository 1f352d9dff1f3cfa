"""The campaign lifecycle service: the merchant's actions, the sending job's claim and close, and
the planner run once per send."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models import Account, Campaign, Delivery, utcnow
from rules.campaigns.lifecycle import Action, CampaignStatus
from rules.campaigns.planner import Rules
from services.campaigns import audience as campaign_service
from services.campaigns import lifecycle
from tests.services.campaigns.test_delivery import VARIANTS, daytime, start  # noqa: F401  (daytime: a fixture)


def made(api, **fields):
    body = {"name": "周末", "variants": VARIANTS, "audience": {}, **fields}
    return api.post("/campaigns", body).get_json()["id"]


def test_a_send_runs_the_planner_once(api, talkers, run_jobs, session, monkeypatch):
    calls = []
    planned = campaign_service.planned

    def counted(*args, **kwargs):
        calls.append(args[1].id)
        return planned(*args, **kwargs)

    monkeypatch.setattr(campaign_service, "planned", counted)
    cid = start(api, run_jobs)
    assert calls == [cid]
    assert session.get(Campaign, cid).status == CampaignStatus.DONE
    assert session.scalar(select(func.count()).where(Delivery.campaign_id == cid)) == len(talkers)


def test_the_service_acts_as_the_rules_say(api, talkers, session):
    cid = made(api)
    campaign = session.get(Campaign, cid)
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.act(session, campaign, Action.PAUSE, utcnow())
    assert lifecycle.act(session, campaign, Action.SEND, utcnow()) is True  # queue its senders
    assert campaign.status == CampaignStatus.DRAFT  # the job moves it on
    assert lifecycle.act(session, campaign, Action.CANCEL, utcnow()) is False
    assert campaign.status == CampaignStatus.CANCELLED
    session.rollback()


def test_a_send_to_nobody_is_refused_and_changes_nothing(api, talkers, session):
    cid = made(api, audience={"tags": ["没有人"]})
    campaign = session.get(Campaign, cid)
    with pytest.raises(lifecycle.EmptyAudience):
        lifecycle.act(session, campaign, Action.SEND, utcnow())
    assert campaign.status == CampaignStatus.DRAFT
    session.rollback()


def test_a_recurring_campaign_sent_starts_recurring_without_senders(api, talkers, session):
    cid = made(api, recurring="0 10 * * *")
    campaign = session.get(Campaign, cid)
    now = utcnow()
    assert lifecycle.act(session, campaign, Action.SEND, now) is False
    assert campaign.status == CampaignStatus.RECURRING and campaign.started_at == now
    session.rollback()


def test_in_quiet_hours_the_job_schedules_the_campaign_until_they_end(api, talkers, session, monkeypatch):
    monkeypatch.setattr(campaign_service, "in_quiet_hours", lambda *a: True)
    cid = made(api, quiet_start=22 * 60, quiet_end=8 * 60)
    now = utcnow()
    claim = lifecycle.claim(session, cid, now, Rules())
    assert claim is not None and claim.campaign.status == CampaignStatus.SCHEDULED
    tz = session.scalar(select(Account.timezone).where(Account.id == claim.campaign.account_id))
    local = now.astimezone(ZoneInfo(tz))
    eight = datetime.combine(local.date(), datetime.min.time(), local.tzinfo).replace(hour=8)
    assert claim.later == (eight if eight > local else eight + timedelta(days=1))
    assert claim.campaign.started_at is None  # nothing planned yet
    assert session.scalar(select(func.count()).where(Delivery.campaign_id == cid)) == 0
    session.rollback()


def test_a_send_at_in_the_future_is_waited_for(api, talkers, session):
    at = utcnow() + timedelta(hours=2)
    cid = made(api, send_at=at.isoformat())
    claim = lifecycle.claim(session, cid, utcnow(), Rules())
    assert claim is not None and claim.later == at and claim.campaign.status == CampaignStatus.SCHEDULED
    session.rollback()


@pytest.mark.parametrize("status", [CampaignStatus.PAUSED, CampaignStatus.CANCELLED, CampaignStatus.DONE])
def test_the_job_leaves_what_is_not_its_to_send(api, talkers, session, status):
    cid = made(api)
    session.get(Campaign, cid).status = status
    session.flush()
    assert lifecycle.claim(session, cid, utcnow(), Rules()) is None
    assert session.get(Campaign, cid).status == status
    session.rollback()


def test_the_job_claims_plans_and_closes(api, talkers, session):
    cid = made(api)
    now = utcnow()
    claim = lifecycle.claim(session, cid, now, Rules())
    assert claim is not None and claim.later is None
    assert claim.campaign.status == CampaignStatus.SENDING and claim.campaign.started_at == now
    assert lifecycle.still_sending(session, cid)
    counts = lifecycle.close(session, cid, now)
    assert counts == {"planned": len(talkers)} and session.get(Campaign, cid).status == CampaignStatus.SENDING
    session.execute(Delivery.__table__.update().values(status="sent"))
    assert lifecycle.close(session, cid, now) == {"sent": len(talkers)}
    assert session.get(Campaign, cid).status == CampaignStatus.DONE and not lifecycle.still_sending(
        session, cid
    )
    session.rollback()
