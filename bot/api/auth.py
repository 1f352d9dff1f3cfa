"""Who is calling: one of the account's named tokens, or the operator's ADMIN_TOKEN naming an account."""

from __future__ import annotations

import hmac

from flask import g, request

from bot.access import Principal, current
from bot.api import api
from bot.api.errors import ApiError
from bot.context import tiefen
from models import utcnow
from rules.accounts.roles import Role
from services.accounts import tokens
from services.accounts.audit import Actor
from services.accounts.registry import AccountRef


@api.before_request
def authenticate() -> None:
    from bot.api.routes import is_public  # the route table is built after this hook

    if is_public(request.endpoint):
        return
    g.principal = resolve(request.headers.get("Authorization", ""), request.headers.get("X-Tiefen-Account"))


def resolve(authorization: str, appid: str | None) -> Principal:
    """Who a request acts as; 401 without a valid token. One merchant never sees another's."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>")
    context = tiefen()
    address = request.remote_addr
    admin = context.settings.admin_token
    if admin and hmac.compare_digest(token.encode(), admin.encode()):
        account = context.accounts.get(appid) if appid else None
        if account is None:
            raise ApiError(
                404, "unknown_account", "the admin token needs X-Tiefen-Account: <appid> of a stored account"
            )
        return Principal(account, Role.OWNER, Actor("admin", "admin", address))
    with context.sessions.begin() as session:
        found = tokens.account_for_token(session, token, utcnow())
        if found is None:
            raise ApiError(401, "unauthorized", "unknown or revoked token")
        row, ref = found
        return Principal(AccountRef.of(row), ref.role, Actor(ref.name, "token", address))


def current_account() -> AccountRef:
    return current().account
