"""Recurring campaigns: a cron expression checked on the way in; each firing makes one occurrence
(a copy sent like any campaign), never two, and none while the campaign is paused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import Campaign, utcnow
from services.campaigns import recurring
from tasks.campaigns import run_recurring
from tests.conftest import APPID
from tests.services.campaigns.test_delivery import VARIANTS, daytime  # noqa: F401  (daytime: a fixture)

DAILY = {"name": "每日早安", "variants": VARIANTS, "recurring": "0 10 * * *"}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"recurring": "*/5 * * * *"}, "at most once an hour"),
        ({"recurring": "every monday"}, "cron expression"),
        ({"recurring": "0 10 * * *", "send_at": "2099-01-01T10:00:00+08:00"}, "exclude each other"),
    ],
)
def test_a_bad_recurrence_is_refused_and_nothing_is_stored(api, session, body, problem):
    answer = api.post("/campaigns", {"name": "坏", "variants": VARIANTS, **body})
    assert answer.status_code == 422 and any(problem in p for p in answer.get_json()["error"]["details"])
    assert session.scalar(select(func.count()).select_from(Campaign)) == 0


def start_recurring(api, session, days_ago: int = 2) -> int:
    cid = api.post("/campaigns", DAILY).get_json()["id"]
    started = api.post(f"/campaigns/{cid}/send")
    assert started.status_code == 202 and started.get_json()["status"] == "recurring"
    session.execute(  # as if it had been started days ago
        Campaign.__table__.update()
        .where(Campaign.id == cid)
        .values(started_at=utcnow() - timedelta(days=days_ago))
    )
    session.commit()
    return cid


def test_each_firing_sends_one_occurrence_to_the_audience(api, talkers, run_jobs, simulator, session):
    cid = api.post("/campaigns", DAILY).get_json()["id"]
    api.post(f"/campaigns/{cid}/send")
    run_jobs()
    assert simulator.state.custom_messages(APPID) == []  # the campaign itself sends nothing
    session.execute(
        Campaign.__table__.update().where(Campaign.id == cid).values(started_at=utcnow() - timedelta(days=3))
    )
    session.commit()

    assert run_recurring() == 1  # three days missed: only the latest firing goes
    assert run_recurring() == 0  # made already
    run_jobs()

    assert sorted(m.touser for m in simulator.state.custom_messages(APPID)) == sorted(talkers)
    report = api.get(f"/campaigns/{cid}/report").get_json()
    [occurrence] = report["occurrences"]
    assert occurrence["status"] == "done"
    child = api.get(f"/campaigns/{occurrence['id']}").get_json()
    assert child["parent_id"] == cid and child["occurs_at"] == occurrence["occurs_at"]
    assert child["occurs_at"].endswith("T10:00:00+08:00")  # in the account's time zone
    assert api.get(f"/campaigns/{cid}").get_json()["status"] == "recurring"


def test_a_paused_or_cancelled_recurring_campaign_makes_no_occurrence(api, talkers, run_jobs, session):
    cid = start_recurring(api, session)
    assert api.post(f"/campaigns/{cid}/pause").get_json()["status"] == "paused"
    assert run_recurring() == 0
    resumed = api.post(f"/campaigns/{cid}/resume")
    assert resumed.status_code == 202 and resumed.get_json()["status"] == "recurring"
    assert api.post(f"/campaigns/{cid}/cancel").get_json()["status"] == "cancelled"
    assert run_recurring() == 0
    assert session.scalar(select(func.count()).select_from(Campaign).where(Campaign.parent_id == cid)) == 0


def test_two_schedulers_make_one_occurrence(api, talkers, session):
    cid = start_recurring(api, session)
    parent = session.get(Campaign, cid)
    at = utcnow().replace(microsecond=0)
    first = recurring.make_occurrence(session, parent, "Asia/Shanghai", at, utcnow())
    second = recurring.make_occurrence(session, parent, "Asia/Shanghai", at, utcnow())
    session.commit()
    assert first is not None and second is None


def test_an_occurrence_whose_senders_were_lost_is_queued_again(api, talkers, run_jobs, simulator, session):
    cid = start_recurring(api, session, days_ago=5)
    parent = session.get(Campaign, cid)
    then, made_at = utcnow() - timedelta(days=3), utcnow() - timedelta(minutes=10)
    made = recurring.make_occurrence(session, parent, "Asia/Shanghai", then, made_at)
    session.commit()  # an occurrence made, and the worker died before queueing its senders
    assert run_recurring() == 2  # that one, and the latest firing
    run_jobs()
    session.expire_all()
    assert session.get(Campaign, made).status == "done"
    assert len(simulator.state.custom_messages(APPID)) == len(talkers)  # the daily cap holds the second
