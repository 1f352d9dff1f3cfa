"""The merchant's shop: settings and rewards through the API, orders and refunds as they happen,
and members racing for the last coupon on the H5 pages."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from demo import h5race

REWARDS = [
    {"name": "招牌拿铁兑换券", "kind": "coupon", "points_price": 100, "stock": 1, "description": "限量一张"},
    {"name": "铁粉帆布袋", "kind": "gift", "points_price": 300, "stock": 50},
]


class Shop:
    def __init__(self, base: str, token: str) -> None:
        self.base = f"{base}/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        response = self.http.request(method, f"{self.base}{path}", json=body, timeout=30)
        if response.status_code >= 400:
            raise SystemExit(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
        return response


def run(web_url: str, sim_url: str, token: str, appid: str, openids: list[str]) -> dict[str, Any]:
    shop = Shop(web_url, token)
    shop.call("PATCH", "/programme", {"tier_template_id": "TPL_TIER_CHANGE"})
    rewards = [shop.call("POST", "/rewards", body).json() for body in REWARDS]
    orders, duplicates = _orders(shop, openids)
    refunded = _refunds(shop, orders)
    race = h5race.run(web_url, sim_url, appid, rewards[0]["id"], openids[:40])
    return {
        "orders posted (and again, by a retrying shop)": f"{len(orders)} ({duplicates})",
        "refunds (one full, one partial)": refunded,
        "members racing for the last coupon": race["racers"],
        "winners (stock was 1)": race["winners"],
        "told sold out / not enough points": f"{race['sold_out']} / {race['short']}",
    }


def _orders(shop: Shop, openids: list[str]) -> tuple[list[dict[str, Any]], int]:
    rng = random.Random(7)
    now = datetime.now(UTC)
    bodies = []
    for n, openid in enumerate(openids):
        if rng.random() < 0.4:
            for k in range(rng.randrange(1, 4)):
                fen = rng.choice([2_800, 3_600, 12_800, 29_900]) if n % 25 else 68_800  # a few big spenders
                paid = now - timedelta(days=rng.randrange(8, 10), hours=k)
                bodies.append(
                    {
                        "order_no": f"SO{n:05d}{k}",
                        "openid": openid,
                        "amount_fen": fen,
                        "paid_at": paid.isoformat(),
                    }
                )
    with ThreadPoolExecutor(2) as pool:
        orders = [r.json() for r in pool.map(lambda b: shop.call("POST", "/orders", b), bodies)]
    again = [shop.call("POST", "/orders", b).json() for b in bodies[:10]]  # the shop's retries: nothing new
    return orders, sum(1 for o in again if o.get("duplicate"))


def _refunds(shop: Shop, orders: list[dict[str, Any]]) -> int:
    full, partial = orders[0], orders[1]
    shop.call(
        "POST", f"/orders/{full['order_no']}/refunds", {"refund_no": "RF1", "refund_fen": full["amount_fen"]}
    )
    shop.call(
        "POST",
        f"/orders/{partial['order_no']}/refunds",
        {"refund_no": "RF2", "refund_fen": partial["amount_fen"] // 2},
    )
    return 2
