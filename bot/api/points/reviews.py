"""Reviews (评价) waiting for the merchant: list them, approve (the drain pays) or reject."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.api.auth import current_account
from bot.api.errors import ApiError
from bot.api.points.schemas import Review, ReviewPage, ReviewQuery
from bot.api.routes import operation
from bot.db import read, write
from models import utcnow
from rules.accounts.roles import Area
from services.points import reviews


@operation("GET", "/reviews", tag="reviews", answer=ReviewPage, query=ReviewQuery)
def list_reviews(query: ReviewQuery) -> ReviewPage:
    """List reviews, newest first"""
    rows, total = read(
        lambda s: reviews.reviews_page(s, current_account().id, query.status, query.page, query.per_page)
    )
    items = [Review.of(r, openid) for r, openid in rows]
    return ReviewPage(items=items, page=query.page, per_page=query.per_page, total=total)


@operation(
    "POST", "/reviews/<id:review_id>/approve", area=Area.MEMBERS, tag="reviews", answer=Review, errors=(409,)
)
def approve_review(review_id: int) -> Review:
    """Approve a review (the drain pays its points)"""
    return _decide(review_id, approve=True)


@operation(
    "POST", "/reviews/<id:review_id>/reject", area=Area.MEMBERS, tag="reviews", answer=Review, errors=(409,)
)
def reject_review(review_id: int) -> Review:
    """Reject a review"""
    return _decide(review_id, approve=False)


def _decide(review_id: int, approve: bool) -> Review:
    """The decided review; deciding the same way again is fine, the other way is 409 `review_decided`."""
    wanted = "approved" if approve else "rejected"

    def save(session: Session) -> Review:
        found = reviews.judge_review(session, current_account().id, review_id, approve, utcnow())
        if found is None:
            raise ApiError(404, "unknown_review", f"no review {review_id}")
        review, openid = found
        if review.status != wanted:
            raise ApiError(409, "review_decided", f"review {review_id} was {review.status} before")
        return Review.of(review, openid)

    return write(save, wake=approve)
