"""签到, 补签 and 积分: answered at once, with the member's points and streak."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.dispatch import Ctx, Reply, command
from bot.h5.links import member_link
from rules.clock import business_date, from_create_time
from rules.inbound import replies
from rules.inbound.messages import Inbound
from rules.points.checkins import next_bonus
from rules.points.tiers import next_tier
from services.accounts import members
from services.points import balances as statements
from services.points import checkins
from services.points.programme import ProgrammeConfig


@command(r"^签到$", atomic=True)
def check_in(msg: Inbound, ctx: Ctx) -> Reply:
    prog = ctx.programme()
    at = from_create_time(msg.create_time)
    with Session(bind=ctx.db) as session:
        member = members.standing(session, ctx.account.id, msg.openid)
        day = business_date(at, prog.timezone)
        result = checkins.check_in(session, prog, member.member_id, member.tier_code, day, at, msg.dedup_key)
        session.flush()
    if result.kind == "closed":
        return Reply(replies.checkin_closed(result.reason))
    if result.kind == "again":
        return Reply(replies.checkin_again(result.streak))
    value = (
        member.earned + result.points + result.bonus
        if prog.tier_basis == "points"
        else member.spend_fen // 100
    )
    gap = _gap(prog, value)
    upcoming = next_bonus(result.streak, prog.streak_bonuses)
    return Reply(replies.checkin_ok(result.points, result.bonus, result.streak, upcoming, gap))


@command(r"^补签$", atomic=True)
def make_up(msg: Inbound, ctx: Ctx) -> Reply:
    prog = ctx.programme()
    at = from_create_time(msg.create_time)
    with Session(bind=ctx.db) as session:
        member = members.standing(session, ctx.account.id, msg.openid)
        result = checkins.make_up(
            session, prog, member.member_id, business_date(at, prog.timezone), at, msg.dedup_key
        )
        session.flush()
    if result.kind == "ok" and result.day:
        return Reply(replies.makeup_ok(result.day, result.cost, result.streak))
    return Reply(replies.makeup_refused(result.kind))


@command(r"^(积分|我的积分|查积分)$")
def points(msg: Inbound, ctx: Ctx) -> Reply:
    prog = ctx.programme()
    with Session(bind=ctx.db) as session:
        s = statements.statement_under(session, prog, msg.openid, from_create_time(msg.create_time))
    gap = replies.tier_gap(s.next[0].name, s.next[1]) if s.next else ""
    text = replies.points_summary(s.balance, s.pending, s.tier.name if s.tier else None, gap, s.expiring)
    return Reply(f'{text}\n<a href="{member_link(ctx.account, msg.openid, "ledger")}">查看积分明细</a>')


def _gap(prog: ProgrammeConfig, value: int) -> str:
    upcoming = next_tier(value, prog.tiers)
    return replies.tier_gap(upcoming[0].name, upcoming[1]) if upcoming else ""
