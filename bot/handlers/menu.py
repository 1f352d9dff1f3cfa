"""Menu links. (Menu clicks are routed as the commands they stand for: see `dispatch.route_for`.)"""

from __future__ import annotations

from bot.dispatch import Ctx, on
from rules.inbound.messages import Inbound


@on("event", "view")
def opened_link(msg: Inbound, ctx: Ctx) -> None:
    """WeChat shows no reply to a menu link; the drain records the interaction."""
    return
