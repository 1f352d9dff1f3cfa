"""A callback as plain data, and how the account treats each kind of message."""

from __future__ import annotations

from dataclasses import dataclass

from rules.inbound.keys import dedup_key

USER_MESSAGES = frozenset({"text", "image", "voice", "video", "shortvideo", "location", "link"})
INTERACTIONS = frozenset({"subscribe", "subscribe_scan", "scan", "click", "view"})  # events that touch


@dataclass(frozen=True)
class Inbound:
    """One parsed callback, independent of wechatpy's classes."""

    openid: str
    to_user: str
    msg_type: str
    event: str | None  # wechatpy's names: subscribe, subscribe_scan, scan, unsubscribe, click, view ...
    event_key: str | None  # scene for scans (without qrscene_), key for clicks, url for views
    content: str | None
    msg_id: int | None
    create_time: int
    xml: str
    known: bool  # False when wechatpy knows neither the message type nor the event

    @property
    def dedup_key(self) -> str:
        return dedup_key(
            self.msg_type, self.msg_id, self.openid, self.create_time, self.event, self.event_key
        )

    @property
    def is_user_message(self) -> bool:
        """A message the member sent: opens the 48-hour customer-service window."""
        return self.msg_type in USER_MESSAGES


def valid_scene(scene: str | None) -> bool:
    """WeChat's string scenes are 1–64 characters."""
    return bool(scene) and len(scene or "") <= 64


# Events the merchant API and H5 pages put in the outbox beside WeChat's callbacks (msg_type "api")
API = "api"
ORDER_PAID = "order_paid"  # event_key: the order's id
ORDER_REFUNDED = "order_refunded"  # event_key: the refund's id
REVIEW_SUBMITTED = "review_submitted"  # from the H5 form; the review's source_key is the dedup key
REVIEW_APPROVED = "review_approved"  # event_key: the review's id
CHECKED_IN = "checked_in"  # the H5 签到 button; the check-in's source_key is the dedup key
CUSTOM = "custom"  # event_key: the action, "custom:<code>"
SHARED = "shared"  # a member shared an H5 page; event_key: the share's id
SHARE_READ = "share_read"  # someone read a member's share; the sharer's event, event_key: the read's id
