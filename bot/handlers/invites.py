"""推广码 / 邀请: the member's poster, as an image when it is uploaded already, else a link and
a promise (the drain queues the job that makes and sends it)."""

from __future__ import annotations

from bot.dispatch import Ctx, Reply, command
from bot.h5.links import member_link
from models import utcnow
from rules.inbound import replies
from rules.inbound.messages import Inbound
from rules.referrals.referrals import INVITE_COMMAND
from services.referrals.invitations import usable_media


@command(INVITE_COMMAND.pattern)
def invite(msg: Inbound, ctx: Ctx) -> Reply:
    media_id = usable_media(ctx.db, ctx.account.id, msg.openid, utcnow())
    if media_id:
        return Reply("", media_id=media_id)
    return Reply(replies.poster_coming(member_link(ctx.account, msg.openid, "invite")))
