"""Campaign delivery through the simulator: each member once, retries on 45009, permanent errors
recorded, pause and re-runs that send nothing twice, orders attributed (opens: test_attribution.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from models import Campaign, ContactWindow, Delivery, utcnow
from rules.campaigns.planner import Rules
from services.campaigns import audience as campaign_service
from services.campaigns import delivery
from tasks.campaigns import SENDERS, queue_senders, resume_stalled, send_campaign
from tests.conftest import APPID

VARIANTS = [
    {"code": "A", "split": 50, "title": "周末拿铁买一送一", "summary": "会员专享,周六周日全天"},
    {"code": "B", "split": 50, "title": "积分翻倍周末", "summary": "周末消费积分翻倍"},
]


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    monkeypatch.setattr(campaign_service, "in_quiet_hours", lambda *a: False)


def start(api, run_jobs, audience=None):
    cid = api.post(
        "/campaigns", {"name": "周末", "variants": VARIANTS, "audience": audience or {}}
    ).get_json()["id"]
    assert api.post(f"/campaigns/{cid}/send").status_code == 202
    run_jobs()
    return cid


def test_each_member_gets_one_message_and_a_rerun_sends_nothing(api, talkers, run_jobs, simulator, session):
    cid = start(api, run_jobs)
    sent = simulator.state.custom_messages(APPID)
    assert sorted(m.touser for m in sent) == sorted(talkers)
    assert {m.msgtype for m in sent} == {"news"}
    report = api.get(f"/campaigns/{cid}/report").get_json()
    assert report["status"] == "done"
    assert sum(v["sent"]["kf"] for v in report["variants"].values()) == 6
    assert send_campaign(cid) == {}  # done: a duplicate job does nothing
    session.execute(Campaign.__table__.update().where(Campaign.id == cid).values(status="sending"))
    session.commit()
    send_campaign(cid)  # even forced to run again, every member has their delivery already
    assert len(simulator.state.custom_messages(APPID)) == 6


def total(report: dict, part: str) -> dict:
    """A report part (failed, held or sent) summed over the variants."""
    out: dict = {}
    for v in report.values():
        for k, n in v[part].items():
            out[k] = out.get(k, 0) + n
    return out


def fault(simulator, errcode: int, times: int) -> None:
    body = {"path": "/cgi-bin/message/custom/send", "errcode": errcode, "times": times}
    assert requests.post(f"{simulator.url}/_sim/faults", json=body, timeout=5).ok


def test_rate_limits_are_retried(api, talkers, run_jobs, simulator, session):
    fault(simulator, 45009, 2)
    cid = start(api, run_jobs)
    assert len(simulator.state.custom_messages(APPID)) == 6  # the two refused went in a later batch
    attempts = sorted(session.scalars(select(Delivery.attempts).where(Delivery.campaign_id == cid)))
    assert attempts == [1, 1, 1, 1, 2, 2]


def test_permanent_errors_are_recorded_not_retried_and_the_cap_holds_the_rest(
    api, talkers, run_jobs, simulator
):
    fault(simulator, 45015, 1)
    first = start(api, run_jobs)
    report = api.get(f"/campaigns/{first}/report").get_json()["variants"]
    assert total(report, "failed") == {"45015": 1}
    assert len(simulator.state.custom_messages(APPID)) == 5
    second = start(api, run_jobs)  # the same day: one campaign message a day per member
    report = api.get(f"/campaigns/{second}/report").get_json()["variants"]
    assert total(report, "held") == {"daily_cap": 5}
    assert total(report, "sent") == {"kf": 1, "mass": 0}  # the one who failed, whose window is open


def test_a_paused_campaign_sends_nothing_until_resumed(api, talkers, run_jobs, simulator, session):
    cid = api.post("/campaigns", {"name": "暂停", "variants": VARIANTS}).get_json()["id"]
    session.execute(Campaign.__table__.update().where(Campaign.id == cid).values(status="paused"))
    session.commit()
    assert send_campaign(cid) == {}
    assert simulator.state.custom_messages(APPID) == []
    assert api.post(f"/campaigns/{cid}/resume").status_code == 202
    run_jobs()
    assert len(simulator.state.custom_messages(APPID)) == 6
    assert api.post(f"/campaigns/{cid}/pause").status_code == 409  # done by now


def test_orders_within_seven_days_of_the_message_are_attributed(api, talkers, run_jobs, session):
    cid = start(api, run_jobs)
    for n, openid in enumerate(talkers[:2]):
        order = {"order_no": f"CAMP-{n}", "openid": openid, "amount_fen": 5000 + n}
        assert api.post("/orders", order).status_code == 201
    old = {
        "order_no": "CAMP-OLD",
        "openid": talkers[2],
        "amount_fen": 9900,
        "paid_at": "2026-01-01T10:00:00+08:00",
    }
    assert api.post("/orders", old).status_code == 201  # before the message: not the campaign's
    report = api.get(f"/campaigns/{cid}/report").get_json()
    assert report["attribution_days"] == 7
    assert sum(v["orders"] for v in report["variants"].values()) == 2
    assert sum(v["revenue_fen"] for v in report["variants"].values()) == 10001


def test_a_campaign_left_sending_by_a_dead_worker_is_picked_up_again(
    api, talkers, run_jobs, simulator, session
):
    cid = api.post("/campaigns", {"name": "断点", "variants": VARIANTS}).get_json()["id"]
    with_plan = session.get(Campaign, cid)
    delivery.materialize(session, with_plan, "Asia/Shanghai", utcnow(), Rules())
    with_plan.status, with_plan.started_at = "sending", utcnow() - timedelta(hours=1)
    session.commit()  # planned, marked sending, and nobody working on it
    assert resume_stalled() == 1
    run_jobs()
    assert len(simulator.state.custom_messages(APPID)) == 6
    assert resume_stalled() == 0


def test_a_sent_campaign_whose_job_redis_lost_is_queued_again(api, talkers, run_jobs, simulator, session):
    """Send pressed, then Redis lost its data (the queued senders with it): the campaign stayed a
    draft. The sweeper finds it by send_requested_at; a draft nobody sent is left alone."""
    lost = api.post("/campaigns", {"name": "丢失", "variants": VARIANTS}).get_json()["id"]
    unsent = api.post("/campaigns", {"name": "草稿", "variants": VARIANTS}).get_json()["id"]
    session.get(Campaign, lost).send_requested_at = utcnow() - delivery.STALE - timedelta(minutes=1)
    session.commit()
    assert resume_stalled() == 1
    run_jobs()
    assert len(simulator.state.custom_messages(APPID)) == 6
    session.expire_all()
    assert (session.get(Campaign, lost).status, session.get(Campaign, unsent).status) == ("done", "draft")
    assert resume_stalled() == 0


def test_a_scheduled_campaign_whose_delayed_job_was_lost_is_sent_once_due(api, talkers, run_jobs, session):
    long_ago = utcnow() - delivery.STALE - timedelta(minutes=1)
    due, later = (api.post("/campaigns", {"name": n, "variants": VARIANTS}).get_json()["id"] for n in "甲乙")
    for cid, send_at in ((due, long_ago), (later, utcnow() + timedelta(hours=2))):
        c = session.get(Campaign, cid)
        c.status, c.send_at, c.send_requested_at = "scheduled", send_at, long_ago
    session.commit()
    assert resume_stalled() == 1  # only the one that was due; the other's job still waits in Redis
    run_jobs()
    session.expire_all()
    assert (session.get(Campaign, due).status, session.get(Campaign, later).status) == ("done", "scheduled")


def test_pressing_send_records_when(api, talkers, run_jobs, session):
    later = {"name": "记录", "variants": VARIANTS, "send_at": "2030-01-01T10:00:00+08:00"}
    cid = api.post("/campaigns", later).get_json()["id"]
    assert api.post(f"/campaigns/{cid}/send").status_code == 202
    run_jobs()  # the sender claims it: not time yet, so scheduled
    session.expire_all()
    sent = session.get(Campaign, cid)
    assert sent.status == "scheduled" and sent.send_requested_at is not None


def test_a_sender_that_fails_before_its_claim_is_retried():
    """Seen in tests/faults: both senders met a terminated database connection on their claim, and
    the sent campaign stayed a draft (resume_stalled only looks at sending ones)."""
    queued: list[dict[str, object]] = []

    class Queue:
        def enqueue(self, *args: object, **kwargs: object) -> None:
            queued.append({"args": args, **kwargs})

    queue_senders(Queue(), 7)

    assert len(queued) == SENDERS
    for job in queued:
        assert job["args"] == (send_campaign, 7)
        assert job["retry"].max == 3 and job["retry"].intervals == [5, 30, 120]


def test_a_message_spends_the_window_that_was_open(api, talkers, run_jobs, session):
    session.execute(  # the 48-hour window has used its five; a follow a moment ago opened the other
        ContactWindow.__table__.update().values(message_used=5, event_at=utcnow(), event_used=0)
    )
    session.commit()
    start(api, run_jobs)
    session.expire_all()
    used = {(w.message_used, w.event_used) for w in session.scalars(select(ContactWindow))}
    assert used == {(5, 1)}


@pytest.fixture
def slow_rate(config):
    config["CAMPAIGN_RATE"] = 20.0  # messages a second, all senders together
    config["CAMPAIGN_CONCURRENCY"] = 8


def test_calls_in_flight_together_still_start_at_the_shared_rate(
    slow_rate, api, talkers, run_jobs, simulator
):
    start(api, run_jobs)
    sent = sorted(m.time for m in simulator.state.custom_messages(APPID))
    assert len(sent) == len(talkers)
    gaps = [b - a for a, b in zip(sent, sent[1:], strict=False)]
    assert min(gaps) > 0.5 / 20  # each at its own slot, 1/20 s apart (with the threads' jitter)
