"""What a drained batch of events earned: follows, check-ins, reviews, orders, refunds, shares and
the reads they brought, custom events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models import Checkin, InboundEvent, Order, OrderRefund, Review
from models.upsert import one_of
from rules.inbound import messages as m
from rules.inbound.lifecycle import FOLLOWS
from rules.points.earnings import Earning
from rules.points.reviews import ReviewDraft
from rules.points.tasks import CUSTOM_PREFIX, Action

CHECKIN = (
    Checkin.account_id,
    Checkin.member_id,
    Checkin.day,
    Checkin.streak,
    Checkin.points,
    Checkin.bonus,
    Checkin.makeup,
    Checkin.source_key,
)


@dataclass(frozen=True)
class Refund:
    account_id: int
    member_id: int
    order_id: int
    refund_id: int
    refund_fen: int
    amount_fen: int
    at: datetime


@dataclass
class Harvest:
    earnings: list[Earning] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    spend: dict[int, int] = field(default_factory=dict)  # member → fen paid (negative: refunded)


SHARING = {m.SHARED: Action.SHARE, m.SHARE_READ: Action.SHARE_READ}  # the source: the share or read id


def harvest(session: Session, events: list[InboundEvent], member_ids: dict[tuple[int, str], int]) -> Harvest:
    h = Harvest()
    for e in events:
        if e.event in FOLLOWS:
            member = member_ids[(e.account_id, e.openid)]
            h.earnings.append(Earning(e.account_id, member, Action.FOLLOW, f"event:{e.id}", e.create_time))
        elif e.msg_type == m.API and e.event in SHARING:
            member = member_ids[(e.account_id, e.openid)]
            action = SHARING[e.event]
            h.earnings.append(Earning(e.account_id, member, action, e.event_key or "", e.create_time))
        elif e.msg_type == m.API and e.event == m.CUSTOM and (e.event_key or "").startswith(CUSTOM_PREFIX):
            member = member_ids[(e.account_id, e.openid)]
            h.earnings.append(
                Earning(e.account_id, member, e.event_key or "", f"event:{e.id}", e.create_time)
            )
    at = {e.dedup_key: e.create_time for e in events}
    _checkins(session, events, at, h)
    _reviews(session, events, h)
    _orders(session, events, h)
    _refunds(session, events, h)
    return h


def _checkins(session: Session, events: list[InboundEvent], at: dict[str, datetime], h: Harvest) -> None:
    """Check-ins the batch's callbacks (and the H5 button's events) made pay what the reply promised;
    a 补签 may also lift the next day's streak to a bonus, so that day's check-in is looked at again
    (its keys make it once)."""
    keys = [e.dedup_key for e in events if e.msg_type != m.API or e.event == m.CHECKED_IN]
    if not keys:
        return
    made = [
        (c, at[c.source_key])
        for c in session.execute(select(*CHECKIN).where(one_of(session, Checkin.source_key, keys)))
    ]
    lifted = {(c.member_id, c.day + timedelta(days=1)): when for c, when in made if c.makeup}
    if lifted:
        cond = or_(*[and_(Checkin.member_id == member, Checkin.day == day) for member, day in lifted])
        made += [(c, lifted[(c.member_id, c.day)]) for c in session.execute(select(*CHECKIN).where(cond))]
    for c, when in made:
        source = f"{c.member_id}:{c.day.isoformat()}"
        h.earnings.append(
            Earning(c.account_id, c.member_id, Action.CHECKIN, source, when, fixed_points=c.points)
        )
        if c.bonus:
            note = f"连续签到 {c.streak} 天奖励"
            bonus = Earning(
                c.account_id, c.member_id, "checkin_bonus", source, when, fixed_points=c.bonus, note=note
            )
            h.earnings.append(bonus)


def _reviews(session: Session, events: list[InboundEvent], h: Harvest) -> None:
    """Approved reviews earn: at once when no approval is needed, else when the merchant approves."""
    keys = [e.dedup_key for e in events if e.msg_type != m.API or e.event == m.REVIEW_SUBMITTED]
    approved = [int(e.event_key or 0) for e in events if e.msg_type == m.API and e.event == m.REVIEW_APPROVED]
    at = {e.dedup_key: e.create_time for e in events}
    at_approval = {int(e.event_key or 0): e.create_time for e in events if e.event == m.REVIEW_APPROVED}
    if not keys and not approved:
        return
    accounts = sorted({e.account_id for e in events})
    found = session.execute(
        select(
            Review.id,
            Review.account_id,
            Review.member_id,
            Review.rating,
            Review.text,
            Review.source_key,
            Review.created_at,
        ).where(
            Review.account_id.in_(accounts),  # with source_key: the unique index
            Review.status == "approved",
            or_(one_of(session, Review.source_key, keys), one_of(session, Review.id, approved)),
        )
    )
    for r in found:
        when = at_approval.get(r.id) or at.get(r.source_key) or r.created_at
        draft = ReviewDraft(r.rating, r.text)
        h.earnings.append(Earning(r.account_id, r.member_id, Action.REVIEW, str(r.id), when, review=draft))


def _orders(session: Session, events: list[InboundEvent], h: Harvest) -> None:
    ids = [int(e.event_key or 0) for e in events if e.msg_type == m.API and e.event == m.ORDER_PAID]
    if not ids:
        return
    columns = (Order.id, Order.account_id, Order.member_id, Order.paid_at, Order.amount_fen)
    for o in session.execute(select(*columns).where(one_of(session, Order.id, ids))):
        h.earnings.append(
            Earning(o.account_id, o.member_id, Action.PURCHASE, str(o.id), o.paid_at, amount_fen=o.amount_fen)
        )
        h.spend[o.member_id] = h.spend.get(o.member_id, 0) + o.amount_fen


def _refunds(session: Session, events: list[InboundEvent], h: Harvest) -> None:
    ids = [int(e.event_key or 0) for e in events if e.msg_type == m.API and e.event == m.ORDER_REFUNDED]
    if not ids:
        return
    rows = session.execute(
        select(OrderRefund, Order)
        .join(Order, Order.id == OrderRefund.order_id)
        .where(one_of(session, OrderRefund.id, ids))
    )
    for refund, order in rows:
        h.refunds.append(
            Refund(
                order.account_id,
                order.member_id,
                order.id,
                refund.id,
                refund.refund_fen,
                order.amount_fen,
                refund.refunded_at,
            )
        )
        h.spend[order.member_id] = h.spend.get(order.member_id, 0) - refund.refund_fen
