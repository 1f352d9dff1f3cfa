"""A member's invitation (邀请): their code, the poster around it, and the poster as WeChat media.

Posters are cached in Redis per code issue (a re-issued code gets a new poster); the uploaded
media id is kept on the code until WeChat forgets it (temporary media live 3 days).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Account, Member, QrCode, Referral
from rules.points.tasks import Action
from rules.referrals.referrals import ReferralStatus
from services.points.programme import ProgrammeConfig
from services.referrals import codes as referral_codes
from services.referrals.posters import friend_offer, render_poster

MEDIA_LIFETIME = timedelta(days=3)  # WeChat keeps temporary media this long
MEDIA_MARGIN = timedelta(hours=2)  # a media id this close to its end is uploaded again
POSTER_MIN_TTL = 3600


class Cache(Protocol):
    """Where posters are kept between requests (Redis in production)."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: bytes, ex: int) -> Any: ...


QrImage = Callable[[str], bytes]  # ticket → the code's PNG, from WeChat's showqrcode


@dataclass(frozen=True)
class Poster:
    code: QrCode
    png: bytes


def friends_by_status(session: Session, member_id: int) -> dict[str, int]:
    """The friends a member brought, counted by their referral's status (refused ones are not
    friends brought: they never count)."""
    rows = session.execute(
        select(Referral.status, func.count())
        .where(Referral.referrer_id == member_id, Referral.status != ReferralStatus.REFUSED)
        .group_by(Referral.status)
    )
    return {status: int(n) for status, n in rows}


def _points(prog: ProgrammeConfig, action: Action) -> int | None:
    task = prog.tasks.get(action)
    return task.points if task is not None and task.enabled and task.points else None


def reward_line(prog: ProgrammeConfig) -> str:
    """What inviting pays, told to the member who invites (the invite page), from the programme's
    current tasks; the poster tells the friend their part (`posters.friend_offer`)."""
    referee, referrer = _points(prog, Action.REFEREE), _points(prog, Action.REFERRAL)
    parts = []
    if referee:
        parts.append(f"好友扫码关注得 {referee} 积分")
    if referrer:
        parts.append(f"你得 {referrer} 积分")
    return "，".join(parts) or "好友扫码关注，一起享会员福利"


def poster_lines(prog: ProgrammeConfig, shop: str) -> tuple[str, str]:
    """The poster's headline (the shop's name) and its gold line for the friend who scans it."""
    return shop, friend_offer(shop, _points(prog, Action.REFEREE))


def poster(
    session: Session,
    wechat: Any,
    cache: Cache,
    qr_image: QrImage,
    prog: ProgrammeConfig,
    member: Member,
    nickname: str,
    now: datetime,
) -> Poster:
    """The member's poster PNG: their code (created or renewed as needed), their name, the shop's
    name and what the friend gets. `qr_image` raises when WeChat does not give the code's image."""
    code = referral_codes.member_code(session, wechat.qrcode, prog.account_id, member.id, now)
    account = session.get(Account, prog.account_id)
    headline, line = poster_lines(prog, account.name if account else "")
    digest = hashlib.sha1(f"{nickname}|{headline}|{line}".encode()).hexdigest()[:12]
    key = f"tiefen:poster:{code.id}:{code.issue_count}:{digest}"
    cached = cache.get(key)
    if isinstance(cached, bytes):
        return Poster(code, cached)
    png = render_poster(qr_image(code.ticket or ""), nickname, headline, line)
    ttl = int((code.expires_at - now).total_seconds()) if code.expires_at else 30 * 86400
    ttl = min(ttl, int(MEDIA_LIFETIME.total_seconds()))  # ~22 KB each: kept as long as the media is
    cache.set(key, png, ex=max(ttl, POSTER_MIN_TTL))
    return Poster(code, png)


def poster_media(
    session: Session,
    wechat: Any,
    cache: Cache,
    qr_image: QrImage,
    prog: ProgrammeConfig,
    member: Member,
    nickname: str,
    now: datetime,
) -> str:
    """The poster's media id, uploaded as temporary media when there is none still usable."""
    made = poster(session, wechat, cache, qr_image, prog, member, nickname, now)
    code = made.code
    if code.media_id and code.media_expires_at and code.media_expires_at - now > MEDIA_MARGIN:
        return code.media_id
    answer = wechat.media.upload("image", ("poster.png", made.png, "image/png"))
    code.media_id = str(answer["media_id"])
    code.media_expires_at = now + MEDIA_LIFETIME
    return code.media_id


def usable_media(db: Any, account_id: int, openid: str, now: datetime) -> str | None:
    """For the reply path: the member's poster media id if one is uploaded and fresh; one query."""
    row = db.execute(
        select(QrCode.media_id, QrCode.media_expires_at)
        .join(Member, Member.id == QrCode.member_id)
        .where(Member.account_id == account_id, Member.openid == openid)
    ).first()
    if row is None or not row.media_id or row.media_expires_at is None:
        return None
    return str(row.media_id) if row.media_expires_at - now > MEDIA_MARGIN else None
