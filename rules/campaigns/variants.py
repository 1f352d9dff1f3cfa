"""A campaign's variants (A/B): what each must be, and what the set of them must be together."""

from __future__ import annotations

from collections.abc import Sequence

MAX_VARIANTS = 4
VARIANT_CODE = r"^[A-Za-z0-9_-]{1,8}$"  # it is in the landing page's URL
TITLE_MAX, SUMMARY_MAX = 64, 120  # what WeChat's news cards take (characters)


def variant_set_problems(codes: Sequence[str], splits: Sequence[int]) -> list[str]:
    """Codes all differ and the splits share out every member: they add up to 100."""
    problems = []
    if len(set(codes)) != len(codes):
        problems.append("variant codes must differ")
    if sum(splits) != 100:
        problems.append(f"variant splits must add up to 100, not {sum(splits)}")
    return problems
