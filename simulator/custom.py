"""Customer-service messages (客服消息): what members did that opens the reply window, and what was sent.

WeChat lets an account send customer-service messages to a member only for a while after the member
interacted: sent a message, clicked a push-type menu button, followed, or scanned a parametric QR code.
The simulator keeps one window of `window` seconds (48 hours) after the last of them; per-action quotas
(e.g. 3 messages within a minute of a follow) are not modelled yet.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from simulator.errors import ApiError

REPLY_WINDOW = 48 * 3600
# Events that count as an interaction; every non-event message (text, image, location...) counts too.
INTERACTION_KINDS = frozenset({"message", "menu", "subscribe", "scan"})
INTERACTIVE_EVENTS = frozenset({"subscribe", "SCAN", "CLICK", "scancode_push", "scancode_waitmsg"})
# msgtype -> the media types its media_id fields may name
MEDIA_FIELDS: dict[str, dict[str, str]] = {
    "image": {"media_id": "image"},
    "voice": {"media_id": "voice"},
    "video": {"media_id": "video"},
    "music": {"thumb_media_id": "thumb"},
}
OTHER_TYPES = frozenset({"news", "mpnews", "mpnewsarticle", "msgmenu", "wxcard", "miniprogrampage"})
KNOWN_TYPES = frozenset({"text", *MEDIA_FIELDS, *OTHER_TYPES})
REQUIRED_TEXT: dict[str, tuple[str, ...]] = {
    "music": ("musicurl", "hqmusicurl"),
    "mpnews": ("media_id",),
    "mpnewsarticle": ("article_id",),
    "wxcard": ("card_id",),
    "miniprogrampage": ("appid", "pagepath", "thumb_media_id"),
}
MediaCheck = Callable[[str, str], bool]  # (media_id, media type) -> usable by this account


@dataclass(frozen=True)
class Interaction:
    """The last thing a member did that opens the reply window."""

    at: float
    kind: str  # "message", "menu", "subscribe" or "scan"


@dataclass(frozen=True)
class SentCustom:
    """One customer-service message an account sent."""

    appid: str
    touser: str
    msgtype: str
    content: dict[str, Any]
    kf_account: str | None = None
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """Return the message as a JSON-ready dict."""
        return asdict(self)


def interaction_kind(msg_type: str, event: str | None) -> str | None:
    """Return the kind of interaction a callback is, or None when it opens no window (VIEW, unsubscribe)."""
    if msg_type != "event":
        return "message"
    if event not in INTERACTIVE_EVENTS:
        return None
    return {"subscribe": "subscribe", "SCAN": "scan"}.get(event, "menu")


def check_custom(body: Any, media_ok: MediaCheck) -> tuple[str, str, dict[str, Any]]:
    """Validate a message/custom/send body's content; return (touser, msgtype, the msgtype's object).

    47001 malformed, 40008 unknown msgtype, 44004 empty text, 40007 unknown media_id,
    44003 no article, 45008 more than one article (WeChat allows one since 2018).
    Whether touser may receive it is the caller's question.
    """
    if not isinstance(body, dict):
        raise ApiError(47001)
    touser, msgtype = body.get("touser"), body.get("msgtype")
    if not isinstance(msgtype, str) or msgtype not in KNOWN_TYPES:
        raise ApiError(40008)
    content = body.get(msgtype)
    if not isinstance(content, dict):
        raise ApiError(44004 if msgtype == "text" else 47001)
    if msgtype == "text":
        if not isinstance(content.get("content"), str) or not content["content"]:
            raise ApiError(44004)
    elif msgtype == "news":
        _check_articles(content.get("articles"))
    for name, media_type in MEDIA_FIELDS.get(msgtype, {}).items():
        media_id = content.get(name)
        if not isinstance(media_id, str) or not media_ok(media_id, media_type):
            raise ApiError(40007)
    for name in REQUIRED_TEXT.get(msgtype, ()):
        if not isinstance(content.get(name), str) or not content[name]:
            raise ApiError(47001)
    return touser, msgtype, content


def _check_articles(articles: Any) -> None:
    """Check a news message's articles: one, with string (or null) fields."""
    if not isinstance(articles, list) or not articles:
        raise ApiError(44003)
    if len(articles) > 1:
        raise ApiError(45008)
    article = articles[0]
    if not isinstance(article, dict) or not all(isinstance(v, str | None) for v in article.values()):
        raise ApiError(47001)


class CustomBook:
    """Hold members' last interactions and the customer-service messages sent, behind one lock."""

    def __init__(self, window: float = REPLY_WINDOW) -> None:
        self.window = window
        self._lock = threading.Lock()
        self._last: dict[tuple[str, str], Interaction] = {}
        self._sent: list[SentCustom] = []

    def note(self, appid: str, openid: str, kind: str, at: float | None = None) -> None:
        """Record an interaction (keeping the latest when an older one arrives late)."""
        interaction = Interaction(time.time() if at is None else at, kind)
        with self._lock:
            last = self._last.get((appid, openid))
            if last is None or last.at <= interaction.at:
                self._last[(appid, openid)] = interaction

    def last(self, appid: str, openid: str) -> Interaction | None:
        """Return a member's last interaction with an account."""
        with self._lock:
            return self._last.get((appid, openid))

    def in_window(self, appid: str, openid: str) -> bool:
        """Tell whether the account may still send a member customer-service messages."""
        last = self.last(appid, openid)
        return last is not None and time.time() < last.at + self.window

    def record(
        self, appid: str, touser: str, msgtype: str, content: dict[str, Any], kf_account: str | None = None
    ) -> SentCustom:
        """Log a sent message and return it."""
        sent = SentCustom(appid, touser, msgtype, copy.deepcopy(content), kf_account)
        with self._lock:
            self._sent.append(sent)
        return sent

    def sent(self, appid: str | None = None, touser: str | None = None) -> list[SentCustom]:
        """Return the sent messages, optionally only one account's and/or one member's."""
        with self._lock:
            return [
                m
                for m in self._sent
                if (appid is None or m.appid == appid) and (touser is None or m.touser == touser)
            ]

    def clear(self) -> None:
        """Forget interactions and sent messages."""
        with self._lock:
            self._last.clear()
            self._sent.clear()
