"""Members' and channels' parametric QR codes: created lazily through the WeChat API, re-issued
before they expire, and counted against the account's permanent-code cap."""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Channel, Member, QrCode
from models.upsert import upsert
from rules.referrals.referrals import (
    PERMANENT_CAP,
    TEMPORARY_SECONDS,
    channel_scene,
    member_scene,
    needs_issue,
    valid_channel_code,
)

SALT_ALPHABET = string.ascii_lowercase + string.digits
CHANNEL_KINDS = ("counter", "poster", "staff", "other")


class QrApi(Protocol):
    """The part of wechatpy's `WeChatClient.qrcode` used here."""

    def create(self, qrcode_data: dict[str, Any]) -> dict[str, Any]: ...


class ChannelProblem(ValueError):
    pass


class PermanentCapReached(RuntimeError):
    """The account holds WeChat's maximum of permanent codes."""


def member_code(session: Session, qrcode: QrApi, account_id: int, member_id: int, now: datetime) -> QrCode:
    """The member's code, created on first ask and re-issued (same scene) when it nears expiry.

    The row is locked while the WeChat API is asked, so two requests never issue two tickets.
    """
    salt = "".join(secrets.choice(SALT_ALPHABET) for _ in range(6))
    session.execute(
        upsert(session, QrCode)
        .values(
            account_id=account_id, member_id=member_id, scene=member_scene(member_id, salt), permanent=False
        )
        .on_conflict_do_nothing(index_elements=[QrCode.member_id])
    )
    code = session.scalars(select(QrCode).where(QrCode.member_id == member_id).with_for_update()).one()
    if needs_issue(code.ticket, code.expires_at, code.permanent, now):
        _issue(qrcode, code, now)
    return code


def channel_code(session: Session, qrcode: QrApi, channel: Channel, now: datetime) -> QrCode:
    """A channel's code: permanent when the channel asks for it and the account's cap allows."""
    session.execute(
        upsert(session, QrCode)
        .values(
            account_id=channel.account_id,
            channel_id=channel.id,
            scene=channel_scene(channel.code),
            permanent=channel.permanent,
        )
        .on_conflict_do_nothing(index_elements=[QrCode.channel_id])
    )
    code = session.scalars(select(QrCode).where(QrCode.channel_id == channel.id).with_for_update()).one()
    if (
        code.permanent
        and code.ticket is None
        and permanent_count(session, channel.account_id) >= PERMANENT_CAP
    ):
        raise PermanentCapReached(f"the account already holds {PERMANENT_CAP} permanent codes")
    if needs_issue(code.ticket, code.expires_at, code.permanent, now):
        _issue(qrcode, code, now)
    return code


def permanent_count(session: Session, account_id: int) -> int:
    """Permanent codes the account holds (issued ones: WeChat counts what it created)."""
    stmt = select(func.count()).where(
        QrCode.account_id == account_id, QrCode.permanent.is_(True), QrCode.ticket.is_not(None)
    )
    return int(session.scalar(stmt) or 0)


def _issue(qrcode: QrApi, code: QrCode, now: datetime) -> None:
    if code.permanent:
        body: dict[str, Any] = {"action_name": "QR_LIMIT_STR_SCENE"}
    else:
        body = {"action_name": "QR_STR_SCENE", "expire_seconds": TEMPORARY_SECONDS}
    body["action_info"] = {"scene": {"scene_str": code.scene}}
    answer = qrcode.create(body)
    code.ticket = str(answer["ticket"])
    code.url = answer.get("url")
    seconds = answer.get("expire_seconds")
    code.expires_at = None if code.permanent else now + timedelta(seconds=int(seconds or TEMPORARY_SECONDS))
    code.issued_at = now
    code.issue_count += 1
    code.media_id = None  # the poster shows the old ticket's image: make it again
    code.media_expires_at = None


def create_channel(
    session: Session,
    account_id: int,
    code: str,
    name: str,
    kind: str = "other",
    tag: str | None = None,
    permanent: bool = True,
) -> Channel:
    """A new channel, checked: its code goes in a scene, its tag on the members it brings."""
    problems = []
    if not valid_channel_code(code):
        problems.append("code must be 1-61 characters: lower-case letters, digits, - and _")
    if not name or len(name) > 60:
        problems.append("name must be 1-60 characters")
    if kind not in CHANNEL_KINDS:
        problems.append(f"kind must be one of {', '.join(CHANNEL_KINDS)}")
    tag = tag or name
    if len(tag) > 30:
        problems.append("tag must be at most 30 characters")
    if problems:
        raise ChannelProblem("; ".join(problems))
    if session.scalar(select(Channel.id).where(Channel.account_id == account_id, Channel.code == code)):
        raise ChannelProblem(f"channel {code!r} exists")
    channel = Channel(account_id=account_id, code=code, name=name, kind=kind, tag=tag, permanent=permanent)
    session.add(channel)
    session.flush()
    return channel


def channels_of(session: Session, account_id: int) -> list[tuple[Channel, QrCode | None, int]]:
    """Every channel of the account with its code and how many followers it brought."""
    brought = dict(
        (r.channel_id, r.n)
        for r in session.execute(
            select(Member.channel_id, func.count().label("n"))
            .where(Member.account_id == account_id, Member.channel_id.is_not(None))
            .group_by(Member.channel_id)
        )
    )
    rows = session.execute(
        select(Channel, QrCode)
        .outerjoin(QrCode, QrCode.channel_id == Channel.id)
        .where(Channel.account_id == account_id)
        .order_by(Channel.id)
    )
    return [(c, q, brought.get(c.id, 0)) for c, q in rows]
