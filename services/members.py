"""The member lifecycle: follow, unfollow, come back; last interaction and message times."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, or_, update
from sqlalchemy.orm import Session

from models import Member, utcnow
from models.fast import fast
from models.sql import insert_for, table_of, upsert

Executor = Session | Connection


@dataclass(frozen=True)
class Followed:
    member_id: int
    returning: bool  # followed before: no second welcome bonus, a 欢迎回来 reply


def follow(db: Connection, account_id: int, openid: str, at: datetime) -> Followed:
    """Create the member on a first follow, or restore one who had unfollowed; one statement.

    Idempotent per follow: a follow counts only if it is later than the last one seen, so
    WeChat's retries of the same callback (same CreateTime) change nothing. A follow older
    than the member's latest unfollow (deliveries out of order) leaves them unfollowed.
    """
    params = {"account_id": account_id, "openid": openid, "at": at, "now": utcnow()}
    ((member_id, follow_count),) = fast(db, "follow", _follow_stmt).execute(db, params)
    return Followed(member_id, returning=follow_count > 1)


def _follow_stmt(dialect: str) -> Any:
    at: Any = bindparam("at")
    stmt = insert_for(dialect, Member).values(
        account_id=bindparam("account_id"),
        openid=bindparam("openid"),
        following=True,
        first_followed_at=at,
        last_followed_at=at,
        follow_count=1,
        created_at=bindparam("now"),
    )
    new = stmt.excluded
    newer = or_(Member.last_followed_at.is_(None), Member.last_followed_at < new.last_followed_at)
    return stmt.on_conflict_do_update(
        index_elements=[Member.account_id, Member.openid],
        set_={
            "follow_count": Member.follow_count + case((newer, 1), else_=0),
            "first_followed_at": func.coalesce(Member.first_followed_at, new.first_followed_at),
            "last_followed_at": _later(Member.last_followed_at, new.last_followed_at),
            "following": case(
                (and_(Member.unfollowed_at.is_not(None), Member.unfollowed_at > new.last_followed_at), False),
                else_=True,
            ),
        },
    ).returning(Member.id, Member.follow_count)


def ensure_members(db: Executor, account_id: int, openids: Iterable[str]) -> dict[str, int]:
    """Map openids to member ids, creating (as following) any we never saw; one statement.

    Followers from before Tiefen served the account first show up this way.
    """
    wanted = sorted(set(openids))
    if not wanted:
        return {}
    now = utcnow()
    rows = [
        {"account_id": account_id, "openid": o, "following": True, "follow_count": 0, "created_at": now}
        for o in wanted
    ]
    stmt = upsert(db, Member).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Member.account_id, Member.openid], set_={"openid": stmt.excluded.openid}
    ).returning(Member.openid, Member.id)
    return {openid: member_id for openid, member_id in db.execute(stmt)}


def unfollow_many(db: Executor, unfollows: list[tuple[int, datetime]]) -> None:
    """Record unfollows; a member stays following if a later follow already came in."""
    if not unfollows:
        return
    at: Any = bindparam("at")
    stmt = (
        update(table_of(Member))
        .where(Member.id == bindparam("member_id"))
        .values(
            unfollowed_at=_later(Member.unfollowed_at, at),
            following=case(
                (or_(Member.last_followed_at.is_(None), Member.last_followed_at <= at), False),
                else_=Member.following,
            ),
        )
    )
    db.execute(stmt, [{"member_id": m, "at": t} for m, t in unfollows])


def touch_many(db: Executor, interactions: Mapping[int, datetime], messages: Mapping[int, datetime]) -> None:
    """Move last interaction (and last message, for messages the member sent) forward."""
    at: Any = bindparam("at")
    if interactions:
        stmt = update(table_of(Member)).where(Member.id == bindparam("member_id"))
        db.execute(
            stmt.values(last_interaction_at=_later(Member.last_interaction_at, at)),
            [{"member_id": m, "at": t} for m, t in interactions.items()],
        )
    if messages:
        stmt = update(table_of(Member)).where(Member.id == bindparam("member_id"))
        db.execute(
            stmt.values(last_message_at=_later(Member.last_message_at, at)),
            [{"member_id": m, "at": t} for m, t in messages.items()],
        )


def record_first_scenes(db: Executor, scenes: Mapping[int, str]) -> None:
    if not scenes:
        return
    stmt = (
        update(table_of(Member))
        .where(Member.id == bindparam("member_id"), Member.first_scene.is_(None))
        .values(first_scene=bindparam("scene"))
    )
    db.execute(stmt, [{"member_id": m, "scene": s} for m, s in scenes.items()])


def _later(column: Any, value: Any) -> Any:
    """SQL for the later of a nullable column and a value (GREATEST that ignores NULL)."""
    return case((or_(column.is_(None), column < value), value), else_=column)
