"""WeChat's server side under faults: every callback delivered up to four times — some copies at
once on other connections, some late — and what the webhook answered remembered per callback.

A callback counts as accepted once any delivery of it was answered 200 (with a readable reply);
a failed delivery is tried again at once, and the member's next action waits for the 200 (a
member whose callback still failed stops: the order of what a person did must be the order it was
accepted in, or a referee could look like a returning follower). `accepted()` gives the
(account_id, dedup_key) pairs the invariant checker takes. Callbacks that got no 200 are
delivered again by `settle()` after the faults stop, so every callback's fate is known at the end.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from bot.protocol import parse
from simulator.callbacks import Callback
from simulator.customer import Outgoing, WeChatServer
from simulator.delivery import Delivery
from simulator.state import SimulatorState
from simulator.witness import witness
from tests.faults.stack import AES_KEY, APPID, TOKEN

WEIGHTS = {1: 5, 2: 3, 3: 1, 4: 1}  # how many times WeChat delivers a callback
TIMEOUT = 5.0  # WeChat waits five seconds for an answer
RETRIES = 5  # a delivery that failed is tried again at once, this often


@dataclass
class Sent:
    """One callback the driver made, and what became of it."""

    callback: Callback
    key: str  # the dedup key the webhook stores it under
    kind: str  # follow | scan | checkin | text | poster | unfollow
    sent_at: float = 0.0  # monotonic time of its first delivery
    answered_at: float | None = None  # of its first 200
    reply: str | None = None
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def accepted(self) -> bool:
        return self.answered_at is not None


class Driver:
    def __init__(self, url: str, state: SimulatorState, account_id: int, seed: int = 7) -> None:
        self.url = f"{url}/wechat"
        self.state = state
        self.account_id = account_id
        self.rng = random.Random(seed)
        self.sent: list[Sent] = []
        self.late: list[Sent] = []
        self.latencies: list[tuple[float, float]] = []  # (monotonic time, seconds) of each 200
        self._lock = threading.Lock()
        self._local = threading.local()
        self._copies = ThreadPoolExecutor(8, thread_name_prefix="copies")

    def wechat(self, mode: str | None = None) -> WeChatServer:
        """This thread's WeChat server (safe mode, sometimes compatible: the account takes both)."""
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return WeChatServer(
            self.url,
            TOKEN,
            APPID,
            AES_KEY,
            mode=mode or ("compat" if self._roll(0.2) else "safe"),
            timeout=TIMEOUT,
            retries=0,
            session=self._local.session,
            state=self.state,
        )

    def deliver(self, callback: Callback, kind: str) -> Sent:
        """Deliver a callback the way WeChat does under load: once, or up to four times."""
        sent = Sent(callback, parse(callback.xml).dedup_key, kind, time.monotonic())
        with self._lock:
            self.sent.append(sent)
            copies = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
            together = copies > 1 and self.rng.random() < 0.5
        wechat = self.wechat()
        outgoing = wechat.prepare(callback)
        if together:  # a retry racing the first delivery, same query string (WeChat's retry)
            self._copies.submit(self._post, sent, outgoing)
            copies -= 1
        self._witness(wechat, callback)
        for attempt in range(RETRIES + 1):  # WeChat retries what failed before the member goes on
            if self._post(sent, outgoing).ok:
                break
            time.sleep(0.2 * (attempt + 1))
        with self._lock:
            self.late += [sent] * (copies - 1)
        return sent

    def flush_late(self) -> int:
        """Deliver the late copies (signed afresh: a timestamp inside the window)."""
        with self._lock:
            late, self.late = self.late, []
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda s: self._post(s, self.wechat().prepare(s.callback)), late))
        return len(late)

    def settle(self, rounds: int = 10) -> list[Sent]:
        """Deliver again every callback never answered 200; returns those still unanswered."""
        for _ in range(rounds):
            waiting = [s for s in self.sent if not s.accepted]
            if not waiting:
                return []
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda s: self._post(s, self.wechat().prepare(s.callback)), waiting))
            time.sleep(1)
        return [s for s in self.sent if not s.accepted]

    def accepted(self) -> list[tuple[int, str]]:
        return [(self.account_id, s.key) for s in self.sent if s.accepted]

    def statuses(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for s in self.sent:
            total.update(s.statuses)
        return total

    def close(self) -> None:
        self._copies.shutdown(wait=True)

    def _post(self, sent: Sent, outgoing: Outgoing) -> Delivery:
        started = time.monotonic()
        delivery = self.wechat().send_raw(outgoing.body, outgoing.params)
        outcome = str(delivery.status_code) if delivery.status_code else "no answer"
        with self._lock:
            sent.statuses[outcome] += 1
            if delivery.ok:
                self.latencies.append((time.monotonic(), time.monotonic() - started))
                if sent.answered_at is None:
                    sent.answered_at, sent.reply = time.monotonic(), delivery.content
        return delivery

    def _witness(self, wechat: WeChatServer, callback: Callback) -> None:
        """Tell the simulator's API side what the member did (follows, the reply window)."""
        witness(self.state, wechat.appid, callback)

    def _roll(self, p: float) -> bool:
        with self._lock:
            return self.rng.random() < p
