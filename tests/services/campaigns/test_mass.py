"""Mass sends: members outside the customer-service window get the campaign by openid list; the
MASSSENDJOBFINISH WeChat posts back is recorded once, a replay changes nothing, a retried send
with the same clientmsgid is not sent twice."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from models import Campaign, Delivery, MassSend, Member, utcnow
from services.campaigns import audience as campaign_service
from simulator import Phone
from simulator.webhooks import WebhookConfig
from tasks.campaigns import send_campaign
from tests.conftest import APPID, TOKEN
from tests.services.campaigns.test_delivery import VARIANTS


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    monkeypatch.setattr(campaign_service, "in_quiet_hours", lambda *a: False)


@pytest.fixture
def quiet_members(wechat, run_jobs, live_app, simulator):
    """Members who followed days ago and said nothing since: no window, mass send only."""
    simulator.state.webhooks.register(WebhookConfig(APPID, f"{live_app.url}/wechat", TOKEN))
    t = int(time.time()) - 3 * 86400
    names = [f"oQuiet{i:03d}" for i in range(5)]
    for openid in names:
        wechat.send(wechat.subscribe(openid, create_time=t))
    run_jobs()
    return names


def finished(session, run_jobs, count: int, timeout: float = 10.0) -> list[MassSend]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run_jobs()
        session.expire_all()
        done = session.scalars(select(MassSend).where(MassSend.finished_at.is_not(None))).all()
        if len(done) >= count:
            return list(done)
        time.sleep(0.1)
    raise AssertionError("MASSSENDJOBFINISH never arrived")


def test_a_mass_send_reaches_everyone_once_and_its_report_is_recorded_once(
    api, quiet_members, run_jobs, simulator, session
):
    cid = api.post("/campaigns", {"name": "群发", "variants": VARIANTS}).get_json()["id"]
    assert api.post(f"/campaigns/{cid}/send").status_code == 202
    run_jobs()
    jobs = simulator.state.mass.jobs(APPID)
    assert sorted(o for j in jobs for o in j.recipients) == sorted(quiet_members)
    sends = finished(session, run_jobs, len(jobs))
    assert sum(m.result["SentCount"] for m in sends) == 5 and {m.status for m in sends} == {"finished"}
    stamps = {m.id: m.finished_at for m in sends}
    for job in jobs:  # WeChat delivers the event again
        assert requests.post(f"{simulator.url}/_sim/mass-sends/{job.msg_id}/replay", timeout=5).ok
    time.sleep(0.5)
    run_jobs()
    session.expire_all()
    assert {m.id: m.finished_at for m in session.scalars(select(MassSend))} == stamps
    system = session.scalar(select(func.count()).select_from(Member).where(Member.openid.not_like("oQuiet%")))
    assert system == 0  # the event's sender is WeChat, not a member
    report = api.get(f"/campaigns/{cid}/report").get_json()["variants"]
    assert sum(v["sent"]["mass"] for v in report.values()) == 5


def test_a_mass_send_cut_off_mid_call_is_resent_under_its_clientmsgid_and_not_twice(
    api, quiet_members, run_jobs, simulator, session
):
    cid = api.post("/campaigns", {"name": "中断", "variants": [dict(VARIANTS[0], split=100)]}).get_json()[
        "id"
    ]
    api.post(f"/campaigns/{cid}/send")
    run_jobs()
    assert len(simulator.state.mass.jobs(APPID)) == 1
    # as if the worker died after WeChat took the send but before we wrote it down
    long_ago = utcnow() - timedelta(hours=1)
    session.execute(Delivery.__table__.update().values(status="sending", claimed_at=long_ago))
    session.execute(MassSend.__table__.update().values(status="sending", created_at=long_ago))
    session.execute(Campaign.__table__.update().values(status="sending"))
    session.commit()
    send_campaign(cid)
    assert len(simulator.state.mass.jobs(APPID)) == 1  # WeChat knew the clientmsgid: nothing new
    session.expire_all()
    assert set(session.scalars(select(Delivery.status))) == {"sent"}
    assert session.scalar(select(Campaign.status)) == "done"


def test_a_mass_sends_link_knows_its_reader_through_oauth_and_delivered_is_wechats_count(
    api, quiet_members, run_jobs, simulator, session, live_app
):
    cid = api.post("/campaigns", {"name": "群发打开", "variants": [dict(VARIANTS[0], split=100)]}).get_json()[
        "id"
    ]
    assert api.post(f"/campaigns/{cid}/send").status_code == 202
    run_jobs()
    job = simulator.state.mass.jobs(APPID)[0]
    link = re.search(r'href="([^"]+)"', job.content["content"])[1]
    assert urlsplit(link).path == f"/h5/{APPID}/campaign/{cid}/A" and not urlsplit(link).query
    report = api.get(f"/campaigns/{cid}/report").get_json()["variants"]["A"]
    assert (report["sent"]["mass"], report["delivered"]) == (5, 0)  # WeChat has not reported yet
    finished(session, run_jobs, 1)
    with Phone(simulator.url, quiet_members[2]) as phone:  # the same page for all: OAuth names the reader
        page = phone.get(f"{live_app.url}{urlsplit(link).path}")
        assert page.status_code == 200 and VARIANTS[0]["title"] in page.text
    report = api.get(f"/campaigns/{cid}/report").get_json()["variants"]["A"]
    assert (report["delivered"], report["opened"]) == (5, 1)
    opened = session.scalar(
        select(Member.openid)
        .join(Delivery)
        .where(Delivery.campaign_id == cid, Delivery.opened_at.is_not(None))
    )
    assert opened == quiet_members[2]
