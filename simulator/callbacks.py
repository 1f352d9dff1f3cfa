"""Callback XML exactly as WeChat's server pushes it to an official account's webhook."""

from __future__ import annotations

import base64
import hashlib
import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass

FieldValue = str | int | float


class XmlFragment(str):
    """Pre-rendered XML put into a callback as is: nested elements such as MASSSENDJOBFINISH's
    CopyrightCheckResult."""


# MsgIds are unique per process and grow over time, so webhooks that dedupe on them never collide.
_MSG_IDS = itertools.count(int(time.time() * 1000) * 10_000)


def cdata(text: str) -> str:
    """Wrap text in CDATA, splitting any ']]>' it contains."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_xml(fields: Mapping[str, FieldValue]) -> str:
    """Render flat WeChat XML: strings as CDATA, numbers bare."""
    parts = (f"<{name}>{_render_value(value)}</{name}>" for name, value in fields.items())
    return "<xml>" + "".join(parts) + "</xml>"


def _render_value(value: FieldValue) -> str:
    """Render one field's value."""
    if isinstance(value, XmlFragment):
        return str(value)
    return cdata(value) if isinstance(value, str) else str(value)


def ticket_for(account_id: str, scene: str | int) -> str:
    """Return a stable, realistic-looking QR code ticket for a scene."""
    digest = hashlib.sha256(f"{account_id}:{scene}".encode()).digest()
    return "gQ" + base64.b64encode(digest * 2).decode()


def next_msg_id() -> int:
    """Return a fresh 64-bit MsgId."""
    return next(_MSG_IDS)


def _msg_id(msg_id: int | None) -> int:
    """Return the given MsgId, or a fresh one."""
    return next_msg_id() if msg_id is None else msg_id


@dataclass(frozen=True)
class Callback:
    """One plaintext callback: the XML and the fields it was rendered from."""

    xml: str
    fields: dict[str, FieldValue]

    @property
    def openid(self) -> str:
        """Return the sender's openid (FromUserName)."""
        return str(self.fields["FromUserName"])

    @property
    def msg_type(self) -> str:
        """Return the MsgType."""
        return str(self.fields["MsgType"])


class CallbackBuilder:
    """Build the callbacks WeChat sends for one official account (mixed into WeChatServer)."""

    account_id: str

    def callback(
        self, openid: str, msg_type: str, create_time: int | None = None, **fields: FieldValue
    ) -> Callback:
        """Build any callback from its MsgType and the fields that follow it."""
        header: dict[str, FieldValue] = {
            "ToUserName": self.account_id,
            "FromUserName": openid,
            "CreateTime": int(time.time()) if create_time is None else create_time,
            "MsgType": msg_type,
        }
        all_fields = {**header, **fields}
        return Callback(render_xml(all_fields), all_fields)

    def event(
        self, openid: str, event: str, *, create_time: int | None = None, **fields: FieldValue
    ) -> Callback:
        """Build an event push (MsgType event) with any extra fields."""
        return self.callback(openid, "event", create_time, Event=event, **fields)

    def subscribe(
        self,
        openid: str,
        scene: str | int | None = None,
        *,
        ticket: str | None = None,
        create_time: int | None = None,
    ) -> Callback:
        """Build a follow event; with a scene it is a follow through a parametric QR code."""
        if scene is None:
            return self.event(openid, "subscribe", create_time=create_time)
        ticket = ticket or ticket_for(self.account_id, scene)
        return self.event(
            openid, "subscribe", create_time=create_time, EventKey=f"qrscene_{scene}", Ticket=ticket
        )

    def unsubscribe(self, openid: str, *, create_time: int | None = None) -> Callback:
        """Build an unfollow event."""
        return self.event(openid, "unsubscribe", create_time=create_time)

    def scan(
        self, openid: str, scene: str | int, *, ticket: str | None = None, create_time: int | None = None
    ) -> Callback:
        """Build the event a follower scanning a parametric QR code triggers."""
        ticket = ticket or ticket_for(self.account_id, scene)
        return self.event(openid, "SCAN", create_time=create_time, EventKey=str(scene), Ticket=ticket)

    def click(self, openid: str, key: str, *, create_time: int | None = None) -> Callback:
        """Build a menu click event."""
        return self.event(openid, "CLICK", create_time=create_time, EventKey=key)

    def view(self, openid: str, url: str, *, create_time: int | None = None) -> Callback:
        """Build a menu link (view) event."""
        return self.event(openid, "VIEW", create_time=create_time, EventKey=url)

    def text(
        self, openid: str, content: str, msg_id: int | None = None, *, create_time: int | None = None
    ) -> Callback:
        """Build a text message."""
        return self.callback(openid, "text", create_time, Content=content, MsgId=_msg_id(msg_id))

    def image(
        self,
        openid: str,
        media_id: str,
        pic_url: str | None = None,
        msg_id: int | None = None,
        *,
        create_time: int | None = None,
    ) -> Callback:
        """Build an image message."""
        pic_url = pic_url or f"http://mmbiz.qpic.cn/mmbiz_jpg/{media_id}/0"
        return self.callback(
            openid, "image", create_time, PicUrl=pic_url, MediaId=media_id, MsgId=_msg_id(msg_id)
        )

    def location(
        self,
        openid: str,
        latitude: float,
        longitude: float,
        label: str = "",
        scale: int = 15,
        msg_id: int | None = None,
        *,
        create_time: int | None = None,
    ) -> Callback:
        """Build a location message (Location_X is the latitude)."""
        fields: dict[str, FieldValue] = {"Location_X": latitude, "Location_Y": longitude, "Scale": scale}
        return self.callback(openid, "location", create_time, **fields, Label=label, MsgId=_msg_id(msg_id))
