"""Members on their phones race for the last coupon on the H5 pages (WeChat OAuth, then the form)."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from simulator.phone import Phone


def run(web_url: str, sim_url: str, appid: str, reward_id: int, openids: list[str]) -> dict[str, Any]:
    """Each member opens 积分商城 (logging in through WeChat OAuth) and redeems at the same moment."""
    barrier = threading.Barrier(len(openids))
    form = re.compile(rf'/rewards/{reward_id}/redeem".*?name="request_key" value="([^"]+)"', re.S)

    def race(openid: str) -> str:
        with Phone(sim_url, openid) as phone:
            page = phone.get(f"{web_url}/h5/{appid}/rewards")
            match = form.search(page.text)
            barrier.wait()
            if match is None:
                return "no form"
            url = f"{web_url}/h5/{appid}/rewards/{reward_id}/redeem"
            sent = {"request_key": match.group(1), "confirmed": "1"}  # as the confirm sheet sends it
            answer = phone.post(url, data=sent)
            if answer.status_code == 200:
                return "won"
            return (
                "sold_out" if "已兑完" in answer.text else "short" if "积分不足" in answer.text else "other"
            )

    with ThreadPoolExecutor(len(openids)) as pool:
        outcomes = list(pool.map(race, openids))
    return {
        "racers": len(openids),
        "winners": outcomes.count("won"),
        "sold_out": outcomes.count("sold_out"),
        "short": outcomes.count("short"),
    }
