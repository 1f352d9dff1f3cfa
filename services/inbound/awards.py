"""The award stage of the drain: decide every earning of a batch, credit the ledger, reverse refunds."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import InboundEvent, Member, OrderRefund
from models.upsert import one_of
from rules.clock import business_date
from rules.points.earnings import Earning, UsageBook, counted, decide_earning
from rules.points.lots import expires_at
from rules.points.tasks import Award, refund_reversal, week_of
from services.accounts import members
from services.inbound.earnings import Refund, harvest
from services.points import ledger, programme, tiers
from services.points.programme import ProgrammeConfig


@dataclass
class AwardOutcome:
    credited: int = 0  # ledger entries written
    refused: Counter[str] = field(default_factory=Counter)
    tier_changes: list[int] = field(default_factory=list)  # to announce after commit
    deferred: int = 0  # claimed events left for a later batch (their members were busy)
    posters: list[int] = field(default_factory=list)  # events asking for a poster: sent by a job


def award_batch(
    session: Session,
    events: list[InboundEvent],
    member_ids: dict[tuple[int, str], int],
    now: datetime,
    changes: members.Changes | None = None,
    extra: list[Earning] | None = None,
) -> AwardOutcome:
    """Credit what the batch earned, write every member's row once (with `changes` from the
    lifecycle), then reverse refunds and move tiers up."""
    changes = members.Changes() if changes is None else changes
    found = harvest(session, events, member_ids)
    found.earnings += extra or []
    outcome = AwardOutcome()
    earnings: dict[int, list[Earning]] = defaultdict(list)
    refunds: dict[int, list[Refund]] = defaultdict(list)
    for e in found.earnings:
        earnings[e.account_id].append(e)
    for r in found.refunds:
        refunds[r.account_id].append(r)
    for member_id, fen in found.spend.items():
        changes.of(member_id).spend_fen += fen
    progs = {a: programme.load(session, a) for a in sorted(set(earnings) | set(refunds))}
    for account_id, prog in progs.items():
        _credit(session, prog, earnings[account_id], outcome, changes)
    members.apply_changes(session, changes)
    for account_id, prog in progs.items():
        _reverse(session, prog, refunds[account_id], now)
        touched = {e.member_id for e in earnings[account_id]} | {r.member_id for r in refunds[account_id]}
        outcome.tier_changes += tiers.upgrade(session, prog, touched, now)
    return outcome


def _credit(
    session: Session,
    prog: ProgrammeConfig,
    earnings: list[Earning],
    outcome: AwardOutcome,
    changes: members.Changes,
) -> None:
    if not earnings:
        return
    tz = prog.timezone
    member_ids = {e.member_id for e in earnings}
    since = min(week_of(business_date(e.at, tz)) for e in earnings)
    book = UsageBook(*ledger.award_counts(session, prog.account_id, *counted(earnings, prog.tasks), since))
    tier_of: dict[int, str | None] = {}
    if any(t.target_tiers for t in prog.tasks.values()):  # only tier-targeted tasks need the tiers
        rows = session.execute(
            select(Member.id, Member.tier_code).where(one_of(session, Member.id, member_ids))
        )
        tier_of = {member_id: code for member_id, code in rows}
    credits = []
    for e in sorted(earnings, key=lambda e: (e.at, e.action, e.source)):  # caps go to what came first
        decision, day = decide_earning(e, prog.tasks.get(e.action), book, tier_of.get(e.member_id), tz)
        if not isinstance(decision, Award):
            outcome.refused[decision.reason] += 1
            continue
        credits.append(
            ledger.Credit(
                prog.account_id,
                e.member_id,
                decision.key,
                decision.points,
                e.action,
                day,
                e.at,
                expires_at(e.at, prog.expiry, tz),
                decision.hold_days,
                e.note or prog.task_names.get(e.action),
            )
        )
    outcome.credited += len(ledger.credit(session, credits, changes))


def _reverse(session: Session, prog: ProgrammeConfig, refunds: list[Refund], now: datetime) -> None:
    for r in sorted(refunds, key=lambda r: r.refund_id):
        awarded = ledger.entry_points(session, prog.account_id, f"purchase:{r.order_id}")
        before = int(
            session.scalar(
                select(func.coalesce(func.sum(OrderRefund.refund_fen), 0)).where(
                    OrderRefund.order_id == r.order_id, OrderRefund.id < r.refund_id
                )
            )
            or 0
        )
        points = refund_reversal(awarded, r.amount_fen, before + r.refund_fen) - refund_reversal(
            awarded, r.amount_fen, before
        )
        day = business_date(r.at, prog.timezone)
        ledger.reverse(
            session,
            prog.account_id,
            r.member_id,
            points,
            f"refund:{r.refund_id}",
            f"purchase:{r.order_id}",
            day,
            now,
            note="退款扣回积分",
        )
