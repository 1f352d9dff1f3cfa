"""Menu clicks (answered as the command they stand for) and menu links."""

from __future__ import annotations

from dataclasses import replace

from bot.dispatch import Ctx, Reply, match_command, on, unknown_text
from rules.menu import CLICK_COMMANDS
from rules.messages import Inbound


@on("event", "click")
def clicked(msg: Inbound, ctx: Ctx) -> Reply | None:
    text = CLICK_COMMANDS.get(msg.event_key or "")
    if text is None:
        return unknown_text(msg, ctx)
    handler = match_command(text) or unknown_text
    return handler(replace(msg, content=text), ctx)


@on("event", "view")
def opened_link(msg: Inbound, ctx: Ctx) -> None:
    """WeChat shows no reply to a menu link; the job records the interaction."""
    return
