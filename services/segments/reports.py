"""What the merchant reads: the funnel for a date range, the RFM table with the 80/20 share, the
stage distribution, and the KOL candidates with the parts and evidence behind each score."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from models import KolRun, Member, MemberScore, PageView, Programme, Referral, Review, Share
from models.base import UTCDateTime
from rules.referrals.referrals import ReferralStatus
from rules.segments.scoring import (
    EVIDENCE_PARTS,
    PART_NAMES,
    SEGMENTS,
    STAGE_ORDER,
    STAGES,
    KolBar,
    counts_of,
    weights_of,
)
from rules.segments.scoring import evidence as evidence_of

FUNNEL = (("aware", "了解"), ("trial", "试用"), ("registered", "注册"), ("loyal", "忠诚"))

FUNNEL_SQL = """
WITH contact AS (
    SELECT viewer_openid AS openid, MIN(viewed_at) AS at FROM page_views
    WHERE account_id = :a GROUP BY viewer_openid
    UNION ALL SELECT openid, first_followed_at FROM members
    WHERE account_id = :a AND first_followed_at IS NOT NULL),
first AS (SELECT openid, MIN(at) AS at FROM contact GROUP BY openid),
cohort AS (SELECT openid FROM first WHERE at >= :start AND at < :end),
buyers AS (
    SELECT member_id FROM orders WHERE account_id = :a AND amount_fen > refunded_fen
    GROUP BY member_id HAVING COUNT(*) >= :orders),
streakers AS (SELECT DISTINCT member_id FROM checkins WHERE account_id = :a AND streak >= :streak)
SELECT COUNT(*),
    COUNT(m.first_followed_at),
    SUM(CASE WHEN m.first_followed_at IS NOT NULL AND m.registered_at IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN m.first_followed_at IS NOT NULL AND m.registered_at IS NOT NULL
              AND (m.id IN (SELECT member_id FROM buyers) OR m.id IN (SELECT member_id FROM streakers))
             THEN 1 ELSE 0 END)
FROM cohort c LEFT JOIN members m ON m.account_id = :a AND m.openid = c.openid
"""


@dataclass(frozen=True)
class FunnelStep:
    code: str
    name: str
    count: int
    conversion: float | None  # of the step before; None for the first


def funnel(session: Session, account_id: int, start: datetime, end: datetime) -> list[FunnelStep]:
    """People whose first contact (an H5 read or a follow) fell in [start, end), and how far each got:
    了解 everyone, 试用 followed, 注册 bound a phone / completed the profile, 忠诚 repeat purchases
    or a check-in streak over the programme's thresholds. Each step is within the one before."""
    settings = session.get(Programme, account_id)
    assert settings is not None
    stmt = text(FUNNEL_SQL).bindparams(
        bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
    )
    params = {"a": account_id, "start": start, "end": end}
    row = session.execute(
        stmt, {**params, "orders": settings.loyal_orders, "streak": settings.loyal_streak}
    ).one()
    counts = [int(v or 0) for v in row]
    return [
        FunnelStep(code, name, n, None if i == 0 else (round(n / counts[i - 1], 4) if counts[i - 1] else 0.0))
        for i, ((code, name), n) in enumerate(zip(FUNNEL, counts, strict=True))
    ]


@dataclass
class RfmTable:
    rows: list[dict[str, Any]] = field(default_factory=list)  # segment, name, members, monetary_fen
    buyers: int = 0
    monetary_fen: int = 0
    top20_share: float | None = None  # of the money, what the best-paying 20% of buyers paid


def rfm_table(session: Session, account_id: int) -> RfmTable:
    counts = {
        seg: (int(n), int(fen or 0))
        for seg, n, fen in session.execute(
            select(MemberScore.rfm_segment, func.count(), func.sum(MemberScore.monetary_fen))
            .where(MemberScore.account_id == account_id, MemberScore.rfm_segment.is_not(None))
            .group_by(MemberScore.rfm_segment)
        )
    }
    table = RfmTable()
    for code, name in SEGMENTS.values():
        n, fen = counts.get(code, (0, 0))
        table.rows.append({"segment": code, "name": name, "members": n, "monetary_fen": fen})
        table.buyers += n
        table.monetary_fen += fen
    if table.buyers:
        top = max(1, -(-table.buyers // 5))  # the top 20%, at least one
        best = (
            select(MemberScore.monetary_fen)
            .where(MemberScore.account_id == account_id, MemberScore.rfm_segment.is_not(None))
            .order_by(MemberScore.monetary_fen.desc())
            .limit(top)
            .subquery()
        )
        paid = int(session.scalar(select(func.coalesce(func.sum(best.c.monetary_fen), 0))) or 0)
        table.top20_share = round(paid / table.monetary_fen, 4) if table.monetary_fen else None
    return table


def stage_counts(session: Session, account_id: int) -> list[dict[str, Any]]:
    found = dict(
        session.execute(
            select(MemberScore.stage, func.count())
            .join(Member, Member.id == MemberScore.member_id)
            .where(MemberScore.account_id == account_id, Member.following)
            .group_by(MemberScore.stage)
        ).all()
    )
    return [{"stage": s, "name": STAGES[s], "members": int(found.get(s, 0))} for s in STAGE_ORDER]


@dataclass(frozen=True)
class Candidate:
    rank: int
    member_id: int
    openid: str
    score: float
    parts: list[dict[str, Any]]  # part, name, count, weight, points — points add up to `score`
    evidence: dict[str, Any]
    evidence_count: int  # what the bar's minimum evidence counts (rules.segments.scoring.evidence)


def kol_bar(session: Session, account_id: int) -> KolBar:
    """The bar the account's KOL candidates clear: a minimum score and a minimum of evidence."""
    settings = session.get(Programme, account_id)
    return KolBar(settings.kol_min_score, settings.kol_min_evidence) if settings else KolBar()


def bar_parts() -> list[dict[str, str]]:
    """The parts the bar's evidence counts, with their names."""
    return [{"part": p, "name": PART_NAMES[p]} for p in EVIDENCE_PARTS]


def kol_candidates(session: Session, account_id: int) -> tuple[KolRun | None, list[Candidate]]:
    """The last run's candidates, best first, each with the parts of their score and the evidence."""
    run = session.scalar(
        select(KolRun)
        .where(KolRun.account_id == account_id, KolRun.finished_at.is_not(None))
        .order_by(KolRun.id.desc())
        .limit(1)
    )
    if run is None or not run.candidates:
        return run, []
    settings = session.get(Programme, account_id)
    weights = weights_of(settings.kol_weights if settings else None)
    rows = {
        s.member_id: (s, openid)
        for s, openid in session.execute(
            select(MemberScore, Member.openid)
            .join(Member, Member.id == MemberScore.member_id)
            .where(MemberScore.member_id.in_(run.candidates))
        )
    }
    out = []
    for rank, member_id in enumerate(run.candidates, 1):
        if member_id not in rows:
            continue
        s, openid = rows[member_id]
        found = {p: v for p, v in (s.parts or {}).items() if v}
        counts = counts_of(found, weights)
        parts = [
            {"part": p, "name": PART_NAMES[p], "weight": weights[p], "count": counts[p], "points": v}
            for p, v in found.items()
        ]
        out.append(
            Candidate(
                rank,
                member_id,
                openid,
                s.influence,
                parts,
                evidence(session, member_id),
                evidence_of(found, weights),
            )
        )
    return run, out


def evidence(session: Session, member_id: int) -> dict[str, Any]:
    """What a merchant checks before trusting a score: the shares read most, the friends brought,
    the good reviews."""
    top_pages = session.execute(
        select(PageView.page, func.count(), func.count(PageView.followed_at))
        .where(PageView.sharer_id == member_id)
        .group_by(PageView.page)
        .order_by(func.count().desc(), PageView.page)
        .limit(3)
    ).all()
    friends = session.execute(
        select(Member.openid, Referral.status, Referral.bound_at)
        .join(Member, Member.id == Referral.referee_id)
        .where(
            Referral.referrer_id == member_id,
            Referral.status.not_in((ReferralStatus.REFUSED, ReferralStatus.VOIDED)),
        )
        .order_by(Referral.bound_at)
        .limit(10)
    ).all()
    good = session.execute(
        select(Review.id, Review.rating, Review.like_count, Review.text)
        .where(Review.member_id == member_id, Review.rating >= 4, Review.status == "approved")
        .order_by(Review.like_count.desc(), Review.id)
        .limit(3)
    ).all()
    shares = int(session.scalar(select(func.count()).where(Share.member_id == member_id)) or 0)
    return {
        "shares": shares,
        "top_shared_pages": [{"page": p, "reads": int(n), "follows": int(f)} for p, n, f in top_pages],
        "referees": [{"openid": o, "status": st, "bound_at": at} for o, st, at in friends],
        "good_reviews": [{"id": i, "rating": r, "likes": likes, "text": t[:60]} for i, r, likes, t in good],
    }
