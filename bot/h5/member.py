"""会员中心, 积分明细 and 签到日历: the member's own figures, read-only."""

from __future__ import annotations

from datetime import timedelta

from flask import request

from bot.context import tiefen
from bot.h5 import h5
from bot.h5 import shapes as figures
from bot.h5 import wording as labels
from bot.h5.identity import Visitor, member_page
from bot.h5.web import follow_points, page
from models import Checkin, LedgerEntry, utcnow
from rules.clock import business_date
from rules.points.checkins import next_bonus
from services.accounts import members
from services.points import balances as statements
from services.points import checkins

PER_PAGE = 20
MAX_PAGE = 10_000


@h5.get("/<appid>/member")
@member_page
def member(me: Visitor) -> tuple[str, int]:
    prog = tiefen().programmes.get(me.account.id)
    now = utcnow()
    today = business_date(now, prog.timezone)
    first = today.replace(day=1)
    with tiefen().sessions() as session:
        st = statements.statement(
            session, me.account.id, me.openid, prog.tiers, prog.tier_basis, prog.timezone, now
        )
        recent: list[Checkin] = []
        if st.member_id is not None:
            since = min(first, today - timedelta(days=1))
            recent = checkins.calendar(session, st.member_id, since, today)
    return page(
        "h5/member.html",
        me=me,
        st=st,
        progress=figures.progress(st, prog.tiers, prog.tier_basis),
        expiring_day=labels.local_day(st.expiring[1]) if st.expiring else None,
        month_checkins=sum(1 for c in recent if c.day >= first),
        checked_today=any(c.day == today for c in recent),
        streak=figures.current_streak(recent, today),
        follow_points=follow_points(prog),
    )


@h5.get("/<appid>/ledger")
@member_page
def ledger(me: Visitor) -> tuple[str, int]:
    prog = tiefen().programmes.get(me.account.id)
    number = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    entries: list[LedgerEntry] = []
    total = 0
    with tiefen().sessions() as session:
        member_id = members.member_id_of(session, me.account.id, me.openid)
        if member_id is not None:
            entries, total = statements.history(session, member_id, number, PER_PAGE)
            if not entries and total:  # past the last page: show the last page
                number = (total + PER_PAGE - 1) // PER_PAGE
                entries, total = statements.history(session, member_id, number, PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return page(
        "h5/ledger.html",
        me=me,
        member_id=member_id,
        lines=[labels.ledger_line(e, prog.timezone) for e in entries],
        number=number,
        pages=pages,
        total=total,
        follow_points=follow_points(prog),
    )


@h5.get("/<appid>/checkins")
@member_page
def calendar(me: Visitor) -> tuple[str, int]:
    prog = tiefen().programmes.get(me.account.id)
    today = business_date(utcnow(), prog.timezone)
    first = figures.month_of(request.args.get("month"), today)
    last = figures.month_end(first)
    with tiefen().sessions() as session:
        member_id = members.member_id_of(session, me.account.id, me.openid)
        month = checkins.calendar(session, member_id, first, last) if member_id else []
        recent = checkins.calendar(session, member_id, today - timedelta(days=1), today) if member_id else []
    streak = figures.current_streak(recent, today)
    return page(
        "h5/checkins.html",
        me=me,
        member_id=member_id,
        first=first,
        weeks=figures.month_grid(first, month, today),
        weekdays=labels.WEEKDAYS,
        total=len(month),
        streak=streak,
        checked_today=any(c.day == today for c in recent),
        upcoming=next_bonus(streak, prog.streak_bonuses),
        makeup_cost=prog.makeup_cost,
        previous=figures.previous_month(first).strftime("%Y-%m"),
        next_month=None if first == today.replace(day=1) else (last + timedelta(days=1)).strftime("%Y-%m"),
        follow_points=follow_points(prog),
    )
