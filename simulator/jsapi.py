"""The JS-SDK's side of WeChat: jsapi_tickets (GET /cgi-bin/ticket/getticket) and the check WeChat's
client makes of a page's `wx.config` before it lets the page use a JS API.

A ticket lives `ttl` seconds (7200, as WeChat's); asking again issues another, and the earlier ones
stay good until they expire. In WeChat the phone checks `wx.config` itself; here the customer side
asks `check_config` (or POST /_sim/js-config), with the page's URL as the phone has it.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

TICKET_TTL = 7200
TICKET_TYPES = frozenset({"jsapi", "wx_card"})
INVALID_SIGNATURE = 63002  # wx.config's "invalid signature" (config:invalid signature)


def config_signature(ticket: str, noncestr: str, timestamp: str, url: str) -> str:
    """sha1 of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` (the fields sorted by name, as WeChat's
    JS-SDK documentation, appendix 1, has it); `url` is the page's without its #fragment."""
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(plain.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Ticket:
    appid: str
    kind: str
    ticket: str
    expires_at: float


class TicketBook:
    """The tickets issued to each account, behind one lock."""

    def __init__(self, ttl: int = TICKET_TTL) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._tickets: list[Ticket] = []

    def issue(self, appid: str, kind: str = "jsapi") -> Ticket:
        """A new ticket for the account; the earlier ones stay good until they expire."""
        now = time.time()
        ticket = Ticket(appid, kind, secrets.token_urlsafe(64), now + self.ttl)
        with self._lock:
            self._tickets = [t for t in self._tickets if t.expires_at > now]
            self._tickets.append(ticket)
        return ticket

    def live(self, appid: str, kind: str = "jsapi") -> list[str]:
        """The account's tickets of this kind that have not expired, oldest first."""
        now = time.time()
        with self._lock:
            return [
                t.ticket for t in self._tickets if (t.appid, t.kind) == (appid, kind) and t.expires_at > now
            ]

    def check_config(self, appid: str, url: str, timestamp: object, noncestr: str, signature: str) -> int:
        """0 when `wx.config` is signed with one of the account's live jsapi_tickets for this page's URL;
        INVALID_SIGNATURE otherwise (a wrong URL, nonce or timestamp, a stranger's or expired ticket)."""
        page = url.split("#", 1)[0]
        for ticket in self.live(appid):
            if secrets.compare_digest(config_signature(ticket, noncestr, str(timestamp), page), signature):
                return 0
        return INVALID_SIGNATURE

    def clear(self) -> None:
        with self._lock:
            self._tickets.clear()
