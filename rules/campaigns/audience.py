"""A campaign's audience: a segment described as plain data, checked before anything is sent.

Every key is optional and they all must hold (AND); a list matches any of its values (OR).
"""

from __future__ import annotations

from typing import Any


def audience_problems(spec: dict[str, Any], tier_codes: set[str]) -> list[str]:
    """What is wrong with an audience whose keys are each of the right kind (the API's model checks
    that): tiers the account has, and a balance range that is not empty."""
    problems = [f"tiers: no tier {t!r}" for t in spec.get("tiers") or () if t not in tier_codes]
    lo, hi = spec.get("points_min"), spec.get("points_max")
    if lo is not None and hi is not None and lo > hi:
        problems.append("points_min cannot exceed points_max")
    return problems
