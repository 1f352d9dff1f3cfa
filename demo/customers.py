"""Ten days of customers: they follow (some through QR codes), check in, miss a day and make it up,
review, click the menu, leave and come back — every callback over HTTP, with WeChat's retries."""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from simulator.callbacks import Callback
from simulator.customer import WeChatServer

DAYS = 10
THREADS = 2  # customers at a time; SQLite takes one writer at a time anyway
CHANNELS = (
    ("counter", "门店收银台", "counter"),
    ("poster-spring", "春季海报", "poster"),
    ("staff-wang", "店员小王", "staff"),
)
SCENES = tuple(f"c-{code}" for code, _, _ in CHANNELS)
REVIEWS = (
    "拿铁很香,店员很热情,环境也安静舒服",
    "好喝!",
    "咖啡不错,就是排队有点久,希望改进",
    "甜点一般,咖啡还可以,会再来的",
)
TZ = ZoneInfo("Asia/Shanghai")


@dataclass
class Stats:
    openids: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    retries: int = 0
    replies: Counter[str] = field(default_factory=Counter)  # first words of the replies: 签到成功, 补签成功 …
    seconds: float = 0.0

    @property
    def deliveries(self) -> int:
        return len(self.latencies)

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else 0.0


@dataclass(frozen=True)
class Customer:
    i: int
    openid: str
    habit: str  # daily | sometimes | rarely
    joins: int  # the day (0..DAYS-1) they follow
    scene: str | None
    misses: int | None  # a daily checker's missed day
    makes_up: bool
    reviews_on: int | None
    leaves_on: int | None
    returns: bool


def customer(i: int) -> Customer:
    rng = random.Random(i)
    habit = rng.choices(["daily", "sometimes", "rarely"], [35, 40, 25])[0]
    joins = 0 if rng.random() < 0.7 else rng.randrange(1, DAYS - 2)
    misses = (
        rng.randrange(joins + 2, DAYS - 1)
        if habit == "daily" and joins + 3 < DAYS and rng.random() < 0.5
        else None
    )
    return Customer(
        i,
        f"oDemo{i:05d}{rng.randrange(10**6):06d}",
        habit,
        joins,
        rng.choice(SCENES) if rng.random() < 0.3 else None,
        misses,
        rng.random() < 0.6,
        rng.randrange(joins, DAYS) if rng.random() < 0.3 else None,
        rng.randrange(joins + 1, DAYS) if rng.random() < 0.1 else None,
        rng.random() < 0.5,
    )


def moment(day: int, hour: int, minute: int = 0) -> int:
    """CreateTime of `day` (0 = DAYS-1 days ago, DAYS-1 = today) at a local time in Shanghai."""
    base = datetime.now(TZ).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return int((base - timedelta(days=DAYS - 1 - day)).timestamp())


def day_of(wechat: WeChatServer, c: Customer, day: int) -> list[Callback]:
    """What this customer does on `day`."""
    rng = random.Random(c.i * 1000 + day)
    if day < c.joins or (c.leaves_on is not None and day > c.leaves_on and not c.returns):
        return []
    steps: list[Callback] = []
    if day == c.joins:
        steps.append(wechat.subscribe(c.openid, scene=c.scene, create_time=moment(day, 9)))
        if rng.random() < 0.4:
            steps.append(wechat.click(c.openid, "MENU_MY_POINTS", create_time=moment(day, 9, 5)))
        if rng.random() < 0.3:
            steps.append(
                wechat.text(c.openid, rng.choice(["你好", "有优惠吗", "积分"]), create_time=moment(day, 9, 6))
            )
    if _checks_in(c, day, rng):
        steps.append(wechat.text(c.openid, "签到", create_time=moment(day, 10, rng.randrange(60))))
    if c.misses is not None and day == c.misses + 1 and c.makes_up:
        steps.append(wechat.text(c.openid, "补签", create_time=moment(day, 10, 59)))
    if day == c.reviews_on:
        text = f"评价 {rng.choice([5, 5, 4, 3])} {rng.choice(REVIEWS)}"
        steps.append(wechat.text(c.openid, text, create_time=moment(day, 20)))
    if day == c.leaves_on:
        steps.append(wechat.unsubscribe(c.openid, create_time=moment(day, 21)))
    if c.leaves_on is not None and c.returns and day == c.leaves_on + 1:
        steps.append(wechat.subscribe(c.openid, create_time=moment(day, 8)))
    return steps


def _checks_in(c: Customer, day: int, rng: random.Random) -> bool:
    if c.leaves_on is not None and day >= c.leaves_on and not (c.returns and day > c.leaves_on):
        return False
    if c.habit == "daily":
        return day != c.misses
    return rng.random() < (0.5 if c.habit == "sometimes" else 0.15)


def send_all(wechat: WeChatServer, steps: list[Callback], rng: random.Random, stats: Stats) -> None:
    for callback in steps:
        for attempt in range(2 if rng.random() < 0.1 else 1):  # WeChat retries about one in ten
            started = time.perf_counter()
            delivery = wechat.send(callback)
            stats.latencies.append(time.perf_counter() - started)
            stats.retries += attempt
            if not delivery.ok:
                raise SystemExit(f"webhook answered {delivery.status_code}: {delivery.text[:200]}")
            if delivery.content and attempt == 0:
                stats.replies[delivery.content[:4]] += 1


def _live(wechat: WeChatServer, c: Customer, day: int, stats: Stats) -> None:
    send_all(wechat, day_of(wechat, c, day), random.Random(c.i * 31 + day), stats)


def run(wechat: WeChatServer, count: int) -> Stats:
    people = [customer(i) for i in range(count)]
    stats = Stats(openids=[c.openid for c in people])
    print(
        f"{count} customers over {DAYS} days: follow, check in, make up a missed day, review, "
        "click the menu, leave, come back …"
    )
    for day in range(DAYS):
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(lambda c, d=day: _live(wechat, c, d, stats), people))
    return stats
