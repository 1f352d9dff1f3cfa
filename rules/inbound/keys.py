"""Deterministic keys: the deduplication of WeChat deliveries."""

from __future__ import annotations

import hashlib


def dedup_key(
    msg_type: str, msg_id: int | None, openid: str, create_time: int, event: str | None, event_key: str | None
) -> str:
    """Name one delivery: `MsgId` for messages, sender+time+event+key for events.

    WeChat retries a callback three times with the same content; both forms stay the
    same across those retries and differ between two real actions.
    """
    if msg_type != "event" and msg_id is not None:
        return f"msg:{msg_id}"
    raw = f"{openid}\x1f{create_time}\x1f{event or ''}\x1f{event_key or ''}"
    return "evt:" + hashlib.sha1(raw.encode()).hexdigest()
