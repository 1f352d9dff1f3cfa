"""What the customers of a fault run do, in three acts.

1. Referrers follow and ask for their code (推广码): the poster job makes it through the WeChat API.
2. Everyone else arrives: plain follows, and friends following through a referrer's code (at most
   three a code, below the burst rule's five in ten minutes); texts, 签到 (some twice, some also
   for yesterday), 积分, and some leave and come back.
3. Once the outbox has drained (so each friend's follow was judged before they did anything
   else — a referee must be new), the friends check in and talk.

Each customer's CreateTimes carry their own clock skew (±250 s, inside the 300 s window) and
never go backwards for one customer.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from simulator.callbacks import Callback
from tests.faults.driver import Driver

SKEW = 250
DAY = 86_400
FRIENDS_PER_CODE = 3


@dataclass
class Customer:
    i: int
    openid: str
    role: str  # referrer | friend | plain
    referrer: str | None = None  # a friend's referrer's openid
    churns: bool = False  # leaves and follows again
    yesterday: bool = False  # also checks in for yesterday
    skew: int = 0
    clock: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self) -> int:
        """The next CreateTime: now with this customer's skew, after the last one."""
        with self.lock:
            self.clock = max(self.clock + 1, int(time.time()) + self.skew)
            return self.clock


def cast(n: int, seed: int = 11, prefix: str = "oFault") -> list[Customer]:
    rng = random.Random(seed)
    referrers = max(2, n // 10)
    friends = min(n // 4, referrers * FRIENDS_PER_CODE)
    people = []
    for i in range(n):
        role = "referrer" if i < referrers else "friend" if i < referrers + friends else "plain"
        people.append(
            Customer(
                i,
                f"{prefix}{i:06d}",
                role,
                referrer=f"{prefix}{(i - referrers) % referrers:06d}" if role == "friend" else None,
                churns=role == "plain" and rng.random() < 0.15,
                yesterday=role != "friend" and rng.random() < 0.3,
                skew=rng.randint(-SKEW, SKEW),
            )
        )
    return people


class Unanswered(Exception):
    """A member's callback found no 200 even after WeChat's retries."""


class Journeys:
    def __init__(self, driver: Driver, threads: int = 16) -> None:
        self.driver = driver
        self.threads = threads
        self.stopped: list[str] = []  # members who stopped after a callback found no 200

    def each(self, people: Iterable[Customer], act: Callable[[Customer], None]) -> None:
        def safely(c: Customer) -> None:
            try:
                act(c)
            except Unanswered:
                self.stopped.append(c.openid)

        with ThreadPoolExecutor(self.threads, thread_name_prefix="customers") as pool:
            list(pool.map(safely, people))

    def send(self, callback: Callback, kind: str) -> None:
        """Deliver one callback; a member whose callback found no 200 does nothing more."""
        if not self.driver.deliver(callback, kind).accepted:
            raise Unanswered(callback.openid)

    def founders(self, people: list[Customer]) -> None:
        """Act 1: the referrers follow and ask for their code."""
        self.each((c for c in people if c.role == "referrer"), self._found)

    def ask_again(self, referrers: list[Customer]) -> None:
        """Referrers who got no poster ask for it again."""
        self.each(referrers, lambda c: self._ask(c))

    def crowd(self, people: list[Customer], tickets: dict[str, str]) -> None:
        """Act 2: everyone but the friends' later doings."""
        self.each(people, lambda c: self._arrive(c, tickets))

    def friends(self, people: list[Customer]) -> None:
        """Act 3: the friends, judged by now, check in and talk."""
        self.each(
            (c for c in people if c.role == "friend" and c.openid not in self.stopped), self._friend_later
        )

    def _found(self, c: Customer) -> None:
        w = self.driver.wechat()
        self.send(w.subscribe(c.openid, create_time=c.at()), "follow")
        self._ask(c)

    def _ask(self, c: Customer) -> None:
        self.send(self.driver.wechat().text(c.openid, "推广码", create_time=c.at()), "poster")

    def _arrive(self, c: Customer, tickets: dict[str, str]) -> None:
        w = self.driver.wechat()
        if c.role == "friend":
            assert c.referrer is not None
            self.send(w.qr_scan(c.openid, tickets[c.referrer], create_time=c.at()), "scan")
            return
        if c.role == "plain":
            self.send(w.subscribe(c.openid, create_time=c.at()), "follow")
            self.send(w.text(c.openid, "你好", create_time=c.at()), "text")
        self._check_in(c, twice=c.i % 2 == 0)
        self.send(w.text(c.openid, "积分", create_time=c.at()), "text")
        if c.churns:
            self.send(w.unsubscribe(c.openid, create_time=c.at()), "unfollow")
            self.send(w.subscribe(c.openid, create_time=c.at()), "follow")
            self._check_in(c, twice=False)

    def _friend_later(self, c: Customer) -> None:
        self._check_in(c, twice=c.i % 3 == 0)
        self.send(self.driver.wechat().text(c.openid, "谢谢", create_time=c.at()), "text")

    def _check_in(self, c: Customer, twice: bool) -> None:
        w = self.driver.wechat()
        self.send(w.text(c.openid, "签到", create_time=c.at()), "checkin")
        if twice:
            self.send(w.text(c.openid, "签到", create_time=c.at()), "checkin")
        if c.yesterday:
            self.send(w.text(c.openid, "签到", create_time=c.at() - DAY), "checkin")
