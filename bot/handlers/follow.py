"""subscribe (plain or through a QR code), SCAN and unsubscribe."""

from __future__ import annotations

from bot.dispatch import Ctx, Reply, on
from rules import replies
from rules.clock import from_create_time
from rules.messages import Inbound
from services import members


@on("event", "subscribe")
@on("event", "subscribe_scan")
def followed(msg: Inbound, ctx: Ctx) -> Reply:
    """Create or restore the member now: the welcome depends on whether they are back."""
    member = members.follow(ctx.db, ctx.account.id, msg.openid, from_create_time(msg.create_time))
    account = ctx.account
    return Reply(replies.welcome(account.name, account.welcome_text, returning=member.returning))


@on("event", "unsubscribe")
@on("event", "scan")
def no_reply(msg: Inbound, ctx: Ctx) -> None:
    """Nothing to say: the job records the unfollow or the scan."""
    return
