"""The signed token a campaign's landing link carries: which campaign, variant and member."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "tiefen-campaign"


def sign(secret_key: str, campaign_id: int, variant: str, member_id: int | None) -> str:
    """Member id None: a mass send's link, the same for everyone it reaches."""
    return str(URLSafeSerializer(secret_key, salt=SALT).dumps([campaign_id, variant, member_id]))


def read(secret_key: str, token: str) -> tuple[int, str, int | None] | None:
    try:
        campaign_id, variant, member_id = URLSafeSerializer(secret_key, salt=SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(campaign_id, int) or not isinstance(variant, str):
        return None
    return campaign_id, variant, member_id if isinstance(member_id, int) else None


def landing_url(public_base_url: str, appid: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}/h5/{appid}/c/{token}"
