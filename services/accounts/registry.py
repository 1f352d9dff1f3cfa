"""Official accounts: add them, find them, keep the environment's account in the table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Account, utcnow
from models.upsert import upsert
from rules.accounts.roles import Role
from rules.inbound.modes import MessageMode, default_mode, mode_problem
from services.accounts import tokens
from services.points import programme


class InvalidAccount(ValueError):
    """An account definition WeChat would not accept."""


@dataclass(frozen=True)
class AccountRef:
    """What request handling needs of an account, detached from any session."""

    id: int
    appid: str
    name: str
    token: str
    aes_key: str | None
    secret: str | None
    timezone: str
    welcome_text: str | None
    message_mode: MessageMode = MessageMode.PLAINTEXT

    @classmethod
    def of(cls, a: Account) -> AccountRef:
        mode = MessageMode(a.message_mode)
        return cls(a.id, a.appid, a.name, a.token, a.aes_key, a.secret, a.timezone, a.welcome_text, mode)


def validate(
    appid: str, token: str, aes_key: str | None, timezone: str, mode: MessageMode | None = None
) -> None:
    if not appid or len(appid) > 64:
        raise InvalidAccount("appid must be 1–64 characters")
    if not (3 <= len(token) <= 32 and token.isalnum()):
        raise InvalidAccount("token must be 3–32 letters or digits (WeChat's rule)")
    if aes_key is not None and (len(aes_key) != 43 or not aes_key.isalnum()):
        raise InvalidAccount("EncodingAESKey must be 43 letters or digits")
    problem = mode_problem(mode, aes_key) if mode is not None else None
    if problem:
        raise InvalidAccount(problem)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidAccount(f"unknown time zone {timezone!r}") from None


def save_account(
    session: Session,
    appid: str,
    name: str,
    token: str,
    aes_key: str | None = None,
    secret: str | None = None,
    timezone: str = "Asia/Shanghai",
    welcome_text: str | None = None,
    mode: MessageMode | None = None,
) -> tuple[AccountRef, bool]:
    """Store an account, or update the one with this appid. Returns (account, created).
    Without a mode, an account with an EncodingAESKey is in safe mode, one without in plaintext."""
    mode = mode or default_mode(aes_key)
    validate(appid, token, aes_key, timezone, mode)
    account = session.scalar(select(Account).where(Account.appid == appid))
    created = account is None
    if account is None:
        account = Account(appid=appid)
        session.add(account)
    account.name, account.token, account.aes_key = name, token, aes_key
    account.secret, account.timezone, account.message_mode = secret, timezone, mode.value
    if welcome_text is not None:
        account.welcome_text = welcome_text
    session.flush()
    programme.ensure_defaults(session, account.id)
    return AccountRef.of(account), created


def appid_by_id(session: Session, account_id: int) -> str | None:
    return session.scalar(select(Account.appid).where(Account.id == account_id))


def find_account(session: Session, appid: str) -> AccountRef | None:
    account = session.scalar(select(Account).where(Account.appid == appid))
    return AccountRef.of(account) if account else None


def list_accounts(session: Session) -> list[AccountRef]:
    return [AccountRef.of(a) for a in session.scalars(select(Account).order_by(Account.id))]


def sync_account(
    session: Session,
    appid: str,
    token: str,
    aes_key: str | None,
    secret: str | None,
    name: str,
    timezone: str,
    mode: MessageMode | None = None,
) -> AccountRef:
    """Make the stored account match configured credentials; name and zone only set on insert.

    One statement, so web processes starting together cannot both insert it.
    """
    mode = mode or default_mode(aes_key)
    validate(appid, token, aes_key, timezone, mode)
    stmt = upsert(session, Account).values(
        appid=appid,
        token=token,
        aes_key=aes_key,
        message_mode=mode.value,
        secret=secret,
        name=name,
        timezone=timezone,
        created_at=utcnow(),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[Account.appid],
        set_={
            "token": stmt.excluded.token,
            "aes_key": stmt.excluded.aes_key,
            "message_mode": stmt.excluded.message_mode,
            "secret": stmt.excluded.secret,
        },
    ).returning(*Account.__table__.c)
    row = session.execute(stmt).mappings().one()
    programme.ensure_defaults(session, row["id"])
    fields = {f: row[f] for f in AccountRef.__dataclass_fields__}
    return AccountRef(**{**fields, "message_mode": MessageMode(row["message_mode"])})


def issue_api_token(
    session: Session, appid: str, name: str = "API", role: Role = Role.OWNER, now: datetime | None = None
) -> str:
    """A new named merchant API token for the account; every other token keeps working."""
    account = session.scalar(select(Account).where(Account.appid == appid))
    if account is None:
        raise LookupError(appid)
    at = now or utcnow()
    _, token = tokens.create_token(session, account.id, tokens.next_name(session, account.id, name), role, at)
    return token
