"""The member lifecycle: follow, unfollow, come back; last interaction and message times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, update
from sqlalchemy.orm import Session

from models import Member, utcnow
from models.sql import upsert


@dataclass(frozen=True)
class Followed:
    member_id: int
    returning: bool  # followed before: no second welcome bonus, a 欢迎回来 reply


def follow(session: Session, account_id: int, openid: str, at: datetime) -> Followed:
    """Create the member on a first follow, or restore one who had unfollowed; one statement.

    A follow older than the member's latest unfollow (deliveries out of order) counts
    but leaves them unfollowed.
    """
    stmt = upsert(session, Member).values(
        account_id=account_id,
        openid=openid,
        following=True,
        first_followed_at=at,
        last_followed_at=at,
        follow_count=1,
        created_at=utcnow(),
    )
    new = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[Member.account_id, Member.openid],
        set_={
            "follow_count": Member.follow_count + 1,
            "first_followed_at": func.coalesce(Member.first_followed_at, new.first_followed_at),
            "last_followed_at": _later(Member.last_followed_at, new.last_followed_at),
            "following": case(
                (and_(Member.unfollowed_at.is_not(None), Member.unfollowed_at > new.last_followed_at), False),
                else_=True,
            ),
        },
    ).returning(Member.id, Member.follow_count)
    member_id, follow_count = session.execute(stmt).one()
    return Followed(member_id, returning=follow_count > 1)


def ensure_member(session: Session, account_id: int, openid: str) -> int:
    """Return the member's id, creating them (as following) if this openid is new to us.

    Followers from before Tiefen served the account first show up this way.
    """
    stmt = upsert(session, Member).values(
        account_id=account_id, openid=openid, following=True, follow_count=0, created_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[Member.account_id, Member.openid], set_={"openid": stmt.excluded.openid}
    ).returning(Member.id)
    return int(session.execute(stmt).scalar_one())


def unfollow(session: Session, member_id: int, at: datetime) -> None:
    """Record an unfollow at `at`; the member stays following if a later follow already came in."""
    session.execute(
        update(Member)
        .where(Member.id == member_id)
        .values(
            unfollowed_at=_later(Member.unfollowed_at, at),
            following=case(
                (or_(Member.last_followed_at.is_(None), Member.last_followed_at <= at), False),
                else_=Member.following,
            ),
        )
    )


def touch(session: Session, member_id: int, at: datetime, message: bool) -> None:
    """Move last interaction (and last message, for messages the member sent) forward to `at`."""
    values = {"last_interaction_at": _later(Member.last_interaction_at, at)}
    if message:
        values["last_message_at"] = _later(Member.last_message_at, at)
    session.execute(update(Member).where(Member.id == member_id).values(**values))


def record_first_scene(session: Session, member_id: int, scene: str) -> None:
    session.execute(
        update(Member).where(Member.id == member_id, Member.first_scene.is_(None)).values(first_scene=scene)
    )


def _later(column: Any, value: Any) -> Any:
    """SQL for the later of a nullable column and a value (GREATEST that ignores NULL)."""
    return case((or_(column.is_(None), column < value), value), else_=column)
