"""A campaign to a segment with two variants, through a rate-limit burst and an expired token."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import requests

from simulator import Phone
from simulator.customer import WeChatServer
from simulator.state import SimulatorState
from simulator.webhooks import WebhookConfig

SHARE_META = re.compile(r'<meta name="tiefen-share"([^>]*)>')  # the page's own share link, and where to post
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
SHARERS = 6  # members who open their message and share the page; each brings one friend who follows

CAMPAIGN = {
    "name": "周末回馈",
    "audience": {"stages": ["sticky", "deep", "iron"]},
    "variants": [
        {"code": "A", "split": 50, "title": "周末拿铁买一送一", "summary": "会员专享,周六周日全天有效"},
        {"code": "B", "split": 50, "title": "周末消费积分翻倍", "summary": "本周末到店消费,积分翻倍"},
    ],
    "quiet_start": 0,
    "quiet_end": 0,  # the demo runs whenever you run it: no quiet hours
}


def run(
    web_url: str,
    sim_url: str,
    token: str,
    sim: SimulatorState,
    wechat: WeChatServer,
    webhook: tuple[str, str, str],
) -> dict[str, Any]:
    appid, wechat_token, aes_key = webhook
    sim.webhooks.register(WebhookConfig(appid, f"{web_url}/wechat/{appid}", wechat_token, aes_key, "safe"))
    news_before = sum(m.msgtype == "news" for m in sim.custom_messages(appid))
    jobs_before = len(sim.mass.jobs(appid))
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    base = f"{web_url}/api/v1"
    made = api.post(f"{base}/campaigns", json=CAMPAIGN, timeout=30).json()
    preview = api.post(f"{base}/campaigns/{made['id']}/preview", timeout=30).json()
    fault = {"path": "/cgi-bin/message/custom/send", "errcode": 45009, "times": 3}
    requests.post(f"{sim_url}/_sim/faults", json=fault, timeout=5)  # WeChat says: too fast
    requests.post(f"{sim_url}/_sim/expire-tokens", timeout=5)  # and the shared token dies
    started = time.perf_counter()
    api.post(f"{base}/campaigns/{made['id']}/send", timeout=120)
    report = api.get(f"{base}/campaigns/{made['id']}/report", timeout=30).json()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(not j.finished or not j.events for j in sim.mass.jobs(appid)):
        time.sleep(0.1)
    spread = share_landing_pages(web_url, sim_url, sim, (appid, made["id"]), wechat)
    report = api.get(f"{base}/campaigns/{made['id']}/report", timeout=30).json()
    return {
        "preview": preview,
        "report": report,
        "spread": spread,
        "seconds": time.perf_counter() - started,
        "campaign_id": made["id"],
        "mass_jobs": len(sim.mass.jobs(appid)) - jobs_before,
        "custom_messages": sum(m.msgtype == "news" for m in sim.custom_messages(appid)) - news_before,
    }


def share_landing_pages(
    web_url: str, sim_url: str, sim: SimulatorState, campaign: tuple[str, int], wechat: WeChatServer
) -> int:
    """Members open their message's landing page in WeChat and share it; a friend of each reads the
    share (WeChat's OAuth names them) and follows the account. Returns the shares made."""
    appid, campaign_id = campaign
    links = [
        (m.touser, m.content["articles"][0]["url"])
        for m in sim.custom_messages(appid)
        if m.msgtype == "news" and f"/campaign/{campaign_id}/" in m.content["articles"][0]["url"]
    ]
    shared = 0
    for n, (openid, link) in enumerate(links[:SHARERS]):
        with Phone(sim_url, openid) as phone:
            meta = share_meta(phone.get(link).text)
            if meta is None:
                continue
            url = meta["content"]
            form = {"page": meta["data-page"], "target": "friend", "request_key": meta["data-key"]}
            shared += bool(phone.post(f"{web_url}{meta['data-post']}", data=form).json().get("recorded"))
        friend = f"oDemoCampFriend{n:02d}"
        with Phone(sim_url, friend) as reader:
            reader.get(f"{web_url}{url}")
        wechat.send(wechat.subscribe(friend, create_time=int(time.time()) + 1))  # after reading
    return shared


def share_meta(page: str) -> dict[str, str] | None:
    """The attributes of a member page's share meta tag (content: the share link, data-page,
    data-post, data-key…); None on a page without one."""
    found = SHARE_META.search(page)
    return None if found is None else {k: html.unescape(v) for k, v in ATTRIBUTE.findall(found.group(1))}
