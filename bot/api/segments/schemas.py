"""What the segments API gives: the funnel, RFM, stages, KOL candidates explained, and tags."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from bot.api.types import Answer, Query, Time

TagSource = Literal["rule", "channel", "manual"]


class FunnelQuery(Query):
    from_: dt.date | None = Field(None, alias="from", description="YYYY-MM-DD; 30 days ago when absent")
    to: dt.date | None = Field(None, description="YYYY-MM-DD, included; today when absent")


class FunnelStep(Answer):
    step: Literal["aware", "trial", "registered", "loyal"]
    name: str
    count: int
    conversion: float | None = Field(description="of the step before")


class Funnel(Answer):
    from_: dt.date = Field(alias="from")
    to: dt.date
    steps: list[FunnelStep]


class RfmSegment(Answer):
    segment: str
    name: str
    members: int
    monetary_fen: int


class Rfm(Answer):
    segments: list[RfmSegment]
    buyers: int
    monetary_fen: int
    top20_share: float | None = Field(description="the best-paying 20% of buyers' share")


class StageCount(Answer):
    stage: Literal["light", "sticky", "deep", "iron"]
    name: str
    members: int


class Stages(Answer):
    stages: list[StageCount]


class KolRun(Answer):
    at: Time
    full: bool
    members_scored: int
    added: list[str]
    dropped: list[str]


class ScorePart(Answer):
    part: str
    name: str
    weight: float
    count: float | None
    points: float


class SharedPage(Answer):
    page: str
    reads: int
    follows: int


class Referee(Answer):
    openid: str
    status: str
    bound_at: Time


class GoodReview(Answer):
    id: int
    rating: int
    likes: int
    text: str


class Evidence(Answer):
    shares: int
    top_shared_pages: list[SharedPage]
    referees: list[Referee]
    good_reviews: list[GoodReview]


class KolCandidate(Answer):
    rank: int
    openid: str
    score: float = Field(description="the sum of the parts' points")
    parts: list[ScorePart]
    evidence: Evidence
    evidence_count: int = Field(description="the counts of the bar's evidence parts, added up")


class BarPart(Answer):
    part: str
    name: str


class KolBar(Answer):
    min_score: float = Field(description="no candidate scores below it (programme: kol_min_score)")
    min_evidence: int = Field(description="no candidate has less evidence (programme: kol_min_evidence)")
    evidence_parts: list[BarPart] = Field(description="the parts whose counts are the evidence")


class Kol(Answer):
    bar: KolBar = Field(description="what a member's score must clear to be a candidate")
    run: KolRun | None
    candidates: list[KolCandidate]


class MemberTag(Answer):
    tag: str
    source: TagSource
    created_at: Time
    mirrored_at: Time | None = Field(description="when WeChat was last told; null: not yet")
    removed_at: Time | None = Field(description="set when removed: WeChat is told, then it goes")


class MemberTags(Answer):
    openid: str
    items: list[MemberTag]


class TagSummary(Answer):
    tag: str
    members: int = Field(description="members carrying it")
    sources: list[TagSource]
    wechat_id: int | None = Field(description="its twin among the WeChat user tags")
    pending: int = Field(description="followers WeChat has not been told of")
    mirrored: bool = Field(description="it has a twin and nothing is pending")


class Tags(Answer):
    items: list[TagSummary]
