"""What the accounts API takes and gives: staff, named tokens, the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from bot.api.types import Answer, Body, Id, Query, Time
from rules.accounts.roles import Role

Name = Annotated[str, Field(min_length=1, max_length=40)]


class NewStaff(Body):
    name: Name
    role: Role


class StaffMember(Answer):
    id: int
    name: str
    role: Role
    has_password: bool
    wechat_bound: bool
    locked_until: Time | None
    disabled_at: Time | None
    signed_in_at: Time | None
    created_at: Time


class StaffAdded(StaffMember):
    sign_in_link: str = Field(description="one-time: the new staff member sets their password there")


class StaffList(Answer):
    items: list[StaffMember]


class NewToken(Body):
    name: Name
    role: Role = Role.OWNER


class Token(Answer):
    id: int
    name: str
    role: Role
    hint: str = Field(description="the token's last characters")
    created_at: Time
    last_used_at: Time | None
    revoked_at: Time | None


class TokenIssued(Token):
    token: str = Field(description="shown once: only its hash is kept")


class Tokens(Answer):
    items: list[Token]


class AuditQuery(Query):
    actor: Annotated[str, Field(max_length=60)] | None = None
    action: Annotated[str, Field(max_length=60)] | None = None
    record: Annotated[str, Field(max_length=200)] | None = Field(None, description="starts with")
    before: Id | None = Field(None, description="entries older than this id (the next page's cursor)")
    limit: int = Field(50, ge=1, le=200)


class AuditEntry(Answer):
    id: int
    actor: str
    actor_kind: str
    action: str
    record: str
    before: dict[str, Any]
    after: dict[str, Any]
    address: str | None
    at: Time


class AuditPage(Answer):
    items: list[AuditEntry]
    next_before: int | None = Field(description="pass as ?before= for older entries; null at the end")
