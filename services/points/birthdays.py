"""Birthdays (生日礼): a member sets theirs once; the birthday task pays once a year in the birthday
month — to everyone due by a daily set-based job, and at once to a member who sets a birthday that
falls in the current month. The ledger key (birthday:<year>:<member>) makes it exactly once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import String, cast, exists, extract, literal, select, update
from sqlalchemy.orm import Session

from models import LedgerEntry, Member
from models.upsert import table_of
from rules.clock import business_date
from rules.points.birthdays import birthday_key, birthday_problem, decide_birthday
from rules.points.lots import expires_at
from rules.points.tasks import Action, Award
from services.points import ledger, tiers
from services.points.programme import ProgrammeConfig

BATCH = 1000


@dataclass(frozen=True)
class Awarded:
    """A birthday batch: the members credited, the last member looked at (None: none left), and
    the tier changes to announce after the commit."""

    member_ids: list[int]
    last: int | None
    tier_changes: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class BirthdaySet:
    kind: str  # set | already_set | invalid | not_member
    birthday: date | None = None
    problem: str | None = None  # invalid: why, in the member's words
    points: int = 0  # set: awarded at once (a birthday this month)
    tier_changes: list[int] = field(default_factory=list)


def set_birthday(
    session: Session, prog: ProgrammeConfig, openid: str, birthday: date, now: datetime
) -> BirthdaySet:
    """Keep the member's birthday unless one was kept before (it cannot be changed, so the gift
    cannot be farmed); award the birthday task at once when it falls in the current month."""
    problem = birthday_problem(birthday, business_date(now, prog.timezone))
    if problem is not None:
        return BirthdaySet("invalid", problem=problem)
    members = table_of(Member)
    where = (members.c.account_id == prog.account_id, members.c.openid == openid)
    row = session.execute(
        update(members)
        .where(*where, members.c.birthday.is_(None))
        .values(birthday=birthday)
        .returning(members.c.id)
    ).first()
    if row is None:
        kept = session.execute(select(members.c.birthday).where(*where)).first()
        return BirthdaySet("not_member") if kept is None else BirthdaySet("already_set", kept[0])
    done = award_due(session, prog, now, only=int(row[0]))
    points = prog.tasks[Action.BIRTHDAY].points if done.member_ids else 0
    return BirthdaySet("set", birthday, points=points, tier_changes=done.tier_changes)


def award_due(
    session: Session,
    prog: ProgrammeConfig,
    now: datetime,
    after: int = 0,
    batch: int = BATCH,
    only: int | None = None,
) -> Awarded:
    """Award the next `batch` members (ids above `after`) whose birthday month is this month in the
    account's time zone, who still follow and have no birthday award this year: one query for the
    batch, one ledger insert (a key already there is skipped, so two runs award once)."""
    task = prog.tasks.get(Action.BIRTHDAY)
    if task is None or not task.enabled or task.points <= 0:
        return Awarded([], None)
    today = business_date(now, prog.timezone)
    key = literal(birthday_key(0, today.year)[:-1]) + cast(Member.id, String)  # birthday:<year>:<id>
    paid = exists().where(LedgerEntry.account_id == prog.account_id, LedgerEntry.key == key)
    stmt = (
        select(Member.id, Member.birthday, Member.tier_code)
        .where(
            Member.account_id == prog.account_id,
            Member.birthday.is_not(None),
            extract("month", Member.birthday) == today.month,
            Member.following.is_(True),
            Member.id > after,
            ~paid,
        )
        .order_by(Member.id)
        .limit(batch)
    )
    if only is not None:
        stmt = stmt.where(Member.id == only)
    rows = session.execute(stmt).all()
    if not rows:
        return Awarded([], None)
    credits = []
    for member_id, birthday, tier in rows:
        assert birthday is not None  # the WHERE asked for one
        decision = decide_birthday(task, member_id, birthday, today, now, tier)
        if isinstance(decision, Award):
            credits.append(
                ledger.Credit(
                    prog.account_id,
                    member_id,
                    decision.key,
                    decision.points,
                    Action.BIRTHDAY,
                    today,
                    now,
                    expires_at(now, prog.expiry, prog.timezone),
                    decision.hold_days,
                    prog.task_names.get(Action.BIRTHDAY),
                )
            )
    done = [c.member_id for c in ledger.credit(session, credits)]
    return Awarded(done, int(rows[-1][0]), tiers.upgrade(session, prog, done, now))


def birthday_of(session: Session, account_id: int, openid: str) -> date | None:
    """The member's birthday, if they gave one."""
    found: date | None = session.scalar(
        select(Member.birthday).where(Member.account_id == account_id, Member.openid == openid)
    )
    return found
