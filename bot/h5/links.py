"""Signed member links: `/h5/<appid>/<page>?t=<token>`, the token naming the member for 7 days.

An H5 page never trusts an openid it did not sign: the token is the only way a URL can say who
the member is, and it carries the account too, so a link minted for one account opens nothing
of another. Replies and campaigns build links with `member_link`.

A share link is another thing: `/h5/<appid>/<page>?from=<token>`, the token naming the member
who shared it (by member id, for 30 days) and nobody who opens it. It is public (friends forward
it), so it only ever credits the sharer with a read; it never lets anyone in as them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import current_app, has_app_context
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from config import Settings
from services.accounts import AccountRef

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


def member_link(account: AccountRef, openid: str, page: str = "member", /, **params: Any) -> str:
    """The absolute URL of one of the member's pages, signed for them.

    `member_link(account, openid, "ledger", page=2)`: the first three are positional, so that a
    query parameter may be called `page` (the ledger's) too.
    """
    settings = _settings()
    token = sign_member(settings.secret_key, account.id, openid)
    query = urlencode({**{k: v for k, v in params.items() if v is not None}, "t": token})
    base = settings.public_base_url.rstrip("/")
    return f"{base}/h5/{account.appid}/{page.strip('/')}?{query}"


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


def share_link(account: AccountRef, member_id: int, page_path: str) -> str:
    """The absolute URL a member shares: the page (its path under /h5/<appid>/), signed as theirs.

    Only the path is kept: a query (a ledger page, a month) is the sharer's, not the reader's.
    """
    settings = _settings()
    token = sign_share(settings.secret_key, account.id, member_id)
    page = page_path.split("?", 1)[0].strip("/")
    base = settings.public_base_url.rstrip("/")
    return f"{base}/h5/{account.appid}/{page}?{urlencode({SHARE_PARAM: token})}"


def _settings() -> Settings:
    """The app's settings in a request; a worker's (campaigns run in RQ jobs) otherwise."""
    if has_app_context():
        settings: Settings = current_app.extensions["tiefen"].settings
        return settings
    from tasks.runtime import current

    return current().settings
