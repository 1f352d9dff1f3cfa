"""What the referrals API takes and gives: the bind log, channels and their codes, the referral graph."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from bot.api.types import Answer, Body, Page, Paging, Query, Time
from rules.referrals.referrals import CHANNEL_CODE

ReferralStatus = Literal["held", "review", "refused", "paid", "voided", "capped"]
ChannelKind = Literal["counter", "poster", "staff", "other"]


class ReferralQuery(Paging):
    status: ReferralStatus | None = Field(None, description="all when absent")


class Referral(Answer):
    id: int
    referrer: str
    referee: str
    scene: str
    bound_at: Time
    status: ReferralStatus
    reasons: list[str] = Field(description="self, ring, burst, no_interaction, ...")
    hold_until: Time | None
    decided_at: Time | None
    decided_by: Literal["rules", "merchant"] | None
    reward_points: int


class ReferralPage(Page[Referral]):
    pass


class NewChannel(Body):
    code: Annotated[str, Field(pattern=CHANNEL_CODE, description="in the scene: c-<code>")]
    name: Annotated[str, Field(min_length=1, max_length=60)]
    kind: ChannelKind = "other"
    tag: Annotated[str, Field(max_length=30)] | None = Field(
        None, description="put on members it brings; default: the name"
    )
    permanent: bool = True


class ChannelCode(Answer):
    scene: str
    ticket: str
    url: str | None
    image: str
    expires_at: Time | None


class Channel(Answer):
    code: str
    name: str
    kind: ChannelKind
    tag: str
    permanent: bool
    followers: int
    qrcode: ChannelCode | None


class Channels(Answer):
    items: list[Channel]


# the graph ----------------------------------------------------------------------------------------


class TreeQuery(Query):
    depth: int = Field(2, ge=1, le=5, description="levels of referrals to list")


class TopQuery(Query):
    limit: int = Field(100, ge=1, le=1000)


class Upline(Answer):
    openid: str
    following: bool
    bound_at: Time
    status: ReferralStatus
    reasons: list[str]


class ReferralNode(Upline):
    direct: int
    referrals: list[ReferralNode] = Field(description="empty past ?depth=")


class ReferralTree(Answer):
    openid: str
    upline: Upline | None
    direct: int = Field(description="referrals the member brought (refused binds not counted)")
    second_degree: int = Field(description="referrals those referrals brought")
    cascade: int = Field(description="every descendant however deep: the whole subtree")
    depth: int
    truncated: bool = Field(description="more referrals within depth than the 500 listed")
    referrals: list[ReferralNode]


class RankedReferrer(Answer):
    rank: int
    openid: str
    cascade: int = Field(description="direct + second_degree: what the ranking sorts by")
    direct: int
    second_degree: int
    paid: int
    held: int
    review: int
    voided: int
    first_bound_at: Time = Field(description="their first counted bind: earlier ranks first on a tie")


class TopReferrers(Answer):
    items: list[RankedReferrer]
    limit: int
