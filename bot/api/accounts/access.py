"""Staff and named API tokens, for the owner: list, add, revoke, rotate."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.api.accounts.schemas import (
    NewStaff,
    NewToken,
    StaffAdded,
    StaffList,
    StaffMember,
    Token,
    TokenIssued,
    Tokens,
)
from bot.api.auth import current_account
from bot.api.errors import ApiError
from bot.api.outputs import local
from bot.api.routes import operation
from bot.context import tiefen
from bot.db import read, write
from models import ApiToken, Staff, utcnow
from rules.accounts.roles import Area
from services.accounts import staff as staff_service
from services.accounts import tokens


def staff_json(s: Staff) -> StaffMember:
    return StaffMember.model_validate(
        {
            "id": s.id,
            "name": s.name,
            "role": s.role,
            "has_password": s.password_hash is not None,
            "wechat_bound": s.openid is not None,
            "locked_until": local(s.locked_until),
            "disabled_at": local(s.disabled_at),
            "signed_in_at": local(s.signed_in_at),
            "created_at": local(s.created_at),
        }
    )


def sign_in_link(code: str) -> str:
    return f"{tiefen().settings.public_base_url.rstrip('/')}/console/welcome/{code}"


@operation("GET", "/staff", tag="staff", answer=StaffList, area=Area.STAFF)
def list_staff() -> StaffList:
    """The account's staff and their roles"""
    return StaffList(
        items=read(lambda s: [staff_json(x) for x in staff_service.staff_of(s, current_account().id)])
    )


@operation(
    "POST",
    "/staff",
    area=Area.STAFF,
    tag="staff",
    answer=StaffAdded,
    status=201,
    body=NewStaff,
    invalid="invalid_staff",
)
def add_staff(body: NewStaff) -> StaffAdded:
    """Add a staff member with a role; the answer carries their one-time sign-in link"""

    def save(session: Session) -> StaffAdded:
        try:
            row, code = staff_service.add_staff(session, current_account().id, body.name, body.role, utcnow())
        except staff_service.StaffProblem as exc:
            raise ApiError(422, "invalid_staff", "the staff member does not hold", [f"name: {exc}"]) from None
        return StaffAdded(**staff_json(row).model_dump(), sign_in_link=sign_in_link(code))

    return write(save)


def token_json(t: ApiToken) -> Token:
    return Token.model_validate(
        {
            "id": t.id,
            "name": t.name,
            "role": t.role,
            "hint": t.hint,
            "created_at": local(t.created_at),
            "last_used_at": local(t.last_used_at),
            "revoked_at": local(t.revoked_at),
        }
    )


@operation("GET", "/tokens", tag="staff", answer=Tokens, area=Area.STAFF)
def list_tokens() -> Tokens:
    """The account's API tokens (names, roles, last use; never the tokens themselves)"""
    return Tokens(items=read(lambda s: [token_json(t) for t in tokens.tokens_of(s, current_account().id)]))


@operation(
    "POST",
    "/tokens",
    area=Area.STAFF,
    tag="staff",
    answer=TokenIssued,
    status=201,
    body=NewToken,
    invalid="invalid_token",
)
def create_token(body: NewToken) -> TokenIssued:
    """Create a named token with a role; every other token keeps working"""

    def save(session: Session) -> TokenIssued:
        try:
            row, token = tokens.create_token(session, current_account().id, body.name, body.role, utcnow())
        except tokens.TokenProblem as exc:
            raise ApiError(422, "invalid_token", "the token does not hold", [f"name: {exc}"]) from None
        return TokenIssued(**token_json(row).model_dump(), token=token)

    return write(save)


@operation("POST", "/tokens/<id:token_id>/revoke", area=Area.STAFF, tag="staff", answer=Token)
def revoke_token(token_id: int) -> Token:
    """Revoke a token: it stops working at once"""

    def save(session: Session) -> Token:
        row = tokens.revoke(session, current_account().id, token_id, utcnow())
        if row is None:
            raise ApiError(404, "unknown_token", f"no token {token_id}")
        return token_json(row)

    return write(save)


@operation(
    "POST", "/tokens/<id:token_id>/rotate", area=Area.STAFF, tag="staff", answer=TokenIssued, status=201
)
def rotate_token(token_id: int) -> TokenIssued:
    """Rotate a token: a new one with its name and role, the old one revoked"""

    def save(session: Session) -> TokenIssued:
        found = tokens.rotate(session, current_account().id, token_id, utcnow())
        if found is None:
            raise ApiError(404, "unknown_token", f"no token {token_id}")
        row, token = found
        return TokenIssued(**token_json(row).model_dump(), token=token)

    return write(save)
