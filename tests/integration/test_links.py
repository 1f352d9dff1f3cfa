"""Every URL in every outgoing message opens, as the member it was sent to.

A demo-sized scenario runs through the simulator: follows (one through a channel's code), check-ins,
chat and menu replies, 积分 and 推广码, a tier upgrade notice, an onboarding journey, a campaign to
members inside and outside the customer-service window. Every URL any message carried is collected
from what the simulator received (passive replies, customer-service messages, template messages, mass
sends, the menu) and opened on the member's phone, following redirects (WeChat's OAuth too): each must
be one of Tiefen's pages and answer 200 as that member.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import select

from models import Account, Member, utcnow
from services.campaigns import audience as campaign_service
from simulator import Phone
from simulator.server import serve_in_thread
from simulator.webhooks import WebhookConfig
from tasks.journeys import run_journeys
from tests.api.conftest import account, api  # noqa: F401, F811
from tests.conftest import APPID, TOKEN

URL = re.compile(r"https?://[^\s\"'<>]+")
Sent = tuple[str, str, str]  # (how it was sent, to whom, the URL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def config(config: dict[str, Any], port: int) -> dict[str, Any]:
    """Links point where the app is served, as PUBLIC_BASE_URL says in production."""
    return {**config, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}


@pytest.fixture
def live_app(app: Any, port: int) -> Iterator[Any]:
    server = serve_in_thread(app, port=port)
    yield server
    server.shutdown()


@pytest.fixture(autouse=True)
def daytime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(campaign_service, "in_quiet_hours", lambda *a: False)


def urls_in(value: Any) -> list[str]:
    """Every URL in a message, however deep: text, hrefs, news articles' url fields."""
    if isinstance(value, str):
        return [u.replace("&amp;", "&") for u in URL.findall(value)]
    if isinstance(value, dict):
        return [u for v in value.values() for u in urls_in(v)]
    if isinstance(value, list | tuple):
        return [u for v in value for u in urls_in(v)]
    return []


def opens(sim_url: str, openid: str, url: str, public: str) -> str:
    """Open `url` on the member's phone; "" when it is one of Tiefen's pages and answers 200 as them,
    else what went wrong."""
    if not url.startswith(public + "/"):
        return f"not one of Tiefen's pages (not under {public})"
    with Phone(sim_url, openid) as phone:
        page = phone.get(url)
    if page.status_code != 200:
        body = re.sub(r"<(style|script|title)\b.*?</\1>", " ", page.text, flags=re.S)
        words = " ".join(re.sub(r"<[^>]+>", " ", body).split())
        return f"answered {page.status_code}: {words[:120]}"
    if not page.url.startswith(public + "/"):
        return f"ended outside Tiefen at {page.url}"
    if "你还不是会员" in page.text:
        return "opened, but not as the member it was sent to"
    return ""


def scenario(
    run_jobs: Any,
    wechat: Any,
    api: Any,  # noqa: F811
    session: Any,
    simulator: Any,
    live_app: Any,
) -> list[Sent]:
    """What a small shop's week sends; returns every URL its messages carried, with the recipient."""
    simulator.state.webhooks.register(WebhookConfig(APPID, f"{live_app.url}/wechat", TOKEN))
    sent: list[Sent] = []

    def send(callback: Any) -> None:
        delivery = wechat.send(callback)
        assert delivery.ok, delivery.text
        sent.extend(("passive reply", callback.openid, u) for u in urls_in(delivery.reply or {}))

    assert api.patch("/programme", {"tier_template_id": "TPL_TIER"}).status_code == 200
    channel = api.post("/channels", {"code": "counter", "name": "收银台", "kind": "counter"}).get_json()
    t = int(time.time())
    quiet = [f"oLinkQuiet{i}" for i in range(3)]
    for openid in quiet:  # followed days ago, silent since: reached by mass send only
        send(wechat.subscribe(openid, create_time=t - 3 * 86400))
    send(wechat.subscribe("oLinkNew01", create_time=t - 61 * 60))  # an hour ago: onboarding's first day
    scanned = wechat.scan_code("oLinkScan1", channel["qrcode"]["ticket"])
    assert scanned.ok
    sent.extend(("passive reply", "oLinkScan1", u) for u in urls_in(scanned.reply or {}))
    talkers = ["oLinkTalk1", "oLinkTalk2", "oLinkNew01", "oLinkScan1"]
    for openid in talkers[:2]:
        send(wechat.subscribe(openid, create_time=t - 600))
    for openid in talkers:
        for words in ("签到", "积分", "你好", "推广码", "邀请"):
            send(wechat.text(openid, words, create_time=t - 60))
        send(wechat.click(openid, "MENU_MY_POINTS", create_time=t - 30))
    run_jobs()
    order = {"order_no": "LINK-1", "openid": "oLinkTalk1", "amount_fen": 60_000}  # 600 points: 银卡
    assert api.post("/orders", order).status_code == 201
    session.execute(Account.__table__.update().values(created_at=utcnow() - timedelta(days=1)))
    session.commit()
    run_jobs()  # the tier notice
    assert run_journeys()["新人欢迎 · 第一天"] == 1
    variants = [
        {"code": "A", "split": 50, "title": "周末拿铁买一送一", "summary": "会员专享，周六周日全天"},
        {"code": "B", "split": 50, "title": "积分翻倍周末", "summary": "周末消费积分翻倍"},
    ]
    cid = api.post("/campaigns", {"name": "周末", "variants": variants}).get_json()["id"]
    assert api.post(f"/campaigns/{cid}/send").status_code == 202
    return sent


def received(simulator: Any) -> list[Sent]:
    """What the simulator's API side received: customer-service, template and mass messages, the menu."""
    state = simulator.state
    found: list[Sent] = []
    for m in state.custom_messages(APPID):
        found += [(f"customer service {m.msgtype}", m.touser, u) for u in urls_in(m.content)]
    for m in state.template_messages(APPID):
        found += [("template message", m.touser, u) for u in urls_in([m.url, m.data])]
    for job in state.mass.jobs(APPID):
        for openid in job.recipients:
            found += [(f"mass send {job.msgtype}", openid, u) for u in urls_in(job.content)]
    for openid in state.followers(APPID)[:1]:
        found += [("menu", openid, u) for u in urls_in(state.menu(APPID) or {})]
    return found


def test_every_url_in_every_outgoing_message_opens_as_its_member(
    wechat,
    api,  # noqa: F811
    session,
    simulator,
    live_app,
    run_jobs,
    app,  # noqa: F811
):
    app.test_cli_runner().invoke(args=["menu", "push", "--appid", APPID])
    sent = scenario(run_jobs, wechat, api, session, simulator, live_app)
    run_jobs()
    sent += received(simulator)
    kinds = {kind.split(" ")[0] for kind, _, _ in sent}
    assert kinds >= {"passive", "customer", "template", "mass", "menu"}, kinds  # each kind was seen
    assert session.scalar(select(Member.tier_code).where(Member.openid == "oLinkTalk1")) == "silver"
    public = app.extensions["tiefen"].settings.public_base_url
    failures = {}
    for kind, openid, url in dict.fromkeys(sent):
        problem = opens(simulator.url, openid, url, public)
        if problem:
            failures[f"{kind} to {openid}: {url}"] = problem
    assert failures == {}
    assert len({u for _, _, u in sent}) >= 10


def test_a_link_without_the_appid_is_caught(wechat, simulator, live_app, app, run_jobs):
    """The check finds the known bug class: a member link that lost its /<appid>/ segment."""
    wechat.send(wechat.subscribe("oLinkLost1"))
    run_jobs()
    reply = wechat.send(wechat.text("oLinkLost1", "积分"))
    (link,) = urls_in(reply.reply)
    public = app.extensions["tiefen"].settings.public_base_url
    assert opens(simulator.url, "oLinkLost1", link, public) == ""
    parts = urlsplit(link)
    lost = urlunsplit(parts._replace(path=parts.path.replace(f"/{APPID}/", "/")))
    assert opens(simulator.url, "oLinkLost1", lost, public).startswith("answered 404")
    assert opens(simulator.url, "oLinkLost1", link.replace(public, "http://example.invalid"), public)
