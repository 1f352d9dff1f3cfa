"""What the campaigns API takes and gives: campaigns (audience, variants, schedule), their preview,
dry run and report, and triggered journeys."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from bot.api.types import Answer, Body, Changes, Id, Page, Paging, Time, kept
from rules.campaigns import journeys, variants

Name = Annotated[str, Field(min_length=1, max_length=60)]
Strings = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1, max_length=100)
]
Days = Annotated[int, Field(ge=1, le=3650)]
Minute = Annotated[int, Field(ge=0, le=1439, description="minutes after midnight")]
Title = Annotated[str, Field(min_length=1, max_length=variants.TITLE_MAX)]
Summary = Annotated[str, Field(min_length=1, max_length=variants.SUMMARY_MAX)]
CoverImage = Annotated[
    Id, Field(description="an image of the account (uploaded in the console), served at /media/…")
]
# the rules' values, spelled out for the type checker (tests/api/test_openapi.py keeps them equal)
Stage = Literal["light", "sticky", "deep", "iron"]
Segment = Literal[
    "important_value",
    "important_develop",
    "important_keep",
    "important_retain",
    "general_value",
    "general_develop",
    "general_keep",
    "general_retain",
]


class Audience(Body):
    """A segment: every key given must hold (AND); a list matches any of its values (OR)."""

    tiers: Strings = kept("tier codes")
    stages: Annotated[list[Stage], Field(min_length=1, max_length=4)] = kept()
    rfm_segments: Annotated[list[Segment], Field(min_length=1, max_length=8)] = kept("RFM segment codes")
    tags: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=30)]], Field(min_length=1, max_length=100)
    ] = kept("tag names (any of them)")
    kol: Literal[True] = kept("KOL candidates only")
    points_min: Annotated[int, Field(ge=0, le=2_147_483_647)] = kept("balance at least")
    points_max: Annotated[int, Field(ge=0, le=2_147_483_647)] = kept("balance at most")
    active_within_days: Days = kept("did something within this many days")
    inactive_for_days: Days = kept("did nothing for this many days")
    channels: Strings = kept("channel codes they came through")
    followed_since: Time = kept("first followed at or after")

    def spec(self) -> dict[str, object]:
        """As the campaign stores it: the keys given, times as ISO 8601."""
        return self.model_dump(mode="json", exclude_unset=True)


class Variant(Body):
    code: Annotated[str, Field(pattern=variants.VARIANT_CODE, description="in the landing page URL")]
    split: Annotated[int, Field(ge=1, le=100, description="percent; all add up to 100")]
    title: Title
    summary: Summary


Variants = Annotated[list[Variant], Field(min_length=1, max_length=variants.MAX_VARIANTS)]


class NewCampaign(Body):
    name: Name
    audience: Audience = Field(default_factory=Audience)
    variants: Variants
    page: Literal["campaign"] = "campaign"
    send_at: Time | None = None
    recurring: Annotated[str, Field(max_length=40)] | None = Field(
        None,
        description="a cron expression in the account's time zone, firing at most hourly: each firing "
        "sends a copy of the campaign (an occurrence)",
    )
    quiet_start: Minute = 22 * 60
    quiet_end: Minute = 8 * 60
    cover_image_id: CoverImage | None = None

    @model_validator(mode="after")
    def _together(self) -> Self:
        problems = variants.variant_set_problems(
            [v.code for v in self.variants], [v.split for v in self.variants]
        )
        if self.send_at is not None and self.recurring is not None:
            problems.append(
                "send_at and recurring exclude each other: a recurring campaign sends when it fires"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def values(self) -> dict[str, object]:
        """As the campaigns service takes it."""
        out = self.model_dump(exclude={"audience", "variants"})
        out["audience"] = self.audience.spec()
        out["variants"] = [v.model_dump(exclude_unset=True) for v in self.variants]
        return out


class VariantOut(Answer):
    code: str
    split: int
    title: str
    summary: str


class Campaign(Answer):
    id: int
    name: str
    status: str
    audience: dict[str, object]
    variants: list[VariantOut]
    page: str
    send_at: Time | None
    recurring: str | None
    parent_id: int | None = Field(description="an occurrence's recurring campaign")
    occurs_at: Time | None
    quiet_hours: tuple[int, int] = Field(description="[start, end] minutes")
    created_at: Time
    cover_image_id: int | None
    cover_image_url: str | None = Field(description="the cover on this server's public address, if any")


class ByChannel(Answer):
    kf: int
    mass: int


class CampaignPreview(Answer):
    audience: int
    reachable: int
    by_channel: ByChannel
    held: dict[str, int] = Field(description="reason: members")
    by_variant: dict[str, int]


class DryRunRow(Answer):
    openid: str
    variant: str
    channel: str | None
    held: str | None


class CampaignDryRun(Answer):
    items: list[DryRunRow]
    page: int
    per_page: int


class VariantReport(Answer):
    targeted: int
    sent: dict[str, int] = Field(description="by channel")
    held: dict[str, int] = Field(description="by reason")
    failed: dict[str, int] = Field(description="by WeChat code")
    pending: int
    delivered: int = Field(
        description="customer-service messages WeChat accepted plus the SentCount of finished mass sends"
    )
    opened: int
    shares: int = Field(description="shares of the variant's landing page")
    sharers: int
    share_reads: int = Field(description="reads through those shares")
    follows: int = Field(description="readers of a share who followed after")
    cost_points: int = Field(description="share and share_read points paid")
    orders: int = Field(description="within attribution_days of the message")
    revenue_fen: int


class Occurrence(Answer):
    id: int
    occurs_at: Time
    status: str


class CampaignReport(Answer):
    campaign: int
    status: str
    attribution_days: int
    variants: dict[str, VariantReport]
    occurrences: list[Occurrence] = Field(
        default_factory=list, description="a recurring campaign's latest 100 occurrences, newest first"
    )


# journeys -------------------------------------------------------------------------------------------------

Trigger = Literal["follow", "first_checkin", "streak_at_risk", "inactive", "tier_up", "became_kol"]


class NewJourney(Body):
    name: Name
    trigger: Trigger
    trigger_days: Annotated[int, Field(ge=1, le=journeys.MAX_TRIGGER_DAYS)] | None = None
    delay_minutes: Annotated[int, Field(ge=0, le=journeys.MAX_DELAY_MINUTES)] = 0
    title: Title
    summary: Summary
    cover_image_id: CoverImage | None = None
    reward_id: Id | None = Field(
        None, description="an enabled reward of the account, granted (0 points) to each member reached"
    )
    audience: Audience = Field(default_factory=Audience)

    @model_validator(mode="after")
    def _together(self) -> Self:
        problems = journeys.trigger_problems(self.trigger, self.trigger_days)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def values(self) -> dict[str, object]:
        return self.model_dump(exclude={"audience"}) | {"audience": self.audience.spec()}


class JourneySwitch(Changes):
    """What to change of a journey; the fields not sent keep their value."""

    enabled: bool = kept("false stops it (what is sent stays sent); true starts it again")
    reward_id: Id | None = kept("an enabled reward of the account to grant from now on; null: none")


class Journey(Answer):
    id: int
    name: str
    trigger: Trigger
    trigger_days: int | None
    delay_minutes: int
    title: str
    summary: str
    audience: dict[str, object]
    enabled: bool
    sent: int
    created_at: Time
    cover_image_id: int | None
    cover_image_url: str | None = Field(description="the cover on this server's public address, if any")
    reward_id: int | None
    grants: dict[str, int] = Field(description="members reached by outcome: granted, out_of_stock, withdrawn")


class Journeys(Answer):
    items: list[Journey]


class DryRunQuery(Paging):
    pass


# the list ------------------------------------------------------------------------------------------

CampaignStatus = Literal["draft", "scheduled", "sending", "paused", "done", "cancelled", "recurring"]


class CampaignQuery(Paging):
    status: CampaignStatus | None = Field(None, description="all when absent")


class CampaignPage(Page[Campaign]):
    pass
