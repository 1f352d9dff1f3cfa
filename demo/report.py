"""The demo's closing report: members, events, points by task, top members, tiers, the shop."""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    Checkin,
    EventStatus,
    InboundEvent,
    LedgerEntry,
    MassSend,
    Member,
    Referral,
    Review,
    Scan,
    utcnow,
)
from services.referrals import graph as referral_graph
from services.segments import reports as segment_reports
from simulator.state import SimulatorState

# An operator's report: English throughout; Chinese only where it is the merchant's own data (the
# names of tiers and journeys), never mixed with English on one line.
TASK_NAMES = {
    "follow": "first follow",
    "checkin": "check-in",
    "checkin_bonus": "check-in streak bonus",
    "review": "review",
    "purchase": "purchase",
    "referral": "referral reward",
    "referee": "referred friend's welcome",
    "referral_ladder": "referral ladder step",
    "share": "share",
    "share_read": "share read",
}
KIND_NAMES = {"redemption": "redemption", "makeup": "make-up check-in", "reversal": "refund reversal"}
KIND_NAMES |= {"expiry": "expiry"}
PART_NAMES = {
    "activity": "activity",
    "good_reviews": "good reviews",
    "review_likes": "likes of good reviews",
    "shares": "shares",
    "share_reads": "reads of shares",
    "share_follows": "follows from shares",
    "referrals": "referrals",
    "second_degree": "second-degree referrals",
    "downstream_activity": "friends' activity",
}


def print_report(session: Session, stats: Any, shop: dict[str, Any], swept: int, sim: SimulatorState) -> None:
    print(f"done in {stats.seconds:.1f} s; webhook p50 {stats.p50:.1f} ms, p99 {stats.p(0.99):.1f} ms\n")
    _rows("Members and events", _lifecycle(session, stats, swept))
    _rows("Points issued by task", _by_task(session))
    _rows("Points spent, reversed and expired", _debits(session))
    _rows("Tiers", _tiers(session))
    _rows(
        "The shop",
        [*shop.items(), ("tier-change notices sent (template messages)", len(sim.template_messages()))],
    )
    print("Top members by points earned")
    top = session.execute(
        select(Member.openid, Member.points_earned, Member.points_balance, Member.tier_code)
        .order_by(Member.points_earned.desc(), Member.id)
        .limit(5)
    )
    for openid, earned, balance, tier in top:
        print(f"  {openid:<22} earned {earned:>6}  balance {balance:>6}  {tier or 'normal'}")


def _rows(title: str, rows: list[tuple[str, Any]]) -> None:
    print(title)
    for label, value in rows:
        print(f"  {label}{' ' * max(1, 48 - _width(label))}{value!s:>10}")
    print()


def _width(text: str) -> int:
    """Columns a terminal gives `text`: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def _lifecycle(session: Session, stats: Any, swept: int) -> list[tuple[str, Any]]:
    members = _count(session, select(func.count(Member.id)))
    following = _count(session, select(func.count(Member.id)).where(Member.following.is_(True)))
    events = _count(session, select(func.count(InboundEvent.id)).where(InboundEvent.msg_type != "api"))
    statuses = Counter(
        dict(session.execute(select(InboundEvent.status, func.count()).group_by(InboundEvent.status)).all())
    )
    scans = _count(session, select(func.count(Scan.id)))
    return [
        ("members", members),
        ("following now", following),
        (
            "came back after unfollowing",
            _count(session, select(func.count(Member.id)).where(Member.follow_count > 1)),
        ),
        ("callbacks delivered (with WeChat's retries)", stats.deliveries),
        ("callbacks stored", events),
        ("duplicates rejected (same reply returned)", stats.deliveries - events),
        ("follows through QR codes", scans),
        (
            "check-ins (of which make-ups)",
            f"{_count(session, select(func.count(Checkin.id)))} "
            f"({_count(session, select(func.count(Checkin.id)).where(Checkin.makeup))})",
        ),
        ("reviews", _count(session, select(func.count(Review.id)))),
        ("events processed by the drain", statuses[EventStatus.DONE]),
        ("events still pending", statuses[EventStatus.PENDING]),
        ("events the sweeper found waiting", swept),
    ]


def _by_task(session: Session) -> list[tuple[str, Any]]:
    rows = session.execute(
        select(LedgerEntry.action, func.count(), func.sum(LedgerEntry.delta))
        .where(LedgerEntry.kind == "award")
        .group_by(LedgerEntry.action)
        .order_by(func.sum(LedgerEntry.delta).desc())
    ).all()
    return [(f"{TASK_NAMES.get(a, a)} ({n} awards)", total) for a, n, total in rows]  # custom: codes


def _debits(session: Session) -> list[tuple[str, Any]]:
    rows = session.execute(
        select(LedgerEntry.kind, func.count(), func.sum(LedgerEntry.delta))
        .where(LedgerEntry.kind != "award")
        .group_by(LedgerEntry.kind)
    ).all()
    return [(f"{KIND_NAMES.get(k, k)} ({n} entries)", total) for k, n, total in rows] or [("none", 0)]


def _tiers(session: Session) -> list[tuple[str, Any]]:
    """Members by tier, named by the tier's code (the merchant's names are Chinese)."""
    counts = session.execute(select(Member.tier_code, func.count()).group_by(Member.tier_code)).all()
    return [(code or "normal", n) for code, n in sorted(counts, key=lambda r: r[1])]


STATUS_NAMES = {
    "paid": "paid",
    "held": "held (hold running)",
    "review": "held for the merchant's review",
    "voided": "voided",
    "capped": "over a cap (not paid)",
    "refused": "refused",
}


def print_referrals(session: Session, chains: Any, settled: dict[str, int]) -> None:
    """Referrals: what the scans did, rewards paid, held and voided with reasons, top referrers."""
    decided = ", ".join(
        f"{n} {STATUS_NAMES.get(str(s), str(s))}" for s, n in settled.items() if s != "points"
    )
    print(f"\nSettlement job: {decided or 'nothing due'}; {settled.get('points', 0)} points paid\n")
    outcomes = session.execute(
        select(Scan.outcome, func.count()).where(Scan.outcome.is_not(None)).group_by(Scan.outcome)
    ).all()
    _rows(
        "Referrals: what each scan did",
        [("posters asked for", chains.posters_asked)]
        + [(f"scans: {o}", n) for o, n in sorted(outcomes, key=lambda r: (-r[1], r[0]))],
    )
    rows = session.execute(select(Referral.status, Referral.reasons, Referral.reward_points)).all()
    by: Counter[tuple[str, str]] = Counter()
    points: Counter[str] = Counter()
    for status, reasons, reward in rows:
        by[(status, ",".join(reasons or []) or "-")] += 1
        points[status] += reward
    _rows(
        "Referral rewards after the settlement job (status, reasons: referrals)",
        [(f"{STATUS_NAMES.get(s, s)}, {r}", n) for (s, r), n in sorted(by.items())]
        + [
            ("points paid to referrers", _sum_action(session, "referral")),
            ("ladder steps paid (3rd, 10th, 50th friend)", _sum_action(session, "referral_ladder")),
            ("friends' welcome bonuses", _sum_action(session, "referee")),
        ],
    )
    print("Top referrers (direct + second-degree friends)")
    account_id = session.scalar(select(Member.account_id).limit(1))
    for r in referral_graph.top_referrers(session, int(account_id or 0), limit=5):
        print(
            f"  {r.openid:<22} cascade {r.cascade:>3} = {r.direct} direct + {r.second_degree} second-degree"
            f"   paid {r.paid}, held {r.held}, review {r.review}, voided {r.voided}"
        )
    rings = referral_graph.ring_scan(session, int(account_id or 0))
    print(f"\nRing scan over the whole graph: {len(rings.rings)} rings")


def _sum_action(session: Session, action: str) -> int:
    stmt = select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(LedgerEntry.action == action)
    return _count(session, stmt)


def print_segments(session: Session, scored: dict[str, int]) -> None:
    """The scoring job's view: funnel, stages, RFM segments and the KOL candidates explained."""
    account_id = int(session.scalar(select(Member.account_id).limit(1)) or 0)
    print(f"\nScoring job (flask --app app kol rebuild): {scored['scored']} members scored\n")
    now = utcnow()
    steps = segment_reports.funnel(session, account_id, now - timedelta(days=30), now + timedelta(days=1))
    _rows(
        "Funnel, people first seen in the last 30 days (conversion from the step before)",
        [
            (s.code, f"{s.count}" + (f" ({s.conversion:.0%})" if s.conversion is not None else ""))
            for s in steps
        ],
    )
    _rows(
        "Relationship stages (following members)",
        [(s["stage"], s["members"]) for s in segment_reports.stage_counts(session, account_id)],
    )
    table = segment_reports.rfm_table(session, account_id)
    _rows(
        "RFM segments (buyers in the last 365 days: members, paid yuan)",
        [(r["segment"].replace("_", " "), f"{r['members']} / {r['monetary_fen'] // 100}") for r in table.rows]
        + [("best 20% of buyers paid (seed 003's 80/20)", f"{table.top20_share or 0:.0%}")],
    )
    run, candidates = segment_reports.kol_candidates(session, account_id)
    bar = segment_reports.kol_bar(session, account_id)
    print(
        f"KOL candidates (score = the parts' points; evidence below each; the bar: a score of "
        f"{bar.min_score:g} and {bar.min_evidence} referrals, shares, reads or likes)"
    )
    for c in candidates[:5]:
        parts = " + ".join(
            f"{PART_NAMES.get(p['part'], p['part'])} {p['count']:g}×{p['weight']:g}" for p in c.parts
        )
        print(f"  #{c.rank} {c.openid:<20} {c.score:>7.1f} = {parts}")
        ev = c.evidence
        friends = ", ".join(f"{r['openid']}({r['status']})" for r in ev["referees"][:4])
        print(
            f"      friends: {friends or '-'}; shares {ev['shares']}; "
            f"good reviews {len(ev['good_reviews'])}; evidence {c.evidence_count}"
        )


def print_campaign(session: Session, sent: dict[str, Any], journeyed: dict[str, int]) -> None:
    """Journeys, then the campaign: preview, the report per variant, what WeChat said of mass sends."""
    print()
    _rows("Triggered journeys (messages planned by this run)", sorted(journeyed.items()))
    p = sent["preview"]
    print(
        "\nCampaign to sticky, deep and iron members, two variants "
        "(a 45009 burst, an expired token on the way)"
    )
    _rows(
        "Preview (before sending)",
        [
            ("audience", p["audience"]),
            ("reachable by customer-service message", p["by_channel"]["kf"]),
            ("reachable by mass send", p["by_channel"]["mass"]),
        ]
        + [(f"held: {reason}", n) for reason, n in sorted(p["held"].items())],
    )
    rows: list[tuple[str, Any]] = []
    for code, v in sorted(sent["report"]["variants"].items()):
        rows += [
            (f"variant {code}: targeted", v["targeted"]),
            (f"variant {code}: sent by customer-service message", v["sent"].get("kf", 0)),
            (f"variant {code}: sent by mass send", v["sent"].get("mass", 0)),
        ]
        rows += [(f"variant {code}: held ({r})", n) for r, n in sorted(v["held"].items())]
        rows += [(f"variant {code}: failed ({r})", n) for r, n in sorted(v["failed"].items())]
        rows += [
            (f"variant {code}: delivered (as WeChat confirmed)", v["delivered"]),
            (f"variant {code}: opened", v["opened"]),
            (
                f"variant {code}: shares / reads through them / follows",
                f"{v['shares']} / {v['share_reads']} / {v['follows']}",
            ),
            (f"variant {code}: cost in points (shares and reads)", v["cost_points"]),
        ]
    finished = (
        session.execute(
            select(MassSend.result).where(
                MassSend.campaign_id == sent["campaign_id"], MassSend.finished_at.is_not(None)
            )
        )
        .scalars()
        .all()
    )
    rows += [
        ("status", sent["report"]["status"]),
        ("seconds to send", f"{sent['seconds']:.2f}"),
        ("news cards the simulator received (customer service)", sent["custom_messages"]),
        ("mass sends (MASSSENDJOBFINISH recorded)", f"{sent['mass_jobs']} ({len(finished)})"),
        ("members reached by mass sends, as WeChat reported", sum(r.get("SentCount", 0) for r in finished)),
    ]
    _rows("Campaign report", rows)
