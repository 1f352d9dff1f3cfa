"""邀请好友: the member's poster (made on first visit), what inviting pays, and their friends so far."""

from __future__ import annotations

from functools import partial

from flask import Response
from sqlalchemy import select

from bot.context import tiefen
from bot.h5 import h5
from bot.h5.identity import Visitor, member_page
from bot.h5.web import Refused, follow_points, page
from models import Member, utcnow
from services.accounts import members
from services.points import ledger
from services.referrals import invitations as invites
from wechat.client import client_for, nickname_of, qrcode_image

SHOWN = {"held": "确认中", "review": "审核中", "paid": "已奖励", "capped": "已达上限", "voided": "已失效"}


@h5.get("/<appid>/invite")
@member_page
def invite(me: Visitor) -> tuple[str, int]:
    prog = tiefen().programmes.get(me.account.id)
    with tiefen().sessions() as session:
        member_id = members.member_id_of(session, me.account.id, me.openid)
        counts: dict[str, int] = {}
        earned = 0
        if member_id is not None:
            counts = invites.friends_by_status(session, member_id)
            earned = ledger.earned_by_referrals(session, member_id)
    return page(
        "h5/invite.html",
        me=me,
        member_id=member_id,
        reward_line=invites.reward_line(prog),
        friends=sum(counts.values()),
        statuses=[(SHOWN[s], counts[s]) for s in SHOWN if counts.get(s)],
        earned=earned,
        ladder=prog.referral_ladder,
        hold_days=prog.referral_hold_days,
        follow_points=follow_points(prog),
    )


@h5.get("/<appid>/invite/poster.png")
@member_page
def poster(me: Visitor) -> Response:
    """The poster image, made (and its code created) through the WeChat API on first ask."""
    t = tiefen()
    if not me.account.secret:
        raise Refused(503, "公众号尚未配置,暂时无法生成海报,请稍后再试")
    wechat = client_for(me.account.appid, me.account.secret, t.settings.wechat_api_base, t.runtime.redis)
    prog = t.programmes.get(me.account.id)
    with t.sessions.begin() as session:
        member = session.scalar(
            select(Member).where(Member.account_id == me.account.id, Member.openid == me.openid)
        )
        if member is None:
            raise Refused(404, "关注公众号后即可生成专属邀请海报")
        qr_image = partial(qrcode_image, t.settings.wechat_api_base)
        name = member.nickname or nickname_of(wechat, me.openid)
        made = invites.poster(session, wechat, t.runtime.redis, qr_image, prog, member, name, utcnow())
    response = Response(made.png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
