"""Finding members, and the account's orders and redemptions: newest first, paged by a cursor.

Every filter reads an index (migration 0021): the list walks (account_id, id) backwards; a stage
or RFM segment walks member_scores' (account_id, stage | rfm_segment, member_id); a tag walks
member_tags' (account_id, tag, member_id); a tier (account_id, tier_code, id); a phone or a
nickname its pattern index by prefix (0025); an openid the unique (account_id, openid); a member
code (会员码) or number (会员号) the primary key. `before` is the last id seen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from models import Checkin, Member, MemberScore, MemberTag, Order, OrderRefund, Redemption, Review, Reward
from rules.accounts import member_codes
from rules.accounts.member_codes import CodeKey
from rules.accounts.member_numbers import member_id_of

MAX_LIMIT = 100


@dataclass(frozen=True)
class MemberFilter:
    q: str | None = None  # an openid, a phone's or nickname's first characters, a 会员号 or a 会员码
    openid: str | None = None
    phone: str | None = None  # exact or its first digits
    nickname: str | None = None  # exact or its first characters
    tag: str | None = None
    stage: str | None = None  # light | sticky | deep | iron
    tier: str | None = None  # Member.tier_code
    rfm: str | None = None  # MemberScore.rfm_segment
    following: bool | None = None


@dataclass(frozen=True)
class Found:
    member: Member
    stage: str | None
    rfm_segment: str | None
    influence: float | None


def _prefix(digits: str) -> str:
    return digits.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _phone_like(phone: str) -> ColumnElement[bool]:
    return Member.phone.like(_prefix(phone), escape="\\")


def _nickname_like(nickname: str) -> ColumnElement[bool]:
    return Member.nickname.like(_prefix(nickname), escape="\\")


def _typed(q: str, account_id: int, codes: CodeKey | None) -> ColumnElement[bool]:
    """Who a typed `q` names: a current member code its member (an old or forged one no one, and so
    without `codes`); else an openid, a nickname's first characters, and for digits the start of a
    phone or a member number's member."""
    if member_codes.looks_like(q):
        found = member_codes.read(codes.secret_key, account_id, q, codes.now) if codes else None
        return Member.id == found if isinstance(found, int) else false()
    found_by = [Member.openid == q, _nickname_like(q)]
    if q.isdigit():
        found_by.append(_phone_like(q))
    number = member_id_of(q)
    if number is not None:
        found_by.append(Member.id == number)
    return or_(*found_by)


def members(
    session: Session,
    account_id: int,
    where: MemberFilter,
    before: int | None = None,
    limit: int = 20,
    codes: CodeKey | None = None,
) -> list[Found]:
    """One page of the account's members matching every filter given, newest member first; `codes`
    reads a member code typed as `q`."""
    limit = max(1, min(limit, MAX_LIMIT))
    score_joined = where.stage is not None or where.rfm is not None
    stmt = select(Member, MemberScore.stage, MemberScore.rfm_segment, MemberScore.influence)
    if score_joined:  # inner: the index on member_scores drives the walk
        stmt = stmt.join(MemberScore, MemberScore.member_id == Member.id).where(
            MemberScore.account_id == account_id
        )
        order = MemberScore.member_id.desc()
        if where.stage is not None:
            stmt = stmt.where(MemberScore.stage == where.stage)
        if where.rfm is not None:
            stmt = stmt.where(MemberScore.rfm_segment == where.rfm)
        if before is not None:
            stmt = stmt.where(MemberScore.member_id < before)
    else:
        stmt = stmt.outerjoin(MemberScore, MemberScore.member_id == Member.id)
        order = Member.id.desc()
    if where.tag is not None:
        stmt = stmt.join(
            MemberTag,
            and_(
                MemberTag.member_id == Member.id,
                MemberTag.account_id == account_id,
                MemberTag.tag == where.tag,
                MemberTag.removed_at.is_(None),
            ),
        )
        if not score_joined:
            order = MemberTag.member_id.desc()
            if before is not None:
                stmt = stmt.where(MemberTag.member_id < before)
    stmt = stmt.where(Member.account_id == account_id)
    if before is not None:
        stmt = stmt.where(Member.id < before)
    if where.openid is not None:
        stmt = stmt.where(Member.openid == where.openid)
    if where.phone is not None:
        stmt = stmt.where(_phone_like(where.phone))
    if where.tier is not None:
        stmt = stmt.where(Member.tier_code == where.tier)
    if where.following is not None:
        stmt = stmt.where(Member.following.is_(where.following))
    if where.nickname is not None:
        stmt = stmt.where(_nickname_like(where.nickname))
    if where.q and where.q.strip():
        stmt = stmt.where(_typed(where.q.strip(), account_id, codes))
    rows = session.execute(stmt.order_by(order).limit(limit)).all()
    return [Found(row[0], row[1], row[2], row[3]) for row in rows]


def orders(
    session: Session, account_id: int, openid: str | None = None, before: int | None = None, limit: int = 20
) -> list[tuple[Order, str, list[OrderRefund]]]:
    """The account's orders, newest first, each with its member's openid and its refunds."""
    limit = max(1, min(limit, MAX_LIMIT))
    stmt = (
        select(Order, Member.openid)
        .join(Member, Member.id == Order.member_id)
        .where(Order.account_id == account_id)
    )
    if openid is not None:
        stmt = stmt.where(Member.account_id == account_id, Member.openid == openid)
    if before is not None:
        stmt = stmt.where(Order.id < before)
    rows = session.execute(stmt.order_by(Order.id.desc()).limit(limit)).all()
    refunds: dict[int, list[OrderRefund]] = defaultdict(list)
    if rows:
        for r in session.scalars(
            select(OrderRefund)
            .where(OrderRefund.order_id.in_([o.id for o, _ in rows]))
            .order_by(OrderRefund.id)
        ):
            refunds[r.order_id].append(r)
    return [(o, oid, refunds[o.id]) for o, oid in rows]


def redemptions(
    session: Session, account_id: int, openid: str | None = None, before: int | None = None, limit: int = 20
) -> list[tuple[Redemption, str, str]]:
    """The account's redemptions, newest first: each with its member's openid and the reward's name."""
    limit = max(1, min(limit, MAX_LIMIT))
    stmt = (
        select(Redemption, Member.openid, Reward.name)
        .join(Member, Member.id == Redemption.member_id)
        .join(Reward, Reward.id == Redemption.reward_id)
        .where(Redemption.account_id == account_id)
    )
    if openid is not None:
        stmt = stmt.where(Member.account_id == account_id, Member.openid == openid)
    if before is not None:
        stmt = stmt.where(Redemption.id < before)
    rows = session.execute(stmt.order_by(Redemption.id.desc()).limit(limit)).all()
    return [(r, oid, name) for r, oid, name in rows]


def recent_checkins(session: Session, member_id: int, limit: int = 14) -> list[Checkin]:
    """The member's latest check-ins, newest day first (their unique (member_id, day) index)."""
    stmt = select(Checkin).where(Checkin.member_id == member_id).order_by(Checkin.day.desc()).limit(limit)
    return list(session.scalars(stmt))


def recent_reviews(session: Session, member_id: int, limit: int = 10) -> list[Review]:
    """The member's latest reviews, newest first, whatever their status."""
    stmt = select(Review).where(Review.member_id == member_id).order_by(Review.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def score_of(session: Session, member_id: int) -> MemberScore | None:
    return session.get(MemberScore, member_id)
