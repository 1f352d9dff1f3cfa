"""The dashboard's day series: rows made at known local times land on exactly their local day, in
the account's zone (DST and half-hour zones too); another account's rows never count; the totals
are the series' sums."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from models import Campaign, Checkin, InboundEvent, LedgerEntry, Member, Order, Referral
from services.accounts.members import ensure_members
from services.accounts.registry import save_account
from services.points.orders import post_order, refund_order
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


# The rollup: settled days (before today - SETTLE_DAYS) are read from dashboard_days once written.


def rolled(session, account_id: int) -> dict[date, dashboard.DashboardDay]:
    rows = session.scalars(
        select(dashboard.DashboardDay).where(dashboard.DashboardDay.account_id == account_id)
    )
    return {r.day: r for r in rows}


def on_days(s: dashboard.Series, name: str) -> dict[date, int]:
    return {d: v for d, v in zip(s.days, s.values[name], strict=True) if v}


def test_settled_days_are_read_from_the_rollup_and_recent_days_live(session, accounts):
    mine, _ = accounts
    fill(session, mine)
    first = dashboard.series(session, mine, "Asia/Shanghai", NOW)
    session.commit()
    rows = rolled(session, mine)
    # 2/9 … 3/7 are settled (today 3/10, margin 2 days); 3/8 … 3/10 are never rolled up
    assert sorted(rows) == [date(2026, 2, 9) + timedelta(days=i) for i in range(27)]
    assert rows[date(2026, 3, 3)].unfollows == 1 and rows[date(2026, 3, 5)].points_expired == 4
    assert all(r.timezone == "Asia/Shanghai" for r in rows.values())

    m = Maker(session, mine)
    m.order(at(SH, 2026, 3, 3), 777)  # written behind the product's back onto a settled day
    m.checkin(date(2026, 2, 20))
    m.order(at(SH, 2026, 3, 10, 1, 30), 20)  # today
    m.checkin(date(2026, 3, 9))  # 补签 for yesterday: inside the margin
    m.unfollow(at(SH, 2026, 3, 8, 12))  # a drain two days behind: inside the margin
    session.commit()
    again = dashboard.series(session, mine, "Asia/Shanghai", NOW)
    assert on_days(again, "revenue_fen") == {date(2026, 3, 10): 1300, date(2026, 3, 9): 4000}
    assert on_days(again, "orders") == {date(2026, 3, 10): 2, date(2026, 3, 9): 1}
    assert on_days(again, "checkins") == {date(2026, 3, 10): 2, date(2026, 3, 9): 1, date(2026, 3, 4): 1}
    assert on_days(again, "unfollows") == {date(2026, 3, 10): 1, date(2026, 3, 8): 1, date(2026, 3, 3): 1}
    for name in ("follows", "points_issued", "points_spent", "points_expired", "referrals"):
        assert again.values[name] == first.values[name], name


def test_a_missing_settled_day_is_counted_live_and_rolled_again(session, accounts):
    mine, _ = accounts
    fill(session, mine)
    first = dashboard.series(session, mine, "Asia/Shanghai", NOW)
    session.commit()
    m = Maker(session, mine)
    m.checkin(date(2026, 3, 4))
    session.execute(
        delete(dashboard.DashboardDay).where(
            dashboard.DashboardDay.account_id == mine, dashboard.DashboardDay.day == date(2026, 3, 4)
        )
    )
    session.commit()
    again = dashboard.series(session, mine, "Asia/Shanghai", NOW)
    session.commit()
    assert on_days(again, "checkins") == {date(2026, 3, 10): 2, date(2026, 3, 4): 2}
    assert rolled(session, mine)[date(2026, 3, 4)].checkins == 2 and len(rolled(session, mine)) == 27
    assert again.values["follows"] == first.values["follows"]


def test_each_account_has_its_own_rolled_days(session, accounts):
    mine, other = accounts
    fill(session, mine)
    fill(session, other)
    Maker(session, other).order(at(SH, 2026, 3, 2), 99_999)  # next door only, on a settled day
    session.commit()
    ours = dashboard.series(session, mine, "Asia/Shanghai", NOW)
    theirs = dashboard.series(session, other, "Asia/Shanghai", NOW)
    session.commit()
    for _ in range(2):  # the second time from the rollup
        ours_again = dashboard.series(session, mine, "Asia/Shanghai", NOW)
        theirs_again = dashboard.series(session, other, "Asia/Shanghai", NOW)
        assert ours_again.values == ours.values and theirs_again.values == theirs.values
    assert on_days(ours, "revenue_fen") == {date(2026, 3, 10): 1280, date(2026, 3, 9): 4000}
    assert on_days(theirs, "revenue_fen") == {
        date(2026, 3, 10): 1280,
        date(2026, 3, 9): 4000,
        date(2026, 3, 2): 99_999,
    }
    assert rolled(session, mine)[date(2026, 3, 2)].revenue_fen == 0
    assert rolled(session, other)[date(2026, 3, 2)].revenue_fen == 99_999


def test_rolled_days_keep_the_zone_edges_and_a_new_zone_rolls_again(session, accounts):
    ny = ZoneInfo("America/New_York")
    m = Maker(session, accounts[0])
    # around the DST change of 8 March 2026, all settled on the 14th (margin: the 11th and before)
    for y, mo, d, h, mi in (
        (2026, 3, 7, 23, 30),
        (2026, 3, 8, 0, 5),
        (2026, 3, 8, 23, 30),
        (2026, 3, 9, 0, 15),
    ):
        m.follow(at(ny, y, mo, d, h, mi))
        m.order(at(ny, y, mo, d, h, mi), 100)
    session.commit()
    now = at(ny, 2026, 3, 14, 12)
    expected = {date(2026, 3, 7): 1, date(2026, 3, 8): 2, date(2026, 3, 9): 1}
    for _ in range(2):  # counted, then read back from the rollup
        s = dashboard.series(session, accounts[0], "America/New_York", now)
        session.commit()
        assert on_days(s, "follows") == expected and on_days(s, "orders") == expected
    assert rolled(session, accounts[0])[date(2026, 3, 8)].follows == 2
    # the account moves to Shanghai: the rows cut in New York count as missing and are rolled anew
    s = dashboard.series(session, accounts[0], "Asia/Shanghai", now)
    session.commit()
    assert on_days(s, "follows") == {date(2026, 3, 8): 2, date(2026, 3, 9): 2}  # 12:30 … 13:05 there
    rows = rolled(session, accounts[0])
    assert rows[date(2026, 3, 8)].timezone == "Asia/Shanghai" and rows[date(2026, 3, 9)].follows == 2


def test_a_back_dated_order_and_a_refund_reach_a_rolled_day(session, accounts):
    mine, _ = accounts
    m = Maker(session, mine)
    session.commit()
    openid = next(iter(m.members))
    dashboard.series(session, mine, "Asia/Shanghai", NOW)
    session.commit()
    paid = at(SH, 2026, 3, 2, 23, 50)  # 15:50 UTC: the Shanghai day is the UTC day
    post_order(session, mine, openid, "old-1", 5000, paid, NOW)
    session.commit()
    s = dashboard.series(session, mine, "Asia/Shanghai", NOW)
    session.commit()
    assert on_days(s, "revenue_fen") == {date(2026, 3, 2): 5000} and on_days(s, "orders") == {
        date(2026, 3, 2): 1
    }
    assert rolled(session, mine)[date(2026, 3, 2)].revenue_fen == 5000
    refund_order(session, mine, "old-1", "r-1", 1200, NOW)
    session.commit()
    s = dashboard.series(session, mine, "Asia/Shanghai", NOW)
    assert on_days(s, "revenue_fen") == {date(2026, 3, 2): 3800}
