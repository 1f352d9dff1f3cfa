"""The member lifecycle: follow, unfollow, come back; last interaction and message times."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, or_, select, update
from sqlalchemy.orm import Session

from models import ContactWindow, Member, MemberTag, utcnow
from models.upsert import bulk_update, one_of, table_of, upsert

Executor = Session | Connection


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


def follow_many(db: Executor, follows: list[tuple[int, datetime]]) -> None:
    """Count each follow (the drain sees each callback once) and keep the first and last times."""
    if not follows:
        return
    at: Any = bindparam("at")
    stmt = (
        update(table_of(Member))
        .where(Member.id == bindparam("member_id"))
        .values(
            follow_count=Member.follow_count + 1,
            first_followed_at=_earlier(Member.first_followed_at, at),
            last_followed_at=_later(Member.last_followed_at, at),
        )
    )
    db.execute(stmt, [{"member_id": m, "at": t} for m, t in follows])


def unfollow_many(db: Executor, unfollows: list[tuple[int, datetime]]) -> None:
    if not unfollows:
        return
    at: Any = bindparam("at")
    stmt = (
        update(table_of(Member))
        .where(Member.id == bindparam("member_id"))
        .values(unfollowed_at=_later(Member.unfollowed_at, at))
    )
    db.execute(stmt, [{"member_id": m, "at": t} for m, t in unfollows])


def settle_following(db: Executor, followed_last: Collection[int], unfollowed_last: Collection[int]) -> None:
    """Following is what the latest of follow and unfollow says, whatever order they came in.

    CreateTime has whole seconds; on a tie the event that came last in this batch decides.
    """
    for ids, follow_wins_tie in ((followed_last, True), (unfollowed_last, False)):
        if not ids:
            continue
        later = Member.last_followed_at >= Member.unfollowed_at
        if not follow_wins_tie:
            later = Member.last_followed_at > Member.unfollowed_at
        following = case(
            (Member.unfollowed_at.is_(None), True),
            (Member.last_followed_at.is_(None), False),
            else_=later,
        )
        db.execute(update(table_of(Member)).where(one_of(db, Member.id, ids)).values(following=following))


def record_first_scenes(db: Executor, scenes: Mapping[int, str]) -> None:
    if not scenes:
        return
    stmt = (
        update(table_of(Member))
        .where(Member.id == bindparam("member_id"), Member.first_scene.is_(None))
        .values(first_scene=bindparam("scene"))
    )
    db.execute(stmt, [{"member_id": m, "scene": s} for m, s in scenes.items()])


def _earlier(column: Any, value: Any) -> Any:
    return case((or_(column.is_(None), column > value), value), else_=column)


def _later(column: Any, value: Any) -> Any:
    """SQL for the later of a nullable column and a value (GREATEST that ignores NULL)."""
    return case((or_(column.is_(None), column < value), value), else_=column)


@dataclass(frozen=True)
class Standing:
    """A member's points and tier as the replies show them."""

    member_id: int
    balance: int
    earned: int
    spend_fen: int
    tier_code: str | None


def standing(db: Executor, account_id: int, openid: str) -> Standing:
    """The member's standing, creating the member (as following) if this openid is new; one statement."""
    stmt = upsert(db, Member).values(
        account_id=account_id, openid=openid, following=True, follow_count=0, created_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[Member.account_id, Member.openid], set_={"openid": stmt.excluded.openid}
    ).returning(Member.id, Member.points_balance, Member.points_earned, Member.spend_fen, Member.tier_code)
    return Standing(*db.execute(stmt).one())


def lock_members(db: Session, account_id: int, openids: Iterable[str]) -> dict[str, int]:
    """Lock the members behind these openids for this transaction, creating the ones never seen.

    Members another drain holds are left out (SKIP LOCKED): their events wait for the next batch
    instead of this one queueing behind the other's whole transaction. Two drains therefore
    never serialize on a shared member, and caps read under the lock stay right.
    """
    wanted = sorted(set(openids))
    if not wanted:
        return {}
    found = dict(
        db.execute(
            select(Member.openid, Member.id)
            .where(Member.account_id == account_id, one_of(db, Member.openid, wanted))
            .order_by(Member.id)
            .with_for_update(skip_locked=True)
        ).all()
    )
    rest = [o for o in wanted if o not in found]
    if rest:
        held = set(
            db.scalars(
                select(Member.openid).where(Member.account_id == account_id, one_of(db, Member.openid, rest))
            )
        )
        new = [o for o in rest if o not in held]
        if new:
            now = utcnow()
            rows = [
                {
                    "account_id": account_id,
                    "openid": o,
                    "following": True,
                    "follow_count": 0,
                    "created_at": now,
                }
                for o in new
            ]
            stmt = upsert(db, Member).on_conflict_do_nothing(
                index_elements=[Member.account_id, Member.openid]
            )
            found.update(dict(db.execute(stmt.returning(Member.openid, Member.id), rows).all()))
    return found


@dataclass
class Change:
    """What one drained batch does to one member's row."""

    interaction_at: datetime | None = None
    message_at: datetime | None = None
    balance: int = 0
    earned: int = 0
    spend_fen: int = 0


class Changes(dict[int, Change]):
    """Per member, everything a batch changes on their row: written in one statement."""

    def of(self, member_id: int) -> Change:
        if member_id not in self:
            self[member_id] = Change()
        return self[member_id]

    def touch(self, interactions: Mapping[int, datetime], messages: Mapping[int, datetime]) -> None:
        for member_id, at in interactions.items():
            self.of(member_id).interaction_at = at
        for member_id, at in messages.items():
            self.of(member_id).message_at = at

    def points(self, member_id: int, balance: int, earned: int) -> None:
        change = self.of(member_id)
        change.balance += balance
        change.earned += earned


def apply_changes(db: Executor, changes: Changes) -> None:
    rows = [
        {
            "id": m,
            "last_interaction_at": c.interaction_at,
            "last_message_at": c.message_at,
            "points_balance": c.balance,
            "points_earned": c.earned,
            "spend_fen": c.spend_fen,
        }
        for m, c in sorted(changes.items())
    ]
    bulk_update(db, Member, rows, _changed_values)


def _changed_values(src: Any) -> dict[str, Any]:
    """Times move forward, counts add up (each batch column is named after the column it changes)."""
    return {
        "last_interaction_at": _later(Member.last_interaction_at, src["last_interaction_at"]),
        "last_message_at": _later(Member.last_message_at, src["last_message_at"]),
        "points_balance": Member.points_balance + src["points_balance"],
        "points_earned": Member.points_earned + src["points_earned"],
        "spend_fen": Member.spend_fen + src["spend_fen"],
    }


def open_windows(db: Executor, messages: Mapping[int, datetime], events: Mapping[int, datetime]) -> None:
    """Customer-service windows: a later message or follow/scan/click opens a new one, quota unused."""
    for column, used, times in (("message_at", "message_used", messages), ("event_at", "event_used", events)):
        if not times:
            continue
        rows = [{"member_id": m, column: at, used: 0} for m, at in sorted(times.items())]
        stmt = upsert(db, ContactWindow)
        current = getattr(ContactWindow, column)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ContactWindow.member_id],
            set_={column: getattr(stmt.excluded, column), used: 0},
            where=or_(current.is_(None), current < getattr(stmt.excluded, column)),
        )
        db.execute(stmt, rows)


def retag_returning(db: Executor, followed: Collection[int]) -> None:
    """Members who come back after unfollowing get their tags sent to WeChat again (it may have
    dropped them with the unfollow; tagging twice is harmless)."""
    if not followed:
        return
    returning = select(Member.id).where(
        one_of(db, Member.id, sorted(followed)), Member.unfollowed_at.is_not(None)
    )
    db.execute(
        update(table_of(MemberTag))
        .where(
            MemberTag.member_id.in_(returning),
            MemberTag.removed_at.is_(None),
            MemberTag.mirrored_at.is_not(None),
        )
        .values(mirrored_at=None)
    )


def member_id_of(session: Session, account_id: int, openid: str) -> int | None:
    """The member's id, or None for someone who never followed (unlike `members.standing`)."""
    return session.scalar(select(Member.id).where(Member.account_id == account_id, Member.openid == openid))


def find_member(session: Session, account_id: int, openid: str) -> Member | None:
    return session.scalar(select(Member).where(Member.account_id == account_id, Member.openid == openid))


def openids_of(session: Session, member_ids: list[int]) -> list[str]:
    """The members' openids, in the order given (members gone since are left out)."""
    if not member_ids:
        return []
    found = dict(session.execute(select(Member.id, Member.openid).where(Member.id.in_(member_ids))).all())
    return [found[m] for m in member_ids if m in found]
