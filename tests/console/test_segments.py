"""The segments page: the funnel and stages as charts, the RFM table and stages linking to the
members behind them, the KOL candidates with their score parts and evidence, for the owner and a
viewer, with nothing of another account."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import KolRun, Member, MemberScore, Referral, Review, Share, utcnow
from rules.segments.scoring import SEGMENTS, STAGE_ORDER
from services.accounts.members import ensure_members
from services.accounts.registry import save_account


def scored(session, account_id: int, prefix: str, fen: int) -> list[int]:
    """Three scored members: a KOL (iron, important_value) who referred one friend and wrote a good
    review, and two others; a finished run naming the KOL."""
    now = utcnow()
    found = ensure_members(session, account_id, [f"o{prefix}Kol", f"o{prefix}Friend", f"o{prefix}Third"])
    ids = [found[f"o{prefix}{name}"] for name in ("Kol", "Friend", "Third")]
    for member_id in ids:
        session.get(Member, member_id).first_followed_at = now - timedelta(days=3)
    kol, friend, third = ids
    session.add_all(
        [
            MemberScore(
                member_id=kol,
                account_id=account_id,
                stage="iron",
                rfm_segment="important_value",
                monetary_fen=fen,
                influence=25.0,
                parts={"referrals": 10.0, "good_reviews": 5.0, "shares": 10.0},
                kol=True,
            ),
            MemberScore(member_id=friend, account_id=account_id, stage="light", monetary_fen=0),
            MemberScore(
                member_id=third,
                account_id=account_id,
                stage="deep",
                rfm_segment="general_retain",
                monetary_fen=100,
            ),
            Referral(
                account_id=account_id,
                referrer_id=kol,
                referee_id=friend,
                scene=f"{prefix}-s",
                bound_at=now - timedelta(days=2),
                status="paid",
            ),
            Review(
                account_id=account_id,
                member_id=kol,
                rating=5,
                text=f"{prefix}咖啡很好喝",
                status="approved",
                source_key=f"{prefix}-r",
            ),
            Share(account_id=account_id, member_id=kol, page="campaign/spring"),
            KolRun(account_id=account_id, full=True, finished_at=now, members_scored=3, candidates=[kol]),
        ]
    )
    session.commit()
    return ids


@pytest.fixture
def population(session, account):
    mine = scored(session, account.id, "Mine", 12_345)
    other, _ = save_account(session, "wxother00000segs2", "隔壁小店", "othertoken")
    session.commit()
    scored(session, other.id, "Next", 7_777_777)
    return mine


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_segments_page_shows_charts_links_and_candidates(sign_in, population, role):
    r = sign_in(role).get("/console/segments")
    assert r.status_code == 200
    html = r.text
    assert 'aria-label="转化漏斗（人）"' in html and 'aria-label="关系阶段（关注中的会员）"' in html
    for step in ("了解", "试用", "注册", "忠诚"):
        assert f"<td>{step}</td>" in html
    for code, _ in SEGMENTS.values():
        assert f'href="/console/members?rfm={code}"' in html
    for stage in STAGE_ORDER:
        assert f'href="/console/members?stage={stage}"' in html
    assert "¥123.45" in html  # the important_value row's money
    # the candidate, the parts of the score explained, the evidence
    kol = population[0]
    assert f'href="/console/members/{kol}">oMineKol</a>' in html and "影响力 25.0" in html
    for part in ("直接邀请", "好评", "分享", "通过其邀请码关注的好友数"):
        assert part in html
    assert "传播 4 次" in html  # one friend, three shares' worth of points (10 / weight 3)
    bar = "候选门槛：影响力至少 10 分，且直接邀请、分享带来关注、分享、分享被阅读、好评获赞合计至少 3 次"
    assert bar in html
    assert "oMineFriend · 已奖励" in html and "Mine咖啡很好喝" in html and "分享页面 1 个" in html
    # next door stays next door
    assert "oNext" not in html and "Next咖啡" not in html and "¥77,777.77" not in html


def test_funnel_period_switch(sign_in, population):
    console = sign_in("owner")
    for key, label in (("7d", "近 7 天"), ("30d", "近 30 天"), ("90d", "近 90 天")):
        html = console.get(f"/console/segments?period={key}").text
        assert f'class="on" aria-current="page">{label}</a>' in html
    html = console.get("/console/segments?period=nope").text
    assert 'class="on" aria-current="page">近 30 天</a>' in html


def test_without_a_run_the_page_says_so(sign_in, account):
    html = sign_in("viewer").get("/console/segments").text
    assert "还没有完成过评分" in html and "<svg" in html


def test_the_nav_links_segments(sign_in, population):
    html = sign_in("viewer").get("/console/").text
    assert 'href="/console/segments"' in html
