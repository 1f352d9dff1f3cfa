"""Signed member tokens: who a link names (`?t=`, 7 days) and who shared it (`?from=`, 30 days).

Plain functions over the secret key, so workers (campaign messages) sign the same links the
H5 pages read; bot/h5/links.py builds the URLs.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

SALT = "tiefen-h5-member"
MAX_AGE = 7 * 24 * 3600  # seconds a link keeps working
SHARE_SALT = "tiefen-h5-share"
SHARE_MAX_AGE = 30 * 24 * 3600  # seconds a shared link keeps crediting its sharer
SHARE_PARAM = "from"


class _SignedAt(TimestampSigner):
    """A signer whose clock is fixed: links minted for another moment (expiry tests)."""

    def __init__(self, *args: Any, issued_at: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.issued_at = issued_at

    def get_timestamp(self) -> int:
        return self.issued_at


def _serializer(secret_key: str, issued_at: int | None = None, salt: str = SALT) -> URLSafeTimedSerializer:
    if issued_at is None:
        return URLSafeTimedSerializer(secret_key, salt=salt)
    return URLSafeTimedSerializer(
        secret_key, salt=salt, signer=_SignedAt, signer_kwargs={"issued_at": issued_at}
    )


def sign_member(secret_key: str, account_id: int, openid: str, issued_at: int | None = None) -> str:
    """A token naming this member of this account, valid MAX_AGE seconds from `issued_at` (now)."""
    return str(_serializer(secret_key, issued_at).dumps({"a": account_id, "o": openid}))


def read_member(secret_key: str, token: str, account_id: int, max_age: int = MAX_AGE) -> str | None:
    """The openid a token names for this account; None when forged, tampered, expired or another's."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("a") != account_id:
        return None
    openid = data.get("o")
    return openid if isinstance(openid, str) and 0 < len(openid) <= 64 else None


def sign_share(secret_key: str, account_id: int, member_id: int, issued_at: int | None = None) -> str:
    """A `from` token: this member of this account shared the link, SHARE_MAX_AGE from `issued_at`."""
    return str(_serializer(secret_key, issued_at, SHARE_SALT).dumps([account_id, member_id]))


def read_share(
    secret_key: str, token: str | None, account_id: int, max_age: int = SHARE_MAX_AGE
) -> int | None:
    """The sharer's member id; None when forged, tampered, expired, another account's or a member link."""
    if not token or len(token) > 200:
        return None
    try:
        data = _serializer(secret_key, salt=SHARE_SALT).loads(token, max_age=max_age)
    except BadData:
        return None
    if not isinstance(data, list) or len(data) != 2 or data[0] != account_id:
        return None
    member_id = data[1]
    return member_id if type(member_id) is int and member_id > 0 else None
