"""Handler registry keyed by WeChat's own names, plus the text command router."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from rules import replies
from rules.messages import USER_MESSAGES, Inbound
from services.accounts import AccountRef


@dataclass(frozen=True)
class Reply:
    """What goes back in the passive reply; only text for now."""

    content: str


@dataclass(frozen=True)
class Ctx:
    """What a handler may use: the request's connection (autocommit) and the account.

    Handlers run before the event is stored and must be idempotent: a retried delivery runs
    its handler again, then finds the stored event and gets the first reply. Their writes are
    keyed so that running twice changes nothing (see `members.follow`), and each is atomic
    on its own (one statement), since the connection commits every statement.
    """

    db: Connection
    account: AccountRef


Handler = Callable[[Inbound, Ctx], Reply | None]
_HANDLERS: dict[tuple[str, str | None], Handler] = {}
_COMMANDS: list[tuple[re.Pattern[str], Handler]] = []


def on(msg_type: str, event: str | None = None) -> Callable[[Handler], Handler]:
    """Register the one handler for a message type (and event); a second one fails at import."""

    def register(fn: Handler) -> Handler:
        key = (msg_type, event)
        if key in _HANDLERS:
            raise RuntimeError(f"two handlers for {key}: {_HANDLERS[key].__name__}, {fn.__name__}")
        _HANDLERS[key] = fn
        return fn

    return register


def command(pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler for text messages matching `pattern` (after trimming spaces)."""
    compiled = re.compile(pattern)

    def register(fn: Handler) -> Handler:
        if any(p.pattern == pattern for p, _ in _COMMANDS):
            raise RuntimeError(f"two handlers for command {pattern!r}")
        _COMMANDS.append((compiled, fn))
        return fn

    return register


def match_command(text: str) -> Handler | None:
    text = text.strip()
    return next((fn for pattern, fn in _COMMANDS if pattern.search(text)), None)


def reply_for(msg: Inbound, ctx: Ctx) -> Reply | None:
    """Find the handler for this callback and run it; unknown types get no reply (`success`)."""
    if msg.msg_type == "text":
        handler = match_command(msg.content or "") or unknown_text
    else:
        handler = _HANDLERS.get((msg.msg_type, msg.event), unhandled)
    return handler(msg, ctx)


def unknown_text(msg: Inbound, ctx: Ctx) -> Reply:
    return Reply(replies.help_text())


def unhandled(msg: Inbound, ctx: Ctx) -> Reply | None:
    """Media the account does not read gets a polite answer; anything else, silence."""
    return Reply(replies.unsupported()) if msg.msg_type in USER_MESSAGES else None
