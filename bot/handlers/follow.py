"""subscribe (plain or through a QR code), SCAN and unsubscribe."""

from __future__ import annotations

from bot.dispatch import Ctx, Reply, on
from rules.inbound import replies
from rules.inbound.messages import Inbound


@on("event", "subscribe")
@on("event", "subscribe_scan")
def followed(msg: Inbound, ctx: Ctx) -> Reply:
    """Welcome the follower; the drain job creates or restores the member."""
    return Reply(replies.welcome(ctx.account.name, ctx.account.welcome_text))


@on("event", "unsubscribe")
@on("event", "scan")
def no_reply(msg: Inbound, ctx: Ctx) -> None:
    """Nothing to say: the job records the unfollow or the scan."""
    return
