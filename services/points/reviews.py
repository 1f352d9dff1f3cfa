"""Reviews (评价): written by text or the H5 form, approved by the merchant when the programme asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import Member, Review, ReviewLike
from models.pages import page_of
from models.upsert import table_of, upsert
from rules.clock import business_date
from rules.inbound import messages
from rules.points.earnings import UsageBook
from rules.points.reviews import ReviewDraft, earns
from rules.points.tasks import Action, Award, decide, week_of
from services.inbound.outbox import record_api_event
from services.points import ledger
from services.points.programme import ProgrammeConfig


@dataclass(frozen=True)
class Submitted:
    review_id: int | None  # None: this source was submitted before
    status: str
    points: int | None  # what it should earn, as far as the reply can tell
    refusal: str | None


def submit(
    session: Session,
    prog: ProgrammeConfig,
    member_id: int,
    tier: str | None,
    draft: ReviewDraft,
    source_key: str,
    at: datetime,
) -> Submitted:
    """Store a review once per source; say what it should earn (the drain decides for good)."""
    status = "pending" if prog.review_approval else "approved"
    row = {
        "account_id": prog.account_id,
        "member_id": member_id,
        "rating": draft.rating,
        "text": draft.text,
        "status": status,
        "source_key": source_key,
        "like_count": 0,
        "created_at": at,
    }
    stmt = (
        upsert(session, Review)
        .values(row)
        .on_conflict_do_nothing(index_elements=["account_id", "source_key"])
    )
    review_id = session.execute(stmt.returning(Review.id)).scalar_one_or_none()
    task = prog.tasks.get(Action.REVIEW)
    refusal = earns(draft, task.min_length, task.min_rating) if task else "disabled"
    if refusal:
        return Submitted(review_id, status, None, refusal)
    day = business_date(at, prog.timezone)
    who = {Action.REVIEW.value: {member_id}}
    book = UsageBook(*ledger.award_counts(session, prog.account_id, who, who, week_of(day)))
    decision = decide(task, book.usage(member_id, Action.REVIEW, day), at, tier, "")
    if isinstance(decision, Award):
        return Submitted(review_id, status, decision.points, None)
    return Submitted(review_id, status, None, decision.reason)


def decide_review(
    session: Session, account_id: int, review_id: int, approve: bool, now: datetime
) -> Review | None:
    """Approve or reject a pending review; None if there is no such review of this account."""
    review = session.scalar(
        select(Review).where(Review.id == review_id, Review.account_id == account_id).with_for_update()
    )
    if review is None:
        return None
    if review.status == "pending":
        review.status, review.decided_at = ("approved" if approve else "rejected"), now
        session.flush()
    return review


def like(session: Session, review_id: int, member_id: int) -> bool:
    """One like per member per review; True when this one counted."""
    stmt = upsert(session, ReviewLike).values(review_id=review_id, member_id=member_id)
    liked = session.execute(
        stmt.on_conflict_do_nothing(index_elements=["review_id", "member_id"]).returning(ReviewLike.id)
    )
    if liked.first() is None:
        return False
    session.execute(
        update(table_of(Review)).where(Review.id == review_id).values(like_count=Review.like_count + 1)
    )
    return True


@dataclass(frozen=True)
class Listed:
    review: Review
    liked: bool  # by the member looking
    nickname: str | None  # the writer's


def approved_reviews(
    session: Session, account_id: int, member_id: int | None, page: int = 1, per_page: int = 30
) -> tuple[list[Listed], int]:
    """One page of the account's approved reviews, newest first, each with its writer's nickname and
    whether `member_id` liked it; and how many there are in all."""
    stmt = (
        select(Review, Member.nickname)
        .join(Member, Member.id == Review.member_id)
        .where(Review.account_id == account_id, Review.status == "approved")
        .order_by(Review.id.desc())
    )
    rows, total = page_of(session, stmt, page, per_page)
    liked: set[int] = set()
    if member_id is not None and rows:
        liked = set(
            session.scalars(
                select(ReviewLike.review_id).where(
                    ReviewLike.member_id == member_id, ReviewLike.review_id.in_([r.id for r, _ in rows])
                )
            )
        )
    return [Listed(r, r.id in liked, nickname) for r, nickname in rows], total


def star_counts(session: Session, account_id: int) -> dict[int, int]:
    """How many approved reviews the account has of each rating."""
    rows = session.execute(
        select(Review.rating, func.count())
        .where(Review.account_id == account_id, Review.status == "approved")
        .group_by(Review.rating)
    )
    return {int(rating): int(n) for rating, n in rows}


def approved_review_of(session: Session, account_id: int, review_id: int) -> Review | None:
    """An approved review of this account; None for a pending, rejected or another account's one."""
    return session.scalar(
        select(Review).where(
            Review.id == review_id, Review.account_id == account_id, Review.status == "approved"
        )
    )


def reviews_page(
    session: Session, account_id: int, status: str | None, page: int, per_page: int
) -> tuple[list[Any], int]:
    """(review, openid) pairs, newest first."""
    stmt = select(Review, Member.openid).join(Member, Member.id == Review.member_id)
    stmt = stmt.where(Review.account_id == account_id).order_by(Review.id.desc())
    if status is not None:
        stmt = stmt.where(Review.status == status)
    return page_of(session, stmt, page, per_page)


def judge_review(
    session: Session, account_id: int, review_id: int, approve: bool, now: datetime
) -> tuple[Review, str] | None:
    """Approve or reject a pending review; an approval goes in the outbox so the drain pays it."""
    review = decide_review(session, account_id, review_id, approve, now)
    if review is None:
        return None
    openid = session.scalar(select(Member.openid).where(Member.id == review.member_id)) or ""
    if approve and review.status == "approved" and review.decided_at == now:  # approved just now
        payload: dict[str, object] = {"review_id": review.id, "rating": review.rating}
        record_api_event(
            session,
            account_id,
            openid,
            messages.REVIEW_APPROVED,
            str(review.id),
            f"review-approved:{review.id}",
            payload,
            now,
        )
    return review, openid
