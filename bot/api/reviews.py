"""Reviews (评价) waiting for the merchant: list them, approve (the drain pays) or reject."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from sqlalchemy.orm import Session

from bot.api import api, inputs, outputs
from bot.api.auth import current_account
from bot.api.db import read, write
from bot.api.errors import ApiError
from models import utcnow
from services import api_support

STATUSES = ("pending", "approved", "rejected")


@api.get("/reviews")
def list_reviews() -> Response:
    """Newest first; `?status=` pending, approved or rejected (all when absent)."""
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(422, "invalid_query", "status must be pending, approved or rejected")
    page, per_page = inputs.paging()
    rows, total = read(lambda s: api_support.reviews_page(s, current_account().id, status, page, per_page))
    return jsonify(outputs.page([outputs.review(r, openid) for r, openid in rows], page, per_page, total))


@api.post("/reviews/<int:review_id>/approve")
def approve_review(review_id: int) -> Response:
    return jsonify(_decide(review_id, approve=True))


@api.post("/reviews/<int:review_id>/reject")
def reject_review(review_id: int) -> Response:
    return jsonify(_decide(review_id, approve=False))


def _decide(review_id: int, approve: bool) -> dict[str, Any]:
    """The decided review; deciding the same way again is fine, the other way is 409 `review_decided`."""
    wanted = "approved" if approve else "rejected"

    def save(session: Session) -> dict[str, Any]:
        found = None
        if api_support.whole(review_id, 1):
            found = api_support.decide(session, current_account().id, review_id, approve, utcnow())
        if found is None:
            raise ApiError(404, "unknown_review", f"no review {review_id}")
        review, openid = found
        if review.status != wanted:
            raise ApiError(409, "review_decided", f"review {review_id} was {review.status} before")
        return outputs.review(review, openid)

    return write(save, wake=approve)
