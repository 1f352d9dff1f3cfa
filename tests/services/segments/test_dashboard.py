"""The dashboard's day series: rows made at known local times land on exactly their local day, in
the account's zone (DST and half-hour zones too); another account's rows never count; the totals
are the series' sums."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models import Campaign, Checkin, InboundEvent, LedgerEntry, Member, Order, Referral
from services.accounts.members import ensure_members
from services.accounts.registry import save_account
from services.segments import dashboard

SH = ZoneInfo("Asia/Shanghai")


def at(tz: ZoneInfo, y: int, mo: int, d: int, h: int = 12, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz).astimezone(UTC)


@pytest.fixture
def accounts(app, session):
    mine = app.extensions["tiefen"].accounts.get(None).id
    other, _ = save_account(session, "wxother000000dash", "隔壁小店", "othertoken")
    session.commit()
    return mine, other.id


class Maker:
    def __init__(self, session, account_id):
        self.s, self.a, self.n = session, account_id, 0
        self.members = ensure_members(session, account_id, [f"oDash{account_id}x{i:04d}" for i in range(40)])
        self.ids = list(self.members.values())

    def _next(self) -> int:
        self.n += 1
        return self.n

    def follow(self, when: datetime) -> None:
        self.s.get(Member, self.ids[self._next() % 40]).first_followed_at = when

    def unfollow(self, when: datetime, event: str = "unsubscribe") -> None:
        n = self._next()
        self.s.add(
            InboundEvent(
                account_id=self.a,
                dedup_key=f"d{n}",
                openid=f"o{n}",
                msg_type="event",
                event=event,
                create_time=when,
                payload="<xml/>",
                status="done",
            )
        )

    def checkin(self, day: date) -> None:
        n = self._next()
        self.s.add(
            Checkin(
                account_id=self.a, member_id=self.ids[n % 40], day=day, streak=1, points=5, source_key=f"c{n}"
            )
        )

    def ledger(self, day: date, kind: str, delta: int) -> None:
        n = self._next()
        self.s.add(
            LedgerEntry(
                account_id=self.a,
                member_id=self.ids[0],
                key=f"k{n}",
                delta=delta,
                kind=kind,
                business_date=day,
                created_at=datetime.combine(day, datetime.min.time(), UTC),
            )
        )

    def order(self, when: datetime, fen: int, refunded: int = 0) -> None:
        n = self._next()
        self.s.add(
            Order(
                account_id=self.a,
                member_id=self.ids[1],
                order_no=f"no{n}",
                amount_fen=fen,
                refunded_fen=refunded,
                paid_at=when,
            )
        )

    def referral(self, when: datetime) -> None:
        n = self._next()
        self.s.add(
            Referral(
                account_id=self.a,
                referrer_id=self.ids[2],
                referee_id=self.ids[3 + n % 30],
                scene=f"s{n}",
                bound_at=when,
                status="held",
            )
        )


def fill(session, account_id: int) -> None:
    """Rows for 'now' = 2026-03-10 02:00 in Shanghai: some at the edges of local days."""
    m = Maker(session, account_id)
    m.follow(at(SH, 2026, 3, 10, 0, 10))  # today local, yesterday in UTC
    m.follow(at(SH, 2026, 3, 9, 23, 50))
    m.follow(at(SH, 2026, 3, 9, 7, 59))  # 23:59 UTC on the 8th
    m.follow(at(SH, 2026, 2, 8, 23, 59))  # the day before the window
    m.follow(at(SH, 2026, 2, 9, 0, 0))  # the window's first instant
    m.unfollow(at(SH, 2026, 3, 10, 0, 1))
    m.unfollow(at(SH, 2026, 3, 3))
    m.unfollow(at(SH, 2026, 3, 3), event="subscribe")  # not an unfollow
    for day in (date(2026, 3, 10), date(2026, 3, 10), date(2026, 3, 4), date(2026, 2, 8)):
        m.checkin(day)
    m.ledger(date(2026, 3, 10), "award", 10)
    m.ledger(date(2026, 3, 10), "makeup", 3)
    m.ledger(date(2026, 3, 10), "redemption", -7)
    m.ledger(date(2026, 3, 5), "expiry", -4)
    m.ledger(date(2026, 3, 5), "reversal", -2)  # a correction: neither spent nor expired
    m.ledger(date(2026, 2, 8), "award", 1000)  # before the window
    m.order(at(SH, 2026, 3, 10, 1), 1280)
    m.order(at(SH, 2026, 3, 9, 23, 59), 5000, refunded=1000)
    m.referral(at(SH, 2026, 3, 10, 0, 30))
    m.referral(at(SH, 2026, 2, 20))
    session.add(Campaign(account_id=account_id, name="春季", status="sending"))
    session.add(Campaign(account_id=account_id, name="草稿", status="draft"))
    session.commit()


NOW = at(SH, 2026, 3, 10, 2)


def test_rows_count_on_their_local_day_and_only_for_their_account(session, accounts):
    mine, other = accounts
    fill(session, mine)
    fill(session, other)  # the same again next door: must not double anything
    s = dashboard.series(session, mine, "Asia/Shanghai", NOW)

    assert s.days[0] == date(2026, 2, 9) and s.days[-1] == date(2026, 3, 10) and len(s.days) == 30

    def on(name: str) -> dict[date, int]:
        return {d: v for d, v in zip(s.days, s.values[name], strict=True) if v}

    assert on("follows") == {date(2026, 3, 10): 1, date(2026, 3, 9): 2, date(2026, 2, 9): 1}
    assert on("unfollows") == {date(2026, 3, 10): 1, date(2026, 3, 3): 1}
    assert on("checkins") == {date(2026, 3, 10): 2, date(2026, 3, 4): 1}
    assert on("points_issued") == {date(2026, 3, 10): 13}
    assert on("points_spent") == {date(2026, 3, 10): 7}
    assert on("points_expired") == {date(2026, 3, 5): 4}
    assert on("orders") == {date(2026, 3, 10): 1, date(2026, 3, 9): 1}
    assert on("revenue_fen") == {date(2026, 3, 10): 1280, date(2026, 3, 9): 4000}
    assert on("referrals") == {date(2026, 3, 10): 1, date(2026, 2, 20): 1}
    assert s.active_campaigns == 1

    t = s.totals()
    assert t["today"] == dashboard.Totals(1, 1, 2, 13, 7, 0, 1, 1280, 1)
    assert t["7d"] == dashboard.Totals(3, 1, 3, 13, 7, 4, 2, 5280, 1)
    assert t["30d"] == dashboard.Totals(4, 2, 3, 13, 7, 4, 2, 5280, 2)
    assert dashboard.totals(session, mine, "Asia/Shanghai", NOW) == t


def test_an_empty_account_has_thirty_zero_days(session, accounts):
    s = dashboard.series(session, accounts[1], "Asia/Shanghai", NOW)
    assert all(v == [0] * 30 for v in s.values.values()) and s.active_campaigns == 0


@pytest.mark.parametrize(
    ("tz", "edges"),
    [
        # DST began on 8 March 2026 in New York: local midnight moved from 05:00 to 04:00 UTC
        (
            "America/New_York",
            [
                ((2026, 3, 7, 23, 30), date(2026, 3, 7)),
                ((2026, 3, 8, 0, 5), date(2026, 3, 8)),
                ((2026, 3, 8, 23, 30), date(2026, 3, 8)),
                ((2026, 3, 9, 0, 15), date(2026, 3, 9)),
            ],
        ),
        # half-hour offset: local midnight is 18:30 UTC
        ("Asia/Kolkata", [((2026, 3, 8, 23, 45), date(2026, 3, 8)), ((2026, 3, 9, 0, 0), date(2026, 3, 9))]),
    ],
)
def test_days_follow_the_zone(session, accounts, tz, edges):
    zone = ZoneInfo(tz)
    m = Maker(session, accounts[0])
    for (y, mo, d, h, mi), _ in edges:
        m.follow(at(zone, y, mo, d, h, mi))
        m.order(at(zone, y, mo, d, h, mi), 100)
    session.commit()
    s = dashboard.series(session, accounts[0], tz, at(zone, 2026, 3, 10, 12))
    expected: dict[date, int] = {}
    for _, day in edges:
        expected[day] = expected.get(day, 0) + 1
    for name in ("follows", "orders"):
        got = {d: v for d, v in zip(s.days, s.values[name], strict=True) if v}
        assert got == expected, name


def test_the_window_ends_with_today_in_the_zone():
    days, start, end = dashboard.window(datetime(2026, 3, 9, 17, tzinfo=UTC), "Asia/Shanghai", 7)
    assert days[-1] == date(2026, 3, 10) and days[0] == date(2026, 3, 4)
    assert start == datetime(2026, 3, 3, 16, tzinfo=UTC) and end == datetime(2026, 3, 10, 16, tzinfo=UTC)
    assert end - start == timedelta(days=7)
