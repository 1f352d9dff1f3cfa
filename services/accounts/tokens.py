"""Named merchant API tokens, each with a role: created, listed, revoked and rotated; a new token
never voids another. Only a token's hash is kept."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Account, ApiToken
from rules.accounts.roles import Role


class TokenProblem(ValueError):
    pass


@dataclass(frozen=True)
class TokenRef:
    id: int
    account_id: int
    name: str
    role: Role


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, account_id: int, name: str, role: Role, now: datetime
) -> tuple[ApiToken, str]:
    """A new token named `name` (unique in the account); the plain token is returned once."""
    name = name.strip()
    if not 1 <= len(name) <= 40:
        raise TokenProblem("名称需 1-40 个字")
    if session.scalar(select(ApiToken.id).where(ApiToken.account_id == account_id, ApiToken.name == name)):
        raise TokenProblem(f"已有名为「{name}」的令牌")
    token = "tf_" + secrets.token_urlsafe(32)
    row = ApiToken(
        account_id=account_id,
        name=name,
        role=role,
        token_hash=hash_token(token),
        hint=token[-6:],
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row, token


def next_name(session: Session, account_id: int, base: str) -> str:
    """`base`, or `base 2`, `base 3`… whichever the account has not used."""
    taken = set(session.scalars(select(ApiToken.name).where(ApiToken.account_id == account_id)))
    n, name = 1, base
    while name in taken:
        n += 1
        name = f"{base} {n}"
    return name


def revoke(session: Session, account_id: int, token_id: int, now: datetime) -> ApiToken | None:
    row = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.account_id == account_id))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
    return row


def rotate(session: Session, account_id: int, token_id: int, now: datetime) -> tuple[ApiToken, str] | None:
    """A new token with the same name and role in place of the old one, which stops working."""
    row = revoke(session, account_id, token_id, now)
    if row is None:
        return None
    old_name, row.name = row.name, f"{row.name} (#{row.id})"[:40]
    session.flush()
    return create_token(session, account_id, old_name, Role(row.role), now)


def tokens_of(session: Session, account_id: int) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.account_id == account_id).order_by(ApiToken.id))
    )


def account_for_token(session: Session, token: str, now: datetime) -> tuple[Account, TokenRef] | None:
    """The account and token a bearer token names, unless revoked; its last use is noted."""
    found = session.execute(
        select(Account, ApiToken)
        .join(ApiToken, ApiToken.account_id == Account.id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    ).first()
    if found is None:
        return None
    account, row = found
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now  # at most a write a minute per token
    return account, TokenRef(row.id, row.account_id, row.name, Role(row.role))
