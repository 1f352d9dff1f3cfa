"""Handler registry keyed by WeChat's own names, the text command router, and menu clicks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import Connection

from rules.inbound import replies
from rules.inbound.menu import CLICK_COMMANDS
from rules.inbound.messages import USER_MESSAGES, Inbound
from services.accounts.registry import AccountRef
from services.points.programme import ProgrammeConfig


@dataclass(frozen=True)
class Reply:
    """What goes back in the passive reply: text, or an image already uploaded as media."""

    content: str
    media_id: str | None = None


@dataclass(frozen=True)
class Ctx:
    """What a handler may use: the request's connection, the account and its programme.

    Handlers run before the event is stored and must be idempotent: a retried delivery runs
    its handler again, then finds the stored event and gets the first reply. A handler
    registered with `atomic=True` runs in one transaction with the event's INSERT; any other
    runs on an autocommit connection, so each of its writes must be one statement.
    """

    db: Connection
    account: AccountRef
    programme_of: Callable[[int], ProgrammeConfig]

    def programme(self) -> ProgrammeConfig:
        return self.programme_of(self.account.id)


Handler = Callable[[Inbound, Ctx], Reply | None]


@dataclass(frozen=True)
class Route:
    handler: Handler
    atomic: bool = False


_HANDLERS: dict[tuple[str, str | None], Route] = {}
_COMMANDS: list[tuple[re.Pattern[str], Route]] = []


def on(msg_type: str, event: str | None = None, atomic: bool = False) -> Callable[[Handler], Handler]:
    """Register the one handler for a message type (and event); a second one fails at import."""

    def register(fn: Handler) -> Handler:
        key = (msg_type, event)
        if key in _HANDLERS:
            raise RuntimeError(f"two handlers for {key}: {_HANDLERS[key].handler.__name__}, {fn.__name__}")
        _HANDLERS[key] = Route(fn, atomic)
        return fn

    return register


def command(pattern: str, atomic: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler for text messages matching `pattern` (after trimming spaces)."""
    compiled = re.compile(pattern)

    def register(fn: Handler) -> Handler:
        if any(p.pattern == pattern for p, _ in _COMMANDS):
            raise RuntimeError(f"two handlers for command {pattern!r}")
        _COMMANDS.append((compiled, Route(fn, atomic)))
        return fn

    return register


def unknown_text(msg: Inbound, ctx: Ctx) -> Reply:
    return Reply(replies.help_text())


def unhandled(msg: Inbound, ctx: Ctx) -> Reply | None:
    """Media the account does not read gets a polite answer; anything else, silence."""
    return Reply(replies.unsupported()) if msg.msg_type in USER_MESSAGES else None


UNKNOWN_TEXT, UNHANDLED = Route(unknown_text), Route(unhandled)


def route_for(msg: Inbound) -> tuple[Route, Inbound]:
    """The route for a callback; a menu click is routed as the command it stands for."""
    if msg.msg_type == "event" and msg.event == "click":
        text = CLICK_COMMANDS.get(msg.event_key or "")
        if text is None:
            return UNKNOWN_TEXT, msg
        return _command(text), replace(msg, content=text)
    if msg.msg_type == "text":
        return _command(msg.content or ""), msg
    return _HANDLERS.get((msg.msg_type, msg.event), UNHANDLED), msg


def _command(text: str) -> Route:
    text = text.strip()
    return next((route for pattern, route in _COMMANDS if pattern.search(text)), UNKNOWN_TEXT)
