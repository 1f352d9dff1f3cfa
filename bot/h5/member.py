"""会员中心, 会员权益, 积分明细 and 签到日历: the member's own figures; the 签到 button."""

from __future__ import annotations

from datetime import date, timedelta

from flask import redirect, request, url_for
from flask import session as browser
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from bot.context import tiefen
from bot.h5 import h5
from bot.h5 import shapes as figures
from bot.h5 import wording as labels
from bot.h5.identity import Visitor, form_token, member_action, member_page, remembered
from bot.h5.profile import member_profile
from bot.h5.web import Refused, follow_points, page
from models import Checkin, LedgerEntry, utcnow
from rules.accounts.member_numbers import member_number
from rules.clock import business_date
from rules.inbound.messages import CHECKED_IN
from rules.points.checkins import next_bonus
from rules.points.tasks import Action
from rules.points.tiers import ladder
from services.accounts import members
from services.inbound import outbox as inbound
from services.points import balances as statements
from services.points import checkins, rewards
from services.points.checkins import CheckinResult
from tasks import wake_drainer

PER_PAGE = 20
MAX_PAGE = 10_000
SAID = "h5_checkin"  # the session key holding what the 签到 button did, shown once
BACK = {"member": "h5.member", "checkins": "h5.calendar"}  # where the button's page was


@h5.get("/<appid>/member")
@member_page
def member(me: Visitor) -> tuple[str, int]:
    prog = tiefen().programmes.get(me.account.id)
    now = utcnow()
    today = business_date(now, prog.timezone)
    first = today.replace(day=1)
    with tiefen().sessions() as session:
        st = statements.statement_under(session, prog, me.openid, now)
        recent: list[Checkin] = []
        if st.member_id is not None:
            recent = checkins.calendar(session, st.member_id, min(first, today - timedelta(days=6)), today)
        shelf = rewards.catalogue(session, me.account.id)
    found = member_profile(me)
    streak = figures.current_streak(recent, today)
    return page(
        "h5/member.html",
        me=me,
        st=st,
        nickname=found.nickname if found else None,
        initial=figures.initial(found.nickname if found else None),
        number=member_number(st.member_id) if st.member_id else None,
        progress=figures.progress(st, prog.tiers, prog.tier_basis),
        expiring_day=labels.local_day(st.expiring[1]) if st.expiring else None,
        month_checkins=sum(1 for c in recent if c.day >= first),
        checked_today=any(c.day == today for c in recent),
        week=figures.week_strip(recent, today),
        streak=streak,
        upcoming=next_bonus(streak, prog.streak_bonuses),
        can_check_in=_checkin_open(me),
        said=browser.pop(SAID, None),
        token=form_token(me, "checkin"),
        next_reward=figures.next_reward(shelf, st.available),
        follow_points=follow_points(prog),
    )


@h5.get("/<appid>/tiers")
@member_page
def benefits(me: Visitor) -> tuple[str, int]:
    """会员权益: every tier, what reaches it and what it gives; the member's own marked."""
    prog = tiefen().programmes.get(me.account.id)
    with tiefen().sessions() as session:
        st = statements.statement_under(session, prog, me.openid, utcnow())
    rows = [(t, labels.tier_threshold(t.threshold, prog.tier_basis)) for t in ladder(prog.tiers)]
    return page(
        "h5/tiers.html",
        me=me,
        st=st,
        rows=rows,
        current=st.tier.code if st.tier and st.member_id else None,
        progress=figures.progress(st, prog.tiers, prog.tier_basis),
        follow_points=follow_points(prog),
    )


@h5.post("/<appid>/checkin")
@member_action("checkin")
def check_in(me: Visitor, key: str) -> Response:
    """The 签到 button: the chat's check-in, recorded in the outbox for the same drain to pay. The
    form's key names it, so a double tap or a retry finds the first one's result."""
    browser[SAID] = _check_in(me, f"h5checkin:{key}")
    back = BACK.get(request.form.get("back", ""), "h5.member")
    return redirect(url_for(back, appid=me.account.appid), 303)


def _check_in(me: Visitor, source: str) -> str:
    prog = tiefen().programmes.get(me.account.id)
    now = utcnow()
    day = business_date(now, prog.timezone)
    with tiefen().runtime.job_sessions.begin() as session:
        if members.member_id_of(session, me.account.id, me.openid) is None:
            raise Refused(403, "关注公众号成为会员后即可签到。")
        standing = members.standing(session, me.account.id, me.openid)
        result = checkins.check_in(session, prog, standing.member_id, standing.tier_code, day, now, source)
        if result.kind == "again":
            result = _same_form(session, standing.member_id, day, source) or result
        stored = None
        if result.kind == "ok":
            payload: dict[str, object] = {"source": "h5"}
            stored = inbound.record_api_event(
                session, me.account.id, me.openid, CHECKED_IN, None, source, payload, now
            )
    if stored is not None:
        wake_drainer()  # after commit: the drain must find the event
    return labels.checkin_said(result, next_bonus(result.streak, prog.streak_bonuses))


def _same_form(session: Session, member_id: int, day: date, source: str) -> CheckinResult | None:
    """Today's check-in as this very form made it (a retry is told what the first tap got)."""
    made = checkins.calendar(session, member_id, day, day)
    if made and made[0].source_key == source:
        return CheckinResult("ok", made[0].streak, made[0].points, made[0].bonus)
    return None


def _checkin_open(me: Visitor) -> bool:
    task = tiefen().programmes.get(me.account.id).tasks.get(Action.CHECKIN)
    return bool(task and task.enabled)


@h5.get("/<appid>/ledger")
@member_page
def ledger(me: Visitor) -> tuple[str, int]:
    prog = tiefen().programmes.get(me.account.id)
    flow = labels.flow_of(request.args.get("flow"))
    sign = labels.SIGNS[flow]
    number = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    entries: list[LedgerEntry] = []
    total = 0
    with tiefen().sessions() as session:
        member_id = members.member_id_of(session, me.account.id, me.openid)
        if member_id is not None:
            entries, total = statements.history(session, member_id, number, PER_PAGE, sign, by_time=True)
            if not entries and total:  # past the last page: show the last page
                number = (total + PER_PAGE - 1) // PER_PAGE
                entries, total = statements.history(session, member_id, number, PER_PAGE, sign, by_time=True)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return page(
        "h5/ledger.html",
        me=me,
        member_id=member_id,
        months=figures.by_month(labels.ledger_line(e, prog.timezone) for e in entries),
        flow=flow,
        flows=labels.FLOWS,
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
        can_check_in=_checkin_open(me),
        said=browser.pop(SAID, None),
        token=form_token(me, "checkin"),
        upcoming=next_bonus(streak, prog.streak_bonuses),
        makeup_cost=prog.makeup_cost,
        previous=figures.previous_month(first).strftime("%Y-%m"),
        next_month=None if first == today.replace(day=1) else (last + timedelta(days=1)).strftime("%Y-%m"),
        follow_points=follow_points(prog),
    )


@h5.app_template_global()
def way_back() -> tuple[str, str] | None:
    """An error page's way back: (link, words) to the member centre of the account in the URL, for
    a member (返回会员中心) or a visitor (the centre's address starts WeChat's sign-in); None when
    the URL names no account."""
    appid = (request.view_args or {}).get("appid")
    if appid is None:  # refused by routing (a 405): the URL's own /h5/<appid>/
        parts = request.path.split("/")
        appid = parts[2] if len(parts) > 3 and f"/{parts[1]}" == h5.url_prefix else None
    if not isinstance(appid, str) or len(appid) > 64:
        return None
    account = tiefen().accounts.get(appid)
    if account is None and appid == tiefen().settings.wechat_appid:
        account = tiefen().accounts.get(None)
    if account is None:
        return None
    words = "返回会员中心" if remembered(account) else "进入会员中心"
    return url_for("h5.member", appid=appid), words
