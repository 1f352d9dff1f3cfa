"""What the accounts API takes and gives: staff, named tokens, the audit log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from bot.api.points.schemas import Order
from bot.api.types import MAX_ID, Answer, Body, Id, Query, Time
from rules.accounts.roles import Role
from rules.points.redemptions import RedemptionStatus

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


# members, orders and redemptions: searched and listed newest first, paged by `before` --------------

Stage = Literal["light", "sticky", "deep", "iron"]
RfmSegment = Literal[
    "important_value",
    "important_develop",
    "important_keep",
    "important_retain",
    "general_value",
    "general_develop",
    "general_keep",
    "general_retain",
]
Before = Annotated[int, Field(ge=1, le=MAX_ID, description="older than this id (the next page's cursor)")]
Limit = Annotated[int, Field(ge=1, le=100)]


class MemberQuery(Query):
    q: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None,
        description="an openid, the first characters of a nickname, the first digits of a phone, a member "
        "number (会员号) or a current member code (会员码, 18 digits: an expired or forged one finds no one)",
    )
    openid: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    phone: Annotated[str, Field(pattern=r"^\d{3,20}$")] | None = Field(
        None, description="a phone number or its first digits (at least 3)"
    )
    nickname: Annotated[str, Field(min_length=1, max_length=20)] | None = Field(
        None, description="a nickname or its first characters"
    )
    tag: Annotated[str, Field(min_length=1, max_length=30)] | None = None
    stage: Stage | None = None
    tier: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(None, description="a tier code")
    rfm: RfmSegment | None = Field(None, description="an RFM segment")
    following: bool | None = None
    before: Before | None = None
    limit: Limit = 20


class MemberRow(Answer):
    id: int
    member_number: str = Field(description="会员号: the member's static number")
    openid: str
    nickname: str | None = Field(description="昵称, as the member set it")
    phone: str | None
    following: bool
    first_followed_at: Time | None
    tier: str | None = Field(description="tier code")
    stage: Stage | None = Field(description="null until the scoring job has scored them")
    rfm_segment: RfmSegment | None
    influence: float | None
    balance: int
    earned: int
    spend_fen: int


class MemberList(Answer):
    items: list[MemberRow]
    next_before: int | None = Field(description="pass as ?before= for older members; null at the end")


class ListQuery(Query):
    openid: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    before: Before | None = None
    limit: Limit = 20


class OrderList(Answer):
    items: list[Order]
    next_before: int | None = Field(description="pass as ?before= for older orders; null at the end")


class RedemptionRow(Answer):
    id: int
    openid: str
    reward_id: int
    reward_name: str
    points: int
    code: str = Field(description="shown to the shop to hand over the reward")
    status: RedemptionStatus = Field(description="waiting (待使用), used (已使用) or expired (已过期)")
    created_at: Time
    expires_at: Time | None = Field(description="when an unused code stops working; null: never")
    used_at: Time | None


class RedemptionList(Answer):
    items: list[RedemptionRow]
    next_before: int | None = Field(description="pass as ?before= for older redemptions; null at the end")


class PointsAdjustment(Body):
    """A manual points adjustment (the console's form): `key` makes a resubmitted form count once."""

    points: Annotated[int, Field(ge=-1_000_000, le=1_000_000, description="non-zero: + adds, - takes away")]
    reason: Annotated[str, Field(min_length=1, max_length=200)]
    key: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$", description="the form's one-time key")]

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0")
        return value

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()
