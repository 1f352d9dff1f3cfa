"""Segments (seed 004): relationship stages, RFM segments and explainable influence scores.

The scoring job computes these in SQL for a million members at a time; the same rules are
here as plain functions, with their names, so tests and explanations read one definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

STAGES = {"light": "浅关系", "sticky": "粘关系", "deep": "深关系", "iron": "铁关系"}
STAGE_ORDER = ("light", "sticky", "deep", "iron")


def stage(converted_others: bool, has_purchased: bool, active_recently: bool) -> str:
    """The deepest relationship a member shows.

    铁 iron: brought others who followed (referrals, or follows from reads of their shares);
    深 deep: has purchased; 粘 sticky: did something after following within the active window
    (check-ins, reviews, messages, clicks); 浅 light: followed.
    """
    if converted_others:
        return "iron"
    if has_purchased:
        return "deep"
    if active_recently:
        return "sticky"
    return "light"


SEGMENTS = {  # (R high, F high, M high) → the classic eight
    (True, True, True): ("important_value", "重要价值"),
    (True, False, True): ("important_develop", "重要发展"),
    (False, True, True): ("important_keep", "重要保持"),
    (False, False, True): ("important_retain", "重要挽留"),
    (True, True, False): ("general_value", "一般价值"),
    (True, False, False): ("general_develop", "一般发展"),
    (False, True, False): ("general_keep", "一般保持"),
    (False, False, False): ("general_retain", "一般挽留"),
}
SEGMENT_NAMES = dict(SEGMENTS.values())
HIGH = 3  # a quintile score of 3-5 is "high"


def quintile(cume_dist: float) -> int:
    """1-5 from the share of members at or below this value: ties get the same score."""
    return max(1, min(5, -int(-(cume_dist * 5 - 1e-9) // 1)))


def rfm_segment(r: int, f: int, m: int) -> str:
    return SEGMENTS[(r >= HIGH, f >= HIGH, m >= HIGH)][0]


# Influence: seed 004's social model, with referrals, each part = count × weight.
MAX_WEIGHT = 1000
DEFAULT_WEIGHTS: dict[str, float] = {
    "activity": 1.0,  # check-ins, reviews written and likes given (喜欢 / activity: F)
    "good_reviews": 5.0,  # reviews rated 4-5 and approved (好评: F)
    "review_likes": 2.0,  # likes their good reviews received
    "shares": 3.0,  # pages shared (分享: S)
    "share_reads": 1.0,  # reads of those shares by others, once per reader per page per day
    "share_follows": 10.0,  # readers who followed afterwards
    "referrals": 10.0,  # friends who followed through their code (not refused or voided)
    "second_degree": 4.0,  # friends of friends: credited at a discount
    "downstream_activity": 0.2,  # what their friends did (check-ins, reviews): at a deeper discount
}
PARTS = tuple(DEFAULT_WEIGHTS)
PART_NAMES = {
    "activity": "活跃（签到/评价/点赞）",
    "good_reviews": "好评",
    "review_likes": "好评获赞",
    "shares": "分享",
    "share_reads": "分享被阅读",
    "share_follows": "分享带来关注",
    "referrals": "直接邀请",
    "second_degree": "二度邀请",
    "downstream_activity": "好友的活跃",
}


def weights_of(configured: Mapping[str, float] | None) -> dict[str, float]:
    """The account's weights: the defaults, with what the merchant set over them."""
    return {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in (configured or {}).items() if k in DEFAULT_WEIGHTS}}


def weight_problems(configured: object) -> list[str]:
    if not isinstance(configured, dict):
        return ["kol_weights must be an object of part: weight"]
    problems = [f"unknown part {k!r}" for k in configured if k not in DEFAULT_WEIGHTS]
    problems += [
        f"{k} must be a number between 0 and {MAX_WEIGHT}"
        for k, v in configured.items()
        if k in DEFAULT_WEIGHTS and not _weight(v)
    ]
    return problems


def _weight(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= MAX_WEIGHT


@dataclass(frozen=True)
class Influence:
    score: float
    parts: dict[str, float]  # part → points, each rounded; they add up to `score`


def influence(counts: Mapping[str, float], weights: Mapping[str, float]) -> Influence:
    """Each part is its count times its weight, rounded to 2 places; the score is their sum."""
    parts = {p: round(float(counts.get(p, 0)) * weights[p], 2) for p in PARTS}
    return Influence(round(sum(parts.values()), 2), {p: v for p, v in parts.items() if v})


FRAUD_REASONS = ("burst", "ring")  # a referrer with referrals held for these is never a KOL candidate


# A KOL candidate shows influence on others, not only its own visits: one check-in scores 1.0, and in
# a small shop that was enough to make most members "top 20". The bar: a minimum score and a minimum
# of evidence, the count of things others did because of the member or through what it shared.
EVIDENCE_PARTS = ("referrals", "share_follows", "shares", "share_reads", "review_likes")
DEFAULT_KOL_MIN_SCORE = 10.0
DEFAULT_KOL_MIN_EVIDENCE = 3
MAX_KOL_MIN_EVIDENCE = 100_000


@dataclass(frozen=True)
class KolBar:
    min_score: float = DEFAULT_KOL_MIN_SCORE
    min_evidence: int = DEFAULT_KOL_MIN_EVIDENCE


def counts_of(parts: Mapping[str, float], weights: Mapping[str, float]) -> dict[str, float | None]:
    """Each part's count back from its points; None where the weight is 0 (nothing to divide by)."""
    return {p: round(float(v) / weights[p], 2) if weights.get(p) else None for p, v in parts.items()}


def evidence(parts: Mapping[str, float], weights: Mapping[str, float]) -> int:
    """How many referrals, follows and reads of shares, shares and likes of good reviews the member's
    score holds. A part the merchant weighs 0 does not count: it is not what they call influence."""
    counts = counts_of({p: parts.get(p, 0) for p in EVIDENCE_PARTS}, weights)
    return sum(round(c) for c in counts.values() if c)


def kol_shortfall(score: float, parts: Mapping[str, float], weights: Mapping[str, float], bar: KolBar) -> str:
    """Why a scored member is no KOL candidate ("" when it may be one)."""
    if score <= 0 or score < bar.min_score:
        return f"影响力 {score:g} 分，不到 {bar.min_score:g} 分"
    found = evidence(parts, weights)
    if found < bar.min_evidence:
        return f"邀请、分享及其阅读、好评获赞共 {found} 次，不到 {bar.min_evidence} 次"
    return ""
