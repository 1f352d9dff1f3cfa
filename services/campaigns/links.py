"""A campaign's landing page: `/h5/<appid>/campaign/<id>/<variant>`, a member page like the others.

A customer-service message carries the member's signed link (`?t=`), so the page knows them at
once; a mass send's text carries the bare page, whose visitors WeChat's OAuth names. Either way
the open is the visitor's, and sharing the page (`?from=`) credits the sharer with the reads and
follows it brings, as on every member page.

Messages sent before this page existed carry `/h5/<appid>/c/<token>`, the token naming the
campaign, variant and member: `read` decodes it so the old link still lands on the page
(bot/h5/campaign.py), without signing anyone in: the old token never expires.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Delivery, Member
from models.upsert import table_of

SALT = "tiefen-campaign"


def page(campaign_id: int, variant: str) -> str:
    """The page's path under /h5/<appid>/: what its reads and shares are recorded as."""
    return f"campaign/{campaign_id}/{variant}"


def landing_url(
    public_base_url: str, appid: str, campaign_id: int, variant: str, member_token: str | None
) -> str:
    """The link a message carries; `member_token` (links.sign_member) names who it was sent to."""
    url = f"{public_base_url.rstrip('/')}/h5/{appid}/{page(campaign_id, variant)}"
    return f"{url}?{urlencode({'t': member_token})}" if member_token else url


def read(secret_key: str, token: str) -> tuple[int, str, int | None] | None:
    """An old link's (campaign, variant, member id or None); None when forged."""
    try:
        campaign_id, variant, member_id = URLSafeSerializer(secret_key, salt=SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(campaign_id, int) or not isinstance(variant, str):
        return None
    return campaign_id, variant, member_id if isinstance(member_id, int) else None


def sign(secret_key: str, campaign_id: int, variant: str, member_id: int | None) -> str:
    """An old-style token (tests of the old links make them)."""
    return str(URLSafeSerializer(secret_key, salt=SALT).dumps([campaign_id, variant, member_id]))


def record_open(session: Session, account_id: int, campaign_id: int, openid: str, now: datetime) -> None:
    """The member opened the campaign's page: the first open is kept on their delivery (the
    report's "opened"); a visitor the campaign did not reach has none, and nothing changes."""
    member = select(Member.id).where(Member.account_id == account_id, Member.openid == openid)
    session.execute(
        update(table_of(Delivery))
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.member_id == member.scalar_subquery(),
            Delivery.opened_at.is_(None),
        )
        .values(opened_at=now)
    )
