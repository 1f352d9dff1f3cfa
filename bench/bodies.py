"""The load's request bodies: signed subscribe events and text messages, each one distinct.

Bodies come from the simulator's builders with slots for the openid and the MsgId; the
Python generator and the wrk script (`webhook.lua`) fill them with the same formulas, so
both send identical traffic: even request numbers subscribe, odd ones send text.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from simulator.customer import WeChatServer

APPID = "wxbench"
TOKEN = "benchtoken"
TEXT_CONTENT = "你好"
OPENID_SLOT = "OPENIDSLOT"
MSGID_SLOT = "MSGIDSLOT"
_MSGID_SENTINEL = 918_273_645_546_372_819  # rendered, then swapped for MSGID_SLOT
MAX_RUN = 99  # keeps every MsgId below 2**53, exact in wrk's Lua numbers
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


def signed_path(server: WeChatServer) -> str:
    """`/wechat?signature=…&timestamp=now&nonce=…`: valid for every body for the replay window."""
    return "/wechat?" + urlencode(server.sign_params())


def openid(run: int, worker: int, n: int) -> str:
    """A 28-character openid unique to (run, worker, request number)."""
    return f"o{run:03d}w{worker:03d}n{n:019d}"


def msg_id(run: int, worker: int, n: int) -> int:
    return (run * 1000 + worker) * 10**10 + n


@dataclass(frozen=True)
class BodyFactory:
    """Request `n` of one worker (a wrk thread or a Python connection) in run `run`."""

    templates: Templates
    run: int

    def __post_init__(self) -> None:
        if not 0 < self.run <= MAX_RUN:
            raise ValueError(f"run must be 1..{MAX_RUN}")

    def body(self, worker: int, n: int) -> bytes:
        who = openid(self.run, worker, n)
        if n % 2 == 0:
            return self.templates.subscribe.replace(OPENID_SLOT, who).encode()
        xml = self.templates.text.replace(OPENID_SLOT, who)
        return xml.replace(MSGID_SLOT, str(msg_id(self.run, worker, n))).encode()


def wechat_server(base_url: str) -> WeChatServer:
    return WeChatServer(f"{base_url}/wechat", TOKEN, APPID)
