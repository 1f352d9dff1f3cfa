"""A campaign's audience: a segment described as plain data, checked before anything is sent.

Every key is optional and they all must hold (AND); a list matches any of its values (OR).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rules.segments.scoring import SEGMENT_NAMES, STAGES

KEYS = {
    "tiers": "tier codes",
    "stages": "light | sticky | deep | iron",
    "rfm_segments": "RFM segment codes",
    "tags": "tag names (any of them)",
    "kol": "true: KOL candidates only",
    "points_min": "balance at least",
    "points_max": "balance at most",
    "active_within_days": "did something within this many days",
    "inactive_for_days": "did nothing for this many days",
    "channels": "channel codes they came through",
    "followed_since": "first followed at or after (ISO 8601 with offset)",
}


def audience_problems(spec: object, tier_codes: set[str]) -> list[str]:
    """Everything wrong with an audience, in words a merchant understands; empty when it is sound."""
    if not isinstance(spec, dict):
        return ["audience must be an object"]
    problems = [f"unknown audience key {k!r}" for k in spec if k not in KEYS]
    checks = {
        "tiers": lambda v: _strings(v) and set(v) <= tier_codes,
        "stages": lambda v: _strings(v) and set(v) <= set(STAGES),
        "rfm_segments": lambda v: _strings(v) and set(v) <= set(SEGMENT_NAMES),
        "tags": lambda v: _strings(v) and all(0 < len(t) <= 30 for t in v),
        "channels": _strings,
        "kol": lambda v: v is True,
        "points_min": _count,
        "points_max": _count,
        "active_within_days": lambda v: _count(v) and 1 <= v <= 3650,
        "inactive_for_days": lambda v: _count(v) and 1 <= v <= 3650,
        "followed_since": _time,
    }
    problems += [f"{k} must be {KEYS[k]}" for k, ok in checks.items() if k in spec and not ok(spec[k])]
    lo, hi = spec.get("points_min"), spec.get("points_max")
    if isinstance(lo, int) and isinstance(hi, int) and _count(lo) and _count(hi) and lo > hi:
        problems.append("points_min cannot exceed points_max")
    return problems


def _strings(v: Any) -> bool:
    return isinstance(v, list) and 0 < len(v) <= 100 and all(isinstance(x, str) and x for x in v)


def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _time(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    try:
        return datetime.fromisoformat(v).tzinfo is not None
    except ValueError:
        return False
