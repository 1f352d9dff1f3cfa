"""Check-ins (签到) and make-up check-ins (补签), done while the member waits for the reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Checkin, Member
from models.upsert import upsert
from rules.clock import business_date
from rules.points.checkins import bonus_for, makeup_day, plan_checkin, restreak
from rules.points.lots import NotEnoughPoints
from rules.points.tasks import Action, Refusal, Usage, decide
from services.points import ledger
from services.points.programme import ProgrammeConfig


@dataclass(frozen=True)
class CheckinResult:
    kind: str  # ok | again | closed
    streak: int = 0
    points: int = 0
    bonus: int = 0
    reason: str = ""


def check_in(
    session: Session,
    prog: ProgrammeConfig,
    member_id: int,
    tier: str | None,
    day: date,
    at: datetime,
    source_key: str,
) -> CheckinResult:
    """Record today's check-in with its streak and points (the drain awards them); once a day."""
    decision = decide(prog.tasks.get(Action.CHECKIN), Usage(), at, tier, "")
    if isinstance(decision, Refusal):
        return CheckinResult("closed", reason=decision.reason)
    near = _streaks(session, member_id, day - timedelta(days=1), day)
    if day in near:
        return CheckinResult("again", streak=near[day])
    plan = plan_checkin(day, near.get(day - timedelta(days=1)), decision.points, prog.streak_bonuses)
    row = {
        "account_id": prog.account_id,
        "member_id": member_id,
        "day": day,
        "streak": plan.streak,
        "points": plan.points,
        "bonus": plan.bonus,
        "makeup": False,
        "source_key": source_key,
        "created_at": at,
    }
    stmt = upsert(session, Checkin).values(row).on_conflict_do_nothing(index_elements=["member_id", "day"])
    if session.execute(stmt.returning(Checkin.id)).first() is None:  # a second 签到 got in first
        return CheckinResult("again", streak=_streaks(session, member_id, day, day).get(day, 1))
    return CheckinResult("ok", plan.streak, plan.points, plan.bonus)


@dataclass(frozen=True)
class MakeupResult:
    kind: str  # ok | done | points | off | before_follow
    day: date | None = None
    cost: int = 0
    streak: int = 0


def make_up(
    session: Session, prog: ProgrammeConfig, member_id: int, today: date, at: datetime, source_key: str
) -> MakeupResult:
    """Fill yesterday's gap for `makeup_cost` points, rejoining the streak through today."""
    if prog.makeup_cost is None:
        return MakeupResult("off")
    ledger.lock_member(session, member_id)  # one 补签 at a time per member
    yesterday = makeup_day(today)
    followed = session.scalar(select(Member.first_followed_at).where(Member.id == member_id))
    if followed is None or business_date(followed, prog.timezone) > yesterday:
        return MakeupResult("before_follow", yesterday)  # nothing was missed before they followed
    near = _streaks(session, member_id, yesterday - timedelta(days=1), today)
    if yesterday in near:
        return MakeupResult("done", yesterday)
    try:
        ledger.debit(
            session,
            prog.account_id,
            member_id,
            prog.makeup_cost,
            f"makeup:{member_id}:{yesterday}",
            "makeup",
            today,
            at,
            note=f"补签 {yesterday.isoformat()}",
        )
    except NotEnoughPoints:
        return MakeupResult("points", yesterday, prog.makeup_cost)
    streaks = restreak(near, yesterday, today)
    session.add(
        Checkin(
            account_id=prog.account_id,
            member_id=member_id,
            day=yesterday,
            streak=streaks[yesterday],
            points=0,
            bonus=bonus_for(streaks[yesterday], prog.streak_bonuses),
            makeup=True,
            source_key=source_key,
            created_at=at,
        )
    )
    if today in streaks:
        row = session.scalar(select(Checkin).where(Checkin.member_id == member_id, Checkin.day == today))
        assert row is not None
        row.streak, row.bonus = streaks[today], bonus_for(streaks[today], prog.streak_bonuses)
    session.flush()
    return MakeupResult("ok", yesterday, prog.makeup_cost, max(streaks.values()))


def _streaks(session: Session, member_id: int, first: date, last: date) -> dict[date, int]:
    rows = session.execute(
        select(Checkin.day, Checkin.streak).where(
            Checkin.member_id == member_id, Checkin.day.between(first, last)
        )
    )
    return {day: streak for day, streak in rows}


def calendar(session: Session, member_id: int, first: date, last: date) -> list[Checkin]:
    """The member's check-ins in a date range (the H5 calendar)."""
    stmt = (
        select(Checkin)
        .where(Checkin.member_id == member_id, Checkin.day.between(first, last))
        .order_by(Checkin.day)
    )
    return list(session.scalars(stmt))
