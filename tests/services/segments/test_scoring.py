"""Scores on small hand-checked populations: stages, RFM quintiles and segments, influence parts
that add up, KOL candidates without fraud, rule tags that follow the scores."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models import (
    Checkin,
    Member,
    MemberScore,
    MemberTag,
    Order,
    PageView,
    Programme,
    Referral,
    Review,
    ReviewLike,
    Share,
    utcnow,
)
from rules.segments.scoring import KolBar, weights_of
from services.accounts.members import ensure_members
from services.points import programme
from services.segments import scoring as segments

NOW = utcnow()


@pytest.fixture
def account_id(app):
    return app.extensions["tiefen"].accounts.get(None).id


def people(session, account_id, *names):
    ids = ensure_members(session, account_id, [f"o{n}Seg0001" for n in names])
    found = {n: ids[f"o{n}Seg0001"] for n in names}
    for member_id in found.values():  # followed a month ago, nothing since
        m = session.get(Member, member_id)
        m.first_followed_at = m.last_followed_at = m.last_interaction_at = NOW - timedelta(days=30)
    return found


def refer(session, account_id, up, down, status="paid", reasons=()):
    session.add(
        Referral(
            account_id=account_id,
            referrer_id=up,
            referee_id=down,
            scene=f"m{up}-abcdef",
            bound_at=NOW - timedelta(days=20),
            status=status,
            reasons=list(reasons),
        )
    )


def checkins(session, account_id, member_id, n):
    for i in range(n):
        day = date.today() - timedelta(days=i + 1)
        session.add(
            Checkin(
                account_id=account_id,
                member_id=member_id,
                day=day,
                streak=1,
                points=10,
                source_key=f"ck-{member_id}-{i}",
            )
        )


def nonzero(parts):
    return {k: v for k, v in parts.items() if v}


def score_all(session, account_id, top_n=2):
    prog = programme.load(session, account_id)
    settings = session.get(Programme, account_id)
    settings.kol_top_n = top_n
    scope = segments.Scope(True, 0, None)
    segments.score(session, prog, scope, NOW, settings)
    bar = KolBar(settings.kol_min_score, settings.kol_min_evidence)
    chosen = segments.pick_candidates(session, account_id, top_n, None, bar, weights_of(settings.kol_weights))
    tags = segments.sync_rule_tags(session, account_id, scope, NOW)
    session.commit()
    session.expire_all()
    rows = {s.member_id: s for s in session.scalars(select(MemberScore))}
    return rows, chosen, tags


def test_influence_parts_stages_and_candidates_on_a_small_population(session, account_id):
    p = people(session, account_id, "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "X")
    refer(session, account_id, p["A"], p["B"])
    refer(session, account_id, p["A"], p["C"], status="held")
    refer(session, account_id, p["B"], p["D"])
    refer(session, account_id, p["C"], p["X"], status="refused", reasons=["ring"])  # never counts
    for friend in ("G", "H", "I", "J", "K"):  # F's burst: held for review, F is no candidate
        refer(session, account_id, p["F"], p[friend], status="review", reasons=["burst"])
    checkins(session, account_id, p["A"], 2)
    checkins(session, account_id, p["B"], 3)
    review = Review(
        account_id=account_id,
        member_id=p["B"],
        rating=5,
        text="很好喝,下次还来",
        status="approved",
        source_key="rv-b",
        like_count=4,
    )
    session.add(review)
    session.flush()
    for liker in ("C", "D", "E", "F"):
        session.add(ReviewLike(review_id=review.id, member_id=p[liker]))
    session.add_all([Share(account_id=account_id, member_id=p["A"], page=f"/h5/x/p{i}") for i in range(2)])
    for i, viewer in enumerate(("oV1", "oV2", "oV3")):
        session.add(
            PageView(
                account_id=account_id,
                viewer_openid=viewer,
                page="/h5/x/p0",
                day=date.today(),
                sharer_id=p["A"],
                followed_at=NOW if i == 0 else None,
            )
        )
    reread = PageView(  # the reader who followed read a second page too: still one follow
        account_id=account_id,
        viewer_openid="oV1",
        page="/h5/x/p1",
        day=date.today(),
        sharer_id=p["A"],
        followed_at=NOW,
    )
    session.add(reread)
    session.add(
        Order(
            account_id=account_id,
            member_id=p["C"],
            order_no="SO-C",
            amount_fen=5000,
            paid_at=NOW - timedelta(days=3),
        )
    )
    session.get(Member, p["E"]).last_interaction_at = NOW - timedelta(days=1)
    session.commit()

    rows, chosen, _ = score_all(session, account_id)
    a, b = rows[p["A"]], rows[p["B"]]
    assert nonzero(a.parts) == {
        "activity": 2,
        "shares": 6,
        "share_reads": 4,
        "share_follows": 10,
        "referrals": 20,
        "second_degree": 4,
        "downstream_activity": 0.8,
    }
    assert a.influence == pytest.approx(46.8) and sum(a.parts.values()) == pytest.approx(a.influence)
    assert nonzero(b.parts) == {"activity": 4, "good_reviews": 5, "review_likes": 8, "referrals": 10}
    assert b.influence == pytest.approx(27)
    assert rows[p["F"]].influence == pytest.approx(51)  # five friends and a like …
    assert chosen == [p["A"], p["B"]]  # … but held for fraud: not a candidate
    assert {rows[p[n]].stage for n in "AB"} == {"iron"}
    assert (rows[p["C"]].stage, rows[p["D"]].stage, rows[p["E"]].stage) == ("deep", "light", "sticky")
    for s in rows.values():
        assert sum(s.parts.values()) == pytest.approx(s.influence)


def test_rfm_quintiles_segments_and_rule_tags(session, account_id):
    p = people(session, account_id, "P1", "P2", "P3", "P4", "P5", "Q")
    for i in range(1, 6):  # P_i: last bought i days ago, i orders of i×10 yuan each
        for k in range(i):
            session.add(
                Order(
                    account_id=account_id,
                    member_id=p[f"P{i}"],
                    order_no=f"SO-{i}-{k}",
                    amount_fen=i * 1000,
                    paid_at=NOW - timedelta(days=i + k * 30),
                )
            )
    session.add(
        Order(
            account_id=account_id,
            member_id=p["Q"],
            order_no="SO-old",
            amount_fen=99_00,
            paid_at=NOW - timedelta(days=400),
        )
    )  # outside the 365-day window
    session.commit()
    rows, _, (added, removed) = score_all(session, account_id)
    got = {n: (rows[p[n]].r, rows[p[n]].f, rows[p[n]].m, rows[p[n]].rfm_segment) for n in p}
    assert got == {
        "P1": (5, 1, 1, "general_develop"),
        "P2": (4, 2, 2, "general_develop"),
        "P3": (3, 3, 3, "important_value"),
        "P4": (2, 4, 4, "important_keep"),
        "P5": (1, 5, 5, "important_keep"),
        "Q": (None, None, None, None),
    }
    assert rows[p["P1"]].recency_days == 1 and rows[p["P5"]].monetary_fen == 5 * 5000
    assert rows[p["Q"]].stage == "deep"  # bought once, long ago
    tags = {
        (t.member_id, t.tag) for t in session.scalars(select(MemberTag).where(MemberTag.removed_at.is_(None)))
    }
    assert (p["P3"], "RFM:重要价值") in tags and (p["P3"], "阶段:深关系") in tags
    assert added == len(tags) and removed == 0
    # P3 refunds everything: the segment tag goes (marked for the mirror), the stage tag changes
    session.execute(
        Order.__table__.update().where(Order.member_id == p["P3"]).values(refunded_fen=Order.amount_fen)
    )
    session.commit()
    rows, _, (added, removed) = score_all(session, account_id)
    assert rows[p["P3"]].rfm_segment is None and rows[p["P3"]].stage == "light"
    gone = {
        t.tag
        for t in session.scalars(
            select(MemberTag).where(MemberTag.member_id == p["P3"], MemberTag.removed_at.is_not(None))
        )
    }
    assert gone == {"RFM:重要价值", "阶段:深关系"}
    again = score_all(session, account_id)[2]
    assert again == (0, 0)  # nothing changed: nothing written


def test_a_small_shop_gets_no_candidates_from_check_ins_only(session, account_id):
    """40 members who checked in once each (the shop that got 19 candidates scoring 1.0), a regular
    who checked in every day, and one who brought three friends and whose shares were read."""
    p = people(session, account_id, *[f"S{i:02d}" for i in range(40)], "Regular", "Star")
    for i in range(40):
        checkins(session, account_id, p[f"S{i:02d}"], 1)
    checkins(session, account_id, p["Regular"], 25)  # scores 25: over the minimum score, no evidence
    friends = people(session, account_id, "F1", "F2", "F3")
    for friend in friends.values():
        refer(session, account_id, p["Star"], friend)
    session.add(Share(account_id=account_id, member_id=p["Star"], page="/h5/x/p0"))
    session.add(
        PageView(
            account_id=account_id,
            viewer_openid="oReader1",
            page="/h5/x/p0",
            day=date.today(),
            sharer_id=p["Star"],
        )
    )
    session.commit()

    rows, chosen, _ = score_all(session, account_id, top_n=20)
    assert rows[p["S00"]].influence == pytest.approx(1.0) and rows[p["Regular"]].influence == 25
    assert chosen == [p["Star"]]
    assert rows[p["Star"]].kol and not rows[p["Regular"]].kol and not rows[p["S00"]].kol

    settings = session.get(Programme, account_id)
    settings.kol_min_score, settings.kol_min_evidence = 1.0, 0  # the merchant lowers the bar: all count
    _, chosen, _ = score_all(session, account_id, top_n=50)
    assert chosen[:2] == [p["Star"], p["Regular"]] and len(chosen) == 42
