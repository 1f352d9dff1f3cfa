"""代言: members ask for their poster (推广码), friends scan it by ticket, and friends of friends
follow — three levels deep — beside a self-referral, a follow/unfollow farmer, a burst through
one code and friends who never do a thing. Then the settlement job pays, voids or holds."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from demo.customers import Customer, Stats, moment
from models import Member, QrCode
from simulator.callbacks import Callback
from simulator.customer import WeChatServer


@dataclass
class ReferralStats:
    friends: list[str] = field(default_factory=list)  # openids of everyone brought in
    posters_asked: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


class Chains:
    def __init__(self, app: Any, wechat: WeChatServer, delivered: Stats) -> None:
        self.app, self.wechat, self.delivered, self.stats = app, wechat, delivered, ReferralStats()

    def push(self, callback: Callback) -> None:
        """Deliver a callback, counted with the customers' deliveries."""
        started = time.perf_counter()
        delivery = self.wechat.send(callback)
        self.delivered.latencies.append(time.perf_counter() - started)
        if not delivery.ok:
            raise SystemExit(f"webhook answered {delivery.status_code}: {delivery.text[:200]}")

    def scan(self, openid: str, ticket: str, at: int) -> None:
        self.push(self.wechat.qr_scan(openid, ticket, create_time=at))

    def poster(self, openid: str, day: int) -> str:
        """The member asks for their poster; the job makes the code. Returns its ticket."""
        self.push(self.wechat.text(openid, "推广码", create_time=moment(day, 12)))
        self.stats.posters_asked += 1
        with self.app.extensions["tiefen"].sessions() as session:
            ticket = session.scalar(
                select(QrCode.ticket)
                .join(Member, Member.id == QrCode.member_id)
                .where(Member.openid == openid)
            )
        if not ticket:
            raise SystemExit(f"no code was made for {openid}")
        return str(ticket)

    def friend(self, ticket: str, openid: str, day: int, hour: int, *, active: bool = True) -> str:
        """A friend scans the code and follows; an active one checks in the next morning."""
        self.scan(openid, ticket, moment(day, hour))
        if active and day + 1 < 10:
            self.push(self.wechat.text(openid, "签到", create_time=moment(day + 1, 10)))
        self.stats.friends.append(openid)
        return openid


def run(app: Any, wechat: WeChatServer, people: list[Customer], delivered: Stats) -> ReferralStats:
    """The referral scenario on top of the customers' ten days (their follows are in already)."""
    c = Chains(app, wechat, delivered)
    staying = [p for p in people if p.joins == 0 and p.leaves_on is None][:6]
    if len(staying) < 4:
        return c.stats
    print("Referrals: posters, friends of friends three levels deep, a self-referral, a farmer, a burst …")
    tickets = {p.openid: c.poster(p.openid, 0) for p in staying}
    a, b, g, s = (staying[i].openid for i in range(4))
    # three levels: a → a1..a4 (a passes the ladder's 3rd step), a1 → a1x, a1y, a1x → a1x1
    level1 = [c.friend(tickets[a], f"oRefA{i}0000000", 1, 9 + i) for i in range(4)]
    t1 = c.poster(level1[0], 2)
    level2 = [c.friend(t1, f"oRefA0{x}000000", 3, 11 + i) for i, x in enumerate("xy")]
    t2 = c.poster(level2[0], 4)
    c.friend(t2, "oRefA0x1000000", 5, 15)
    # b's code passes through a burst: seven follows in six minutes
    for i in range(7):
        c.scan(f"oBurst{i:02d}0000000", tickets[b], moment(5, 20) + i * 50)
        c.stats.friends.append(f"oBurst{i:02d}0000000")
    # g brings friends who never do a thing after following
    for i in range(3):
        c.friend(tickets[g], f"oGhost{i}0000000", 2, 14 + i, active=False)
    # s scans their own code, then leaves and follows again through it
    c.scan(s, tickets[s], moment(3, 9))
    c.push(wechat.unsubscribe(s, create_time=moment(3, 9, 5)))
    c.scan(s, tickets[s], moment(3, 9, 10))
    # a farmer follows through a's code, leaves inside the hold, and comes back for more
    farmer = "oFarmer00000000"
    c.scan(farmer, tickets[a], moment(2, 18))
    c.push(wechat.unsubscribe(farmer, create_time=moment(2, 18, 20)))
    c.scan(farmer, tickets[a], moment(3, 18))
    c.stats.friends.append(farmer)
    return c.stats
