"""One-time form tokens: a random request key, signed for one member and one purpose.

The key inside makes a double submit count once (it becomes the redemption's `request_key`,
the review's `source_key`); the signature makes the form a CSRF token: a page of another site
cannot forge one, nor replay one member's form for another member or another reward.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadData, URLSafeTimedSerializer

SALT = "tiefen-h5-form"
MAX_AGE = 24 * 3600  # a form left open longer asks for a reload
FIELD = "request_key"


def issue(secret_key: str, account_id: int, openid: str, purpose: str) -> str:
    """A fresh token for one form, e.g. purpose "redeem:12", "review", "like"."""
    payload = {"a": account_id, "o": openid, "p": purpose, "k": secrets.token_urlsafe(16)}
    return str(URLSafeTimedSerializer(secret_key, salt=SALT).dumps(payload))


def key_of(
    secret_key: str, token: str | None, account_id: int, openid: str, purpose: str, max_age: int = MAX_AGE
) -> str | None:
    """The request key of a token issued to this member for this purpose; None for anything else."""
    if not token or len(token) > 512:
        return None
    try:
        data = URLSafeTimedSerializer(secret_key, salt=SALT).loads(token, max_age=max_age)
    except BadData:
        return None
    if not isinstance(data, dict) or (data.get("a"), data.get("o"), data.get("p")) != (
        account_id,
        openid,
        purpose,
    ):
        return None
    key = data.get("k")
    return key if isinstance(key, str) and 16 <= len(key) <= 32 else None
