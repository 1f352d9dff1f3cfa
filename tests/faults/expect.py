"""What each customer's balance must be, from the rules and what the webhook accepted.

Worked out on the driver's side, from its own record of accepted callbacks, with the programme's
point values: a follow pays once per person ever (re-follows never), a friend's follow through a
referrer's code pays the friend's welcome bonus once (the referrer's reward waits out its hold,
longer than any run), and 签到 pays once per business day in the account's time zone (no streak
here reaches a bonus). Nothing else the customers do earns points.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import InboundEvent, LedgerEntry, Member, Referral, Scan
from rules.clock import business_date, from_create_time
from rules.points.tasks import Action
from services.points import programme
from tests.faults.driver import Sent


def expected_balances(session: Session, account_id: int, sent: list[Sent]) -> dict[str, int]:
    prog = programme.load(session, account_id)
    points = {a: prog.tasks[a].points for a in (Action.FOLLOW, Action.CHECKIN, Action.REFEREE)}
    followed: set[str] = set()
    referred: set[str] = set()
    days: dict[str, set[object]] = defaultdict(set)
    for s in sent:
        if not s.accepted:
            continue
        openid = s.callback.openid
        if s.kind in ("follow", "scan"):
            followed.add(openid)
        if s.kind == "scan":
            referred.add(openid)
        if s.kind == "checkin":
            at = from_create_time(int(s.callback.fields["CreateTime"]))
            days[openid].add(business_date(at, prog.timezone))
    people = followed | set(days)
    return {
        o: points[Action.FOLLOW] * (o in followed)
        + points[Action.REFEREE] * (o in referred)
        + points[Action.CHECKIN] * len(days[o])
        for o in people
    }


def balance_mismatches(session: Session, account_id: int, sent: list[Sent]) -> list[str]:
    """Every customer whose balance is not what the rules give ("openid: have ≠ want")."""
    want = expected_balances(session, account_id, sent)
    have = dict(
        session.execute(
            select(Member.openid, Member.points_balance).where(Member.account_id == account_id)
        ).all()
    )
    return [f"{o}: {have.get(o)} ≠ {w}" for o, w in sorted(want.items()) if have.get(o, 0) != w] + [
        f"{o}: {b} ≠ nothing earned" for o, b in sorted(have.items()) if o not in want and b
    ]


def explain(session: Session, account_id: int, openid: str, sent: list[Sent]) -> str:
    """What the driver sent for one member and what the store made of it (for a failure message)."""
    member = session.scalar(select(Member).where(Member.account_id == account_id, Member.openid == openid))
    if member is None:
        return f"{openid}: no member row"
    mine = [s for s in sent if s.callback.openid == openid]
    said = [f"{s.kind}@{s.callback.fields['CreateTime']}{'' if s.accepted else ' (never 200)'}" for s in mine]
    ledger = session.execute(
        select(LedgerEntry.action, LedgerEntry.delta, LedgerEntry.key).where(
            LedgerEntry.member_id == member.id
        )
    ).all()
    events = session.execute(
        select(InboundEvent.id, InboundEvent.msg_type, InboundEvent.event, InboundEvent.status)
        .where(InboundEvent.account_id == account_id, InboundEvent.openid == openid)
        .order_by(InboundEvent.id)
    ).all()
    scans = session.execute(
        select(Scan.event_id, Scan.kind, Scan.outcome).where(Scan.member_id == member.id)
    ).all()
    bound = session.execute(
        select(Referral.event_id, Referral.status, Referral.reasons).where(Referral.referee_id == member.id)
    ).all()
    return (
        f"{openid}: sent {said}; events {[tuple(e) for e in events]}; ledger {[tuple(r) for r in ledger]}; "
        f"scans {[tuple(s) for s in scans]}; referral {[tuple(b) for b in bound]}"
    )
