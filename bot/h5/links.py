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

from flask import has_app_context

from bot.context import tiefen
from config import Settings
from services.accounts.member_tokens import (
    MAX_AGE,
    SHARE_MAX_AGE,
    SHARE_PARAM,
    read_member,
    read_share,
    sign_member,
    sign_share,
)
from services.accounts.registry import AccountRef

__all__ = [  # the tokens are re-exported: pages and tests use links.read_member etc.
    "MAX_AGE",
    "SHARE_MAX_AGE",
    "SHARE_PARAM",
    "member_link",
    "read_member",
    "read_share",
    "share_link",
    "sign_member",
    "sign_share",
]


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
        return tiefen().settings
    from tasks.runtime import current

    return current().settings
