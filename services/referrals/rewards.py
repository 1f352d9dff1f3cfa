"""Paying referrers: after the hold, by the merchant's decision, with caps and ladder steps.

Every payment is a ledger award keyed by the referral (and ladder step), so a settlement run
twice, or racing another, pays once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from models import Member, Referral
from models.upsert import one_of, table_of
from rules.clock import business_date
from rules.points.earnings import Earning, UsageBook, counted, decide_earning
from rules.points.lots import expires_at
from rules.points.tasks import Action, Award, week_of
from rules.referrals.referrals import ReferralStatus, ladder_bonuses, settle
from services.points import ledger, programme, tiers
from services.points.programme import ProgrammeConfig
from services.referrals.attribution import welcome_bonus

LADDER = "referral_ladder"


@dataclass
class SettleOutcome:
    decided: Counter[str] = field(default_factory=Counter)  # paid | voided | review | capped
    points: int = 0  # paid to referrers, ladder steps included
    tier_changes: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Due:
    id: int
    account_id: int
    referrer_id: int
    referee_id: int
    bound_at: datetime


class NotReviewable(ValueError):
    pass


def settle_due(session: Session, now: datetime, limit: int = 1000) -> SettleOutcome:
    """Decide held referrals whose hold ran out (or whose friend already left): pay, void or review."""
    stmt = (
        select(
            Referral.id,
            Referral.account_id,
            Referral.referrer_id,
            Referral.referee_id,
            Referral.bound_at,
            Referral.hold_until,
            Member.unfollowed_at,
            Member.last_interaction_at,
        )
        .join(Member, Member.id == Referral.referee_id)
        .where(
            Referral.status == ReferralStatus.HELD,
            or_(
                Referral.hold_until <= now,
                and_(Member.unfollowed_at >= Referral.bound_at, Member.unfollowed_at <= Referral.hold_until),
            ),
        )
        .order_by(Referral.id)
        .limit(limit)
        .with_for_update(of=Referral, skip_locked=True)
    )
    outcome = SettleOutcome()
    to_pay: dict[int, list[Due]] = defaultdict(list)
    decisions: list[dict[str, Any]] = []
    for r in session.execute(stmt):
        interacted = r.last_interaction_at is not None and r.last_interaction_at > r.bound_at
        left = r.unfollowed_at if r.unfollowed_at is not None and r.unfollowed_at >= r.bound_at else None
        verdict = settle(r.hold_until, now, left, interacted)
        if verdict is None:
            continue
        if verdict.status == ReferralStatus.PAID:
            to_pay[r.account_id].append(Due(r.id, r.account_id, r.referrer_id, r.referee_id, r.bound_at))
        else:
            decisions.append(_decision(r.id, verdict.status, verdict.reason, now, 0))
            outcome.decided[verdict.status] += 1
    _write_decisions(session, decisions)
    for account_id, dues in sorted(to_pay.items()):
        pay(session, programme.load(session, account_id), dues, now, "rules", outcome)
    return outcome


def pay(
    session: Session, prog: ProgrammeConfig, dues: list[Due], now: datetime, by: str, outcome: SettleOutcome
) -> None:
    """Pay referrers for `dues` under the referral task's caps, then the ladder steps they pass."""
    earnings = [
        Earning(d.account_id, d.referrer_id, Action.REFERRAL, f"referral:{d.id}", d.bound_at) for d in dues
    ]
    tz = prog.timezone
    since = min(week_of(business_date(e.at, tz)) for e in earnings)
    book = UsageBook(*ledger.award_counts(session, prog.account_id, *counted(earnings, prog.tasks), since))
    paid_before = _paid_counts(session, {d.referrer_id for d in dues})
    credits, decisions = [], []
    now_paid: Counter[int] = Counter()
    for d, e in sorted(zip(dues, earnings, strict=True), key=lambda pair: (pair[0].bound_at, pair[0].id)):
        decision, day = decide_earning(e, prog.tasks.get(Action.REFERRAL), book, None, tz)
        if isinstance(decision, Award):
            credits.append(
                _credit(prog, d.referrer_id, decision.key, decision.points, Action.REFERRAL, day, now)
            )
            decisions.append(_decision(d.id, ReferralStatus.PAID, None, now, decision.points, by))
            outcome.decided[ReferralStatus.PAID] += 1
            now_paid[d.referrer_id] += 1
        else:  # over a cap: a real friend, not paid for
            decisions.append(_decision(d.id, ReferralStatus.CAPPED, decision.reason, now, 0, by))
            outcome.decided[ReferralStatus.CAPPED] += 1
    today = business_date(now, tz)
    for referrer, n in sorted(now_paid.items()):
        before = paid_before.get(referrer, 0)
        for step, points in ladder_bonuses(before, before + n, prog.referral_ladder):
            key = f"{LADDER}:{referrer}:{step}"
            note = f"邀请满 {step} 位好友奖励"
            credits.append(_credit(prog, referrer, key, points, LADDER, today, now, note))
    _write_decisions(session, decisions)
    done = ledger.credit(session, credits)
    outcome.points += sum(c.points for c in done)
    outcome.tier_changes += tiers.upgrade(session, prog, {c.member_id for c in done}, now)


def _credit(
    prog: ProgrammeConfig,
    member_id: int,
    key: str,
    points: int,
    action: str,
    day: Any,
    now: datetime,
    note: str | None = None,
) -> ledger.Credit:
    return ledger.Credit(
        prog.account_id,
        member_id,
        key,
        points,
        action,
        day,
        now,
        expires_at(now, prog.expiry, prog.timezone),
        0,
        note or prog.task_names.get(action),
    )


def _paid_counts(session: Session, referrers: set[int]) -> dict[int, int]:
    rows = session.execute(
        select(Referral.referrer_id, func.count())
        .where(
            one_of(session, Referral.referrer_id, sorted(referrers)), Referral.status == ReferralStatus.PAID
        )
        .group_by(Referral.referrer_id)
    )
    return {int(referrer): int(n) for referrer, n in rows}


def _decision(
    referral_id: int, status: str, reason: str | None, now: datetime, points: int, by: str = "rules"
) -> dict[str, Any]:
    return {
        "b_id": referral_id,
        "b_status": status,
        "b_reason": reason,
        "b_at": now,
        "b_points": points,
        "b_by": by,
    }


def _write_decisions(session: Session, decisions: list[dict[str, Any]]) -> None:
    """Set each referral's status and reward; a reason is appended to those it already has."""
    if not decisions:
        return
    ids = [d["b_id"] for d in decisions]
    reasons = {
        r.id: list(r.reasons or [])
        for r in session.execute(
            select(Referral.id, Referral.reasons).where(one_of(session, Referral.id, ids))
        )
    }
    rows = [
        {**d, "b_reasons": reasons.get(d["b_id"], []) + ([d["b_reason"]] if d["b_reason"] else [])}
        for d in decisions
    ]
    session.execute(
        update(table_of(Referral))
        .where(Referral.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            reasons=bindparam("b_reasons", type_=Referral.__table__.c.reasons.type),
            decided_at=bindparam("b_at"),
            decided_by=bindparam("b_by"),
            reward_points=bindparam("b_points"),
        ),
        [{k: v for k, v in row.items() if k != "b_reason"} for row in rows],
    )


def review(session: Session, account_id: int, referral_id: int, approve: bool, now: datetime) -> Referral:
    """The merchant's decision on a referral held for review: pay both sides now, or void it."""
    r = session.scalar(
        select(Referral)
        .where(Referral.id == referral_id, Referral.account_id == account_id)
        .with_for_update()
    )
    if r is None:
        raise LookupError(f"no referral {referral_id}")
    if r.status != ReferralStatus.REVIEW:
        raise NotReviewable(f"referral {referral_id} is {r.status}, not waiting for review")
    if not approve:
        _write_decisions(
            session, [_decision(r.id, ReferralStatus.VOIDED, "merchant_rejected", now, 0, "merchant")]
        )
        return r
    prog = programme.load(session, account_id)
    outcome = SettleOutcome()
    pay(
        session,
        prog,
        [Due(r.id, r.account_id, r.referrer_id, r.referee_id, r.bound_at)],
        now,
        "merchant",
        outcome,
    )
    _welcome(session, prog, r.referee_id, r.bound_at, now)
    session.refresh(r)
    return r


def _welcome(
    session: Session, prog: ProgrammeConfig, referee_id: int, bound_at: datetime, now: datetime
) -> None:
    """The friend's welcome bonus, for referrals the merchant approved (held ones got it at once)."""
    e = welcome_bonus(prog.account_id, referee_id, bound_at)
    book = UsageBook(
        *ledger.award_counts(session, prog.account_id, *counted([e], prog.tasks), bound_at.date())
    )
    decision, day = decide_earning(e, prog.tasks.get(Action.REFEREE), book, None, prog.timezone)
    if isinstance(decision, Award):
        ledger.credit(
            session, [_credit(prog, referee_id, decision.key, decision.points, Action.REFEREE, day, now)]
        )
