"""邀请好友: the member's poster (made on first visit), what inviting pays, and their friends so far."""

from __future__ import annotations

import logging
from functools import partial

from flask import Response, url_for
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from bot.context import tiefen
from bot.h5 import h5
from bot.h5.identity import Visitor, member_page
from bot.h5.web import Refused, follow_points, page
from models import Member, utcnow
from services.accounts import members
from services.points import ledger
from services.referrals import invitations as invites
from wechat.client import client_for, nickname_of, qrcode_image
from wechat.errors import QrImageUnavailable

log = logging.getLogger(__name__)
SHOWN = {"held": "确认中", "review": "审核中", "paid": "已奖励", "capped": "已达上限", "voided": "已失效"}
NOT_FOLLOWING = "关注公众号后即可生成专属邀请海报。"
NO_SECRET = "公众号尚未配置完成，暂时无法生成海报，请稍后再试。"
WECHAT_FAILED = "微信暂时没有返回你的专属二维码，海报还没生成好。请稍等片刻，点下面的按钮重试。"


class PosterFailed(Exception):
    """The poster could not be made now; the message is for the member."""


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
    poster_error = None
    if member_id is not None:
        try:  # made now (then cached): a failure reads as words and a button, not a broken image
            _poster_png(me)
        except PosterFailed as exc:
            poster_error = str(exc)
    return page(
        "h5/invite.html",
        me=me,
        member_id=member_id,
        reward_line=invites.reward_line(prog),
        poster_error=poster_error,
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
    try:
        png = _poster_png(me)
    except PosterFailed as exc:
        raise Refused(503, str(exc), retry=url_for("h5.invite", appid=me.account.appid)) from exc
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _poster_png(me: Visitor) -> bytes:
    """The member's poster (from the cache once made); PosterFailed when WeChat fails us."""
    t = tiefen()
    if not me.account.secret:
        raise PosterFailed(NO_SECRET)
    wechat = client_for(me.account.appid, me.account.secret, t.settings.wechat_api_base, t.runtime.redis)
    prog = t.programmes.get(me.account.id)
    try:
        with t.sessions.begin() as session:
            member = session.scalar(
                select(Member).where(Member.account_id == me.account.id, Member.openid == me.openid)
            )
            if member is None:
                raise Refused(404, NOT_FOLLOWING)
            qr_image = partial(qrcode_image, t.settings.wechat_api_base)
            name = member.nickname or nickname_of(wechat, me.openid)
            made = invites.poster(session, wechat, t.runtime.redis, qr_image, prog, member, name, utcnow())
    except (WeChatClientException, QrImageUnavailable) as exc:
        log.warning("poster for %s of account %s not made: %s", me.openid, me.account.id, exc)
        raise PosterFailed(WECHAT_FAILED) from exc
    return made.png
