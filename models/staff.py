"""Who works on an account: staff with a role, named API tokens, and the audit log of changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Staff(Base):
    """A person who signs in to the console: by password (set through a one-time link) or WeChat."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("account_id", "name", name="uq_staff_account_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))  # rules.accounts.roles.Role
    password_hash: Mapped[str | None] = mapped_column(String(255))  # werkzeug's scrypt
    openid: Mapped[str | None] = mapped_column(String(64))  # bound by WeChat OAuth
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 of the link's code
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(default=0)  # wrong passwords in a row
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A named merchant API token with a role; only its hash is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("account_id", "name", name="uq_api_tokens_account_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12))  # the token's last characters, to tell them apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """One change made through the API or the console: who, what, which record, before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_account_id", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    actor: Mapped[str] = mapped_column(String(60))  # a staff member's or a token's name
    actor_kind: Mapped[str] = mapped_column(String(8))  # staff | token | admin
    action: Mapped[str] = mapped_column(String(60))  # the operation, e.g. patch_programme
    record: Mapped[str] = mapped_column(String(200))  # what it changed, e.g. /rewards/7
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
