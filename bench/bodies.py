"""The load's request bodies: signed subscribe events and text messages, each one distinct.

Bodies come from the simulator's builders with slots for the openid and the MsgId, filled per
request: even request numbers subscribe, odd ones send text. Each request is signed with its own
nonce, as WeChat signs each callback: the webhook binds a signed query string to the first message
it carried, so one query string for every body would be refused (it is the replay it guards).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from simulator.customer import WeChatServer, sign

APPID = "wxbench"
TOKEN = "benchtoken"
TEXT_CONTENT = "你好"
OPENID_SLOT = "OPENIDSLOT"
MSGID_SLOT = "MSGIDSLOT"
_MSGID_SENTINEL = 918_273_645_546_372_819  # rendered, then swapped for MSGID_SLOT
MAX_RUN = 99  # keeps every MsgId below 2**53
MAX_WORKER = 999


@dataclass(frozen=True)
class Templates:
    """Callback XML with OPENID_SLOT (both) and MSGID_SLOT (text) to fill per request."""

    subscribe: str
    text: str


def templates(server: WeChatServer) -> Templates:
    subscribe = server.subscribe(OPENID_SLOT).xml
    text = server.text(OPENID_SLOT, TEXT_CONTENT, msg_id=_MSGID_SENTINEL).xml
    assert text.count(str(_MSGID_SENTINEL)) == 1
    return Templates(subscribe, text.replace(str(_MSGID_SENTINEL), MSGID_SLOT))


def openid(run: int, worker: int, n: int) -> str:
    """A 28-character openid unique to (run, worker, request number)."""
    return f"o{run:03d}w{worker:03d}n{n:019d}"


def msg_id(run: int, worker: int, n: int) -> int:
    return (run * 1000 + worker) * 10**10 + n


@dataclass(frozen=True)
class BodyFactory:
    """Request `n` of one worker (a connection) in run `run`: its body and its signed query."""

    templates: Templates
    run: int
    timestamp: str = field(default_factory=lambda: str(int(time.time())))  # fresh for the replay window

    def __post_init__(self) -> None:
        if not 0 < self.run <= MAX_RUN:
            raise ValueError(f"run must be 1..{MAX_RUN}")

    def query(self, worker: int, n: int) -> str:
        """`signature=…&timestamp=…&nonce=…` for this request alone (a nonce of its own)."""
        nonce = f"{self.run:02d}{worker:03d}{n:010d}"
        return urlencode(
            {"signature": sign(TOKEN, self.timestamp, nonce), "timestamp": self.timestamp, "nonce": nonce}
        )

    def body(self, worker: int, n: int) -> bytes:
        who = openid(self.run, worker, n)
        if n % 2 == 0:
            return self.templates.subscribe.replace(OPENID_SLOT, who).encode()
        xml = self.templates.text.replace(OPENID_SLOT, who)
        return xml.replace(MSGID_SLOT, str(msg_id(self.run, worker, n))).encode()


def wechat_server(base_url: str) -> WeChatServer:
    return WeChatServer(f"{base_url}/wechat", TOKEN, APPID)
