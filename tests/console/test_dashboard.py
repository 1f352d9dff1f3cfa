"""The dashboard page: the period switch, the tiles and every chart, for the owner and a viewer,
with nothing of another account."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import Checkin, LedgerEntry, Member, Order, utcnow
from services.accounts.members import ensure_members
from services.accounts.registry import save_account

CHARTS = ("关注与取关（人）", "签到（次）", "积分（分）", "订单（笔）", "销售额（元）", "新推荐（人）")


def shop(session, account_id: int, fen: int, points: int, prefix: str) -> None:
    """Today: one follower with a check-in, an award of `points` and an order of `fen`."""
    now = utcnow()
    ids = ensure_members(session, account_id, [f"o{prefix}Dashboard01"])
    member_id = next(iter(ids.values()))
    session.get(Member, member_id).first_followed_at = now
    from zoneinfo import ZoneInfo

    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    session.add(
        Checkin(account_id=account_id, member_id=member_id, day=today, streak=1, points=5, source_key=prefix)
    )
    session.add(
        LedgerEntry(
            account_id=account_id,
            member_id=member_id,
            key=f"{prefix}-1",
            delta=points,
            kind="award",
            business_date=today,
            created_at=now,
        )
    )
    session.add(
        Order(
            account_id=account_id,
            member_id=member_id,
            order_no=f"{prefix}-1",
            amount_fen=fen,
            paid_at=now - timedelta(minutes=1),
        )
    )
    session.commit()


@pytest.fixture
def figures(session, account):
    shop(session, account.id, 12_80, 37, "mine")
    other, _ = save_account(session, "wxother00000dash2", "隔壁小店", "othertoken")
    session.commit()
    shop(session, other.id, 9_876_54, 4321, "other")


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_dashboard_shows_tiles_and_every_chart(sign_in, figures, role):
    console = sign_in(role)
    for period, label in (("today", "今天"), ("7d", "近 7 天"), ("30d", "近 30 天")):
        r = console.get(f"/console/?period={period}")
        assert r.status_code == 200
        html = r.text
        assert f'class="on" aria-current="page">{label}</a>' in html
        for title in CHARTS:
            assert f'aria-label="{title}"' in html, (period, title)
        assert html.count("<svg") == len(CHARTS)
        assert "¥12.80" in html and "<b>37</b>" in html
        assert "¥9,876.54" not in html and "4321" not in html and "9876.54" not in html
        for key in ("today", "7d", "30d"):
            assert f"/console/?period={key}" in html


def test_an_unknown_period_is_today(sign_in, figures):
    r = sign_in("owner").get("/console/?period=forever")
    assert r.status_code == 200 and 'class="on" aria-current="page">今天</a>' in r.text


def test_revenue_chart_is_in_yuan(sign_in, figures):
    html = sign_in("owner").get("/console/?period=7d").text
    assert "销售额：12.8</title>" in html  # the bar's tooltip, in yuan
    assert "销售额：1280</title>" not in html


def test_signed_out_goes_to_sign_in(client):
    r = client.get("/console/")
    assert r.status_code == 302 and "/console/signin" in r.headers["Location"]
