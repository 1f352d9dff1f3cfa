"""What the points API takes and gives: tasks, programme settings, tiers, rewards, reviews, orders,
custom events, members and their ledger. Limits come from `rules/`; a rule over several fields is a
pure function there, called from a validator here."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from bot.api.outputs import local
from bot.api.types import Answer, Body, Changes, Fen, Page, Paging, Time, Whole, exactly_one, kept
from models import LedgerEntry as LedgerRow
from models import Order as OrderRow
from models import OrderRefund, PointTaskRow, TierRow
from models import Programme as ProgrammeRow
from models import Review as ReviewRow
from models import Reward as RewardRow
from rules.points import checkins, tiers
from rules.points.lots import ExpiryMode
from rules.points.orders import BUYER_FIELDS, MAX_AMOUNT_FEN, ORDER_NO, buyer_problems
from rules.points.redemptions import MAX_VALID_DAYS, RedemptionStatus
from rules.points.tasks import CUSTOM_ACTION, MAX_TASK_POINTS
from rules.referrals.referrals import MAX_LADDER, MAX_LADDER_POINTS
from rules.segments.scoring import MAX_KOL_MIN_EVIDENCE, MAX_WEIGHT, weight_problems, weights_of

Name = Annotated[str, Field(min_length=1, max_length=60)]
ValidDays = Annotated[int, Field(ge=1, le=MAX_VALID_DAYS)]
VALIDITY = "days a redemption's code is good; null: no expiry"
Cap = Annotated[int, Field(ge=1, le=2_147_483_647)]

# point tasks ---------------------------------------------------------------------------------------


class PointTaskChanges(Changes):
    """The fields of a point task to set; those not sent keep their value."""

    name: Name = kept()
    points: Annotated[int, Field(ge=0, le=MAX_TASK_POINTS)] = kept()
    per_yuan: Annotated[int, Field(ge=1, le=1000)] | None = kept()
    daily_cap: Cap | None = kept()
    weekly_cap: Cap | None = kept()
    lifetime_cap: Cap | None = kept()
    first_time_only: bool = kept()
    starts_at: Time | None = kept()
    ends_at: Time | None = kept()
    target_tiers: Annotated[list[str], Field(max_length=tiers.MAX_TIERS)] = kept(
        "tier codes; empty: every tier"
    )
    enabled: bool = kept()
    hold_days: Annotated[int, Field(ge=0, le=365)] = kept()
    min_length: Annotated[int, Field(ge=0, le=500)] = kept()
    min_rating: Annotated[int, Field(ge=1, le=5)] = kept()


class PointTask(Answer):
    action: str
    name: str
    points: int
    per_yuan: int | None
    daily_cap: int | None
    weekly_cap: int | None
    lifetime_cap: int | None
    first_time_only: bool
    starts_at: Time | None
    ends_at: Time | None
    target_tiers: list[str]
    enabled: bool
    hold_days: int
    min_length: int
    min_rating: int

    @classmethod
    def of(cls, row: PointTaskRow) -> PointTask:
        values = {name: getattr(row, name) for name in cls.model_fields if name != "target_tiers"}
        values["starts_at"], values["ends_at"] = local(row.starts_at), local(row.ends_at)
        return cls(**values, target_tiers=sorted(row.target_tiers or []))


class PointTaskPage(Page[PointTask]):
    pass


# programme settings --------------------------------------------------------------------------------

Pair = tuple[int, int]


def _bonuses(pairs: list[Pair]) -> list[Pair]:
    lo, hi = checkins.BONUS_DAYS
    bad = [
        f"days must be {lo}-{hi} and points 1-{checkins.MAX_BONUS_POINTS}"
        for d, p in pairs
        if not (lo <= d <= hi and 1 <= p <= checkins.MAX_BONUS_POINTS)
    ]
    bad += checkins.repeated_firsts(pairs, "a streak of")
    if bad:
        raise ValueError("; ".join(sorted(set(bad))))
    return pairs


def _ladder(pairs: list[Pair]) -> list[Pair]:
    bad = [
        f"nth and points must be 1-{MAX_LADDER_POINTS}"
        for n, p in pairs
        if not (1 <= n <= MAX_LADDER_POINTS and 1 <= p <= MAX_LADDER_POINTS)
    ]
    bad += checkins.repeated_firsts(pairs, "friend")
    if bad:
        raise ValueError("; ".join(sorted(set(bad))))
    return pairs


def _burst(pair: Pair) -> Pair:
    if not (2 <= pair[0] <= 10_000 and 1 <= pair[1] <= 1440):
        raise ValueError("binds must be 2-10000 within 1-1440 minutes")
    return pair


def _weights(weights: dict[str, float]) -> dict[str, float]:
    problems = weight_problems(weights)
    if problems:
        raise ValueError("; ".join(problems))
    return weights


StreakBonuses = Annotated[
    list[Pair],
    Field(min_length=1, max_length=checkins.MAX_BONUSES),
    AfterValidator(_bonuses),
    Field(description="[[days, points], ...]: a streak of exactly `days` check-ins earns `points` more"),
]
ReferralLadder = Annotated[
    list[Pair],
    Field(max_length=MAX_LADDER),
    AfterValidator(_ladder),
    Field(description="[[nth, points], ...]: the referrer's nth paid friend earns `points` more"),
]
ReferralBurst = Annotated[
    Pair,
    AfterValidator(_burst),
    Field(description="[binds, minutes]: this many friends through one code this fast go to review"),
]
KolWeights = Annotated[
    dict[str, Annotated[float, Field(ge=0, le=MAX_WEIGHT)]],
    AfterValidator(_weights),
    Field(description="influence weight per part; parts not given keep their defaults"),
]


class ProgrammeChanges(Changes):
    """The settings to change; those not sent keep their value."""

    expiry_mode: ExpiryMode = kept()
    expiry_days: Annotated[int, Field(ge=1, le=3650)] = kept()
    review_approval: bool = kept()
    makeup_cost: Annotated[int, Field(ge=1, le=100_000)] | None = kept("null: no 补签")
    streak_bonuses: StreakBonuses = kept()
    tier_basis: Literal["points", "spend"] = kept()
    tier_grace_days: Annotated[int, Field(ge=0, le=365)] = kept()
    tier_template_id: Annotated[str, Field(min_length=1, max_length=64)] | None = kept()
    referral_hold_days: Annotated[int, Field(ge=0, le=30)] = kept()
    referral_ladder: ReferralLadder = kept()
    referral_burst: ReferralBurst = kept()
    active_days: Annotated[int, Field(ge=1, le=365)] = kept("粘关系: active within")
    loyal_orders: Annotated[int, Field(ge=1, le=1000)] = kept("忠诚: purchases")
    loyal_streak: Annotated[int, Field(ge=1, le=3650)] = kept("忠诚: or a streak")
    rfm_window_days: Annotated[int, Field(ge=7, le=3650)] = kept()
    kol_weights: KolWeights = kept()
    kol_top_n: Annotated[int, Field(ge=1, le=1000)] = kept()
    kol_threshold: Annotated[float, Field(gt=0, le=1e9)] | None = kept("set: every score at or above")
    kol_min_score: Annotated[float, Field(ge=0, le=1e9)] = kept("no KOL candidate scores below it")
    kol_min_evidence: Annotated[int, Field(ge=0, le=MAX_KOL_MIN_EVIDENCE)] = kept(
        "no KOL candidate has fewer referrals, shares, reads and follows of shares and likes of reviews"
    )


class Programme(Answer):
    expiry_mode: ExpiryMode
    expiry_days: int
    review_approval: bool
    makeup_cost: int | None
    streak_bonuses: list[Pair]
    tier_basis: Literal["points", "spend"]
    tier_grace_days: int
    tier_template_id: str | None
    referral_hold_days: int
    referral_ladder: list[Pair]
    referral_burst: Pair
    active_days: int
    loyal_orders: int
    loyal_streak: int
    rfm_window_days: int
    kol_weights: dict[str, float]
    kol_top_n: int
    kol_threshold: float | None
    kol_min_score: float
    kol_min_evidence: int

    @classmethod
    def of(cls, row: ProgrammeRow) -> Programme:
        values = {name: getattr(row, name) for name in cls.model_fields}
        return cls(**values | {"kol_weights": weights_of(row.kol_weights)})


# tiers ---------------------------------------------------------------------------------------------


class TierFields(Body):
    code: Annotated[str, Field(pattern=tiers.TIER_CODE)]
    name: Annotated[str, Field(min_length=1, max_length=32)]
    threshold: Annotated[int, Field(ge=0, le=tiers.MAX_THRESHOLD)]
    benefits: Annotated[str, Field(max_length=200)] | None = None


class TiersBody(Body):
    """The whole ladder: one tier at threshold 0, codes and thresholds all different."""

    tiers: Annotated[list[TierFields], Field(min_length=1, max_length=tiers.MAX_TIERS)]

    @model_validator(mode="after")
    def _sound(self) -> Self:
        problems = tiers.ladder_problems([t.code for t in self.tiers], [t.threshold for t in self.tiers])
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Tier(Answer):
    code: str
    name: str
    threshold: int
    benefits: str | None

    @classmethod
    def of(cls, row: TierRow) -> Tier:
        return cls(code=row.code, name=row.name, threshold=row.threshold, benefits=row.benefits)


class Tiers(Answer):
    tiers: list[Tier]


# rewards -------------------------------------------------------------------------------------------


class RewardFields(Body):
    name: Name
    kind: Literal["coupon", "gift"]
    points_price: Annotated[int, Field(ge=1, le=1_000_000)]
    stock: Annotated[int, Field(ge=0, le=1_000_000)]
    description: Annotated[str, Field(max_length=200)] | None = None
    enabled: bool = True
    valid_days: ValidDays | None = Field(None, description=VALIDITY)


class NewReward(RewardFields):
    """A reward for the catalogue."""


class RewardChanges(Changes):
    """The fields of a reward to change; those not sent keep their value."""

    name: Name = kept()
    kind: Literal["coupon", "gift"] = kept()
    points_price: Annotated[int, Field(ge=1, le=1_000_000)] = kept()
    stock: Annotated[int, Field(ge=0, le=1_000_000)] = kept()
    description: Annotated[str, Field(max_length=200)] | None = kept()
    enabled: bool = kept()
    valid_days: ValidDays | None = kept(VALIDITY)


class Reward(Answer):
    id: int
    name: str
    kind: Literal["coupon", "gift"]
    points_price: int
    stock: int
    description: str | None
    enabled: bool
    valid_days: int | None = Field(description=VALIDITY)
    created_at: Time
    image_url: str | None = Field(description="its picture on this server, if any")

    @classmethod
    def of(cls, row: RewardRow, image_url: str | None = None) -> Reward:
        values = {name: getattr(row, name) for name in cls.model_fields if name != "image_url"}
        return cls(**values | {"created_at": local(row.created_at), "image_url": image_url})


class RewardPage(Page[Reward]):
    pass


# reviews -------------------------------------------------------------------------------------------

ReviewStatus = Literal["pending", "approved", "rejected"]


class ReviewQuery(Paging):
    status: ReviewStatus | None = kept("all when absent")


class Review(Answer):
    id: int
    openid: str
    rating: Annotated[int, Field(ge=1, le=5)]
    text: str
    status: ReviewStatus
    like_count: int
    created_at: Time
    decided_at: Time | None

    @classmethod
    def of(cls, row: ReviewRow, openid: str) -> Review:
        values = {name: getattr(row, name) for name in cls.model_fields if name != "openid"}
        return cls(
            **values
            | {"openid": openid, "created_at": local(row.created_at), "decided_at": local(row.decided_at)}
        )


class ReviewPage(Page[Review]):
    pass


# orders --------------------------------------------------------------------------------------------

OrderNo = Annotated[str, Field(pattern=ORDER_NO.pattern)]
OpenId = Annotated[str, Field(min_length=1, max_length=64)]
MemberCode = Annotated[str, Field(pattern=r"^\d{18,20}$")]
Phone = Annotated[str, Field(pattern=r"^1[3-9]\d{9}$")]


class NewOrder(Body):
    """A paid order of one member, named by exactly one of `openid`, `member_code` or `phone`."""

    model_config = ConfigDict(json_schema_extra=exactly_one(*BUYER_FIELDS))

    order_no: OrderNo
    openid: OpenId = kept("the member's openid")
    member_code: MemberCode = kept("会员码: the rotating code the member shows at the till (a minute)")
    phone: Phone = kept("the mobile number the member bound (one member only)")
    amount_fen: Annotated[int, Field(ge=1, le=MAX_AMOUNT_FEN, description="amount in fen (分)")]
    paid_at: Time | None = None

    @model_validator(mode="after")
    def _one_member(self) -> Self:
        problems = buyer_problems([name for name in BUYER_FIELDS if getattr(self, name) is not None])
        if problems:
            raise ValueError("; ".join(problems))
        return self


class NewRefund(Body):
    refund_no: Annotated[str, Field(min_length=1, max_length=64)]
    refund_fen: Annotated[int, Field(ge=1, le=MAX_AMOUNT_FEN, description="amount in fen (分)")]


class Refund(Answer):
    id: int
    refund_no: str
    refund_fen: Fen
    refunded_at: Time

    @classmethod
    def of(cls, row: OrderRefund) -> Refund:
        return cls(
            id=row.id, refund_no=row.refund_no, refund_fen=row.refund_fen, refunded_at=local(row.refunded_at)
        )


class Order(Answer):
    id: int
    order_no: str
    openid: str
    amount_fen: Fen
    refunded_fen: Fen
    paid_at: Time
    refunds: list[Refund]

    @classmethod
    def of(cls, row: OrderRow, openid: str, refunds: list[OrderRefund]) -> Order:
        return cls(
            id=row.id,
            order_no=row.order_no,
            openid=openid,
            amount_fen=row.amount_fen,
            refunded_fen=row.refunded_fen,
            paid_at=local(row.paid_at),
            refunds=[Refund.of(r) for r in refunds],
        )


class OrderPosted(Order):
    duplicate: bool


class RefundPosted(Answer):
    refund: Refund
    order: Order
    duplicate: bool


# custom events -------------------------------------------------------------------------------------


class NewEvent(Body):
    openid: OpenId
    action: Annotated[str, Field(pattern=CUSTOM_ACTION)]
    key: Annotated[str, Field(min_length=1, max_length=64, description="idempotency key")]
    occurred_at: Time | None = None


class EventAccepted(Answer):
    accepted: Literal[True]
    duplicate: bool


# members and the ledger ----------------------------------------------------------------------------


class Expiring(Answer):
    points: int
    expires_on: date


class TierRef(Answer):
    code: str
    name: str


class NextTier(TierRef):
    gap: int


class Member(Answer):
    openid: str
    following: bool
    first_followed_at: Time | None
    balance: Whole
    pending: int = Field(description="on hold (purchases): not yet spendable")
    available: Whole
    earned: int = Field(description="awards minus reversals: what tiers count")
    expiring_soon: Expiring | None
    tier: TierRef | None
    next_tier: NextTier | None
    spend_fen: Fen


class LedgerEntry(Answer):
    key: str
    delta: int
    kind: str = Field(description="award, reversal, expiry, redemption, makeup")
    action: str | None
    note: str | None
    business_date: date
    created_at: Time

    @classmethod
    def of(cls, row: LedgerRow) -> LedgerEntry:
        values = {name: getattr(row, name) for name in cls.model_fields}
        return cls(**values | {"created_at": local(row.created_at)})


class LedgerPage(Page[LedgerEntry]):
    pass


class Rebuilt(Answer):
    fixed: int = Field(description="members whose cached balance was wrong")


# redemptions at the till ---------------------------------------------------------------------------


class RedemptionCode(Answer):
    code: str
    reward: str
    openid: str
    points: int
    status: RedemptionStatus = Field(description="waiting (待使用), used (已使用) or expired (已过期)")
    created_at: Time
    expires_at: Time | None = Field(description="when an unused code stops working; null: never")
    used_at: Time | None
    used_by: str | None = Field(description="the staff member or token that used it")
