"""What the member H5 pages read that the other services do not offer: look-ups that create nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Member, Review, ReviewLike, Reward


def member_id_of(session: Session, account_id: int, openid: str) -> int | None:
    """The member's id, or None for someone who never followed (unlike `members.standing`)."""
    return session.scalar(select(Member.id).where(Member.account_id == account_id, Member.openid == openid))


def reward_of(session: Session, account_id: int, reward_id: int) -> Reward | None:
    """A reward of this account (enabled or not); None for another account's."""
    return session.scalar(select(Reward).where(Reward.id == reward_id, Reward.account_id == account_id))


def approved_reviews(
    session: Session, account_id: int, member_id: int | None, limit: int = 30
) -> list[tuple[Review, bool]]:
    """The account's latest approved reviews, each with whether `member_id` liked it."""
    reviews = list(
        session.scalars(
            select(Review)
            .where(Review.account_id == account_id, Review.status == "approved")
            .order_by(Review.id.desc())
            .limit(limit)
        )
    )
    liked: set[int] = set()
    if member_id is not None and reviews:
        liked = set(
            session.scalars(
                select(ReviewLike.review_id).where(
                    ReviewLike.member_id == member_id, ReviewLike.review_id.in_([r.id for r in reviews])
                )
            )
        )
    return [(r, r.id in liked) for r in reviews]


def approved_review_of(session: Session, account_id: int, review_id: int) -> Review | None:
    """An approved review of this account; None for a pending, rejected or another account's one."""
    return session.scalar(
        select(Review).where(
            Review.id == review_id, Review.account_id == account_id, Review.status == "approved"
        )
    )
