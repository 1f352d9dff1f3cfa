"""Who is calling: an account's own token, or the operator's ADMIN_TOKEN naming an account."""

from __future__ import annotations

import hmac

from flask import g, request

from bot.api import api
from bot.api.errors import ApiError
from bot.context import tiefen
from services.accounts.registry import AccountRef, account_for_token

PUBLIC = {"api.openapi"}  # the OpenAPI document needs no token


@api.before_request
def authenticate() -> None:
    if request.endpoint in PUBLIC:
        return
    g.account = resolve(request.headers.get("Authorization", ""), request.headers.get("X-Tiefen-Account"))


def resolve(authorization: str, appid: str | None) -> AccountRef:
    """The account a request acts for; 401 without a valid token. One merchant never sees another's."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>")
    context = tiefen()
    admin = context.settings.admin_token
    if admin and hmac.compare_digest(token.encode(), admin.encode()):
        account = context.accounts.get(appid) if appid else None
        if account is None:
            raise ApiError(
                404, "unknown_account", "the admin token needs X-Tiefen-Account: <appid> of a stored account"
            )
        return account
    with context.sessions() as session:
        account = account_for_token(session, token)
    if account is None:
        raise ApiError(401, "unauthorized", "unknown or revoked token")
    return account


def current_account() -> AccountRef:
    account: AccountRef = g.account
    return account
