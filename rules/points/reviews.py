"""Reviews (评价): reading `评价 5 很好吃`, and what a review must be to earn points."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TEXT = 500
GOOD = 4  # a rating of 4 or 5 is a good review (好评): it counts toward influence
COMMAND = re.compile(r"^(?:评价|评论)\s*(\S*)\s*(.*)$", re.S)


@dataclass(frozen=True)
class ReviewDraft:
    rating: int
    text: str


@dataclass(frozen=True)
class ReviewProblem:
    reason: str  # rating, too_long, empty


def read_review(rating: object, text: str) -> ReviewDraft | ReviewProblem:
    """Check a rating 1–5 and a text of at most 500 characters."""
    try:
        stars = int(str(rating))
    except ValueError:
        return ReviewProblem("rating")
    if not 1 <= stars <= 5 or str(rating).strip() not in {str(stars)}:
        return ReviewProblem("rating")
    text = text.strip()
    if len(text) > MAX_TEXT:
        return ReviewProblem("too_long")
    return ReviewDraft(stars, text)


def parse_command(message: str) -> ReviewDraft | ReviewProblem:
    """`评价 5 很好吃,服务周到` → rating 5 and the text."""
    match = COMMAND.match(message.strip())
    if not match or not match.group(1):
        return ReviewProblem("empty")
    return read_review(match.group(1), match.group(2))


def earns(draft: ReviewDraft, min_length: int, min_rating: int) -> str | None:
    """Why this review earns no points (too_short, low_rating), or None when it does."""
    if len(draft.text) < min_length:
        return "too_short"
    if draft.rating < min_rating:
        return "low_rating"
    return None
