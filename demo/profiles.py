"""Customers complete their profile on the H5 page (完善资料): WeChat OAuth, then the phone form, the
funnel's registered step."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from simulator.phone import Phone

TOKEN = re.compile(r'name="request_key" value="([^"]+)"')
SHARE = 3  # one customer in three binds a phone


def run(web_url: str, sim_url: str, appid: str, openids: list[str]) -> int:
    """Every SHARE-th customer opens 完善资料 on their phone and binds a number; returns how many did."""

    def bind(n: int, openid: str) -> bool:
        with Phone(sim_url, openid) as phone:
            form = phone.get(f"{web_url}/h5/{appid}/profile")
            token = TOKEN.search(form.text)
            if form.status_code != 200 or token is None:
                raise SystemExit(f"profile page for {openid} answered {form.status_code}: {form.text[:200]}")
            data = {"request_key": token.group(1), "phone": f"139{n:08d}"}
            saved = phone.post(f"{web_url}/h5/{appid}/profile", data=data)
            return saved.status_code == 200 and "注册成功" in saved.text

    chosen = [(n, openid) for n, openid in enumerate(openids) if n % SHARE == 0]
    with ThreadPoolExecutor(2) as pool:
        return sum(pool.map(lambda pair: bind(*pair), chosen))
