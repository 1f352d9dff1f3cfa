"""Orders from the merchant's shop: stored once by order number, refunds by refund number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Member, Order, OrderRefund
from rules.accounts import member_codes
from rules.accounts.member_codes import CodeKey
from rules.inbound import messages
from rules.points.orders import order_problems, refund_problems
from services.inbound.outbox import record_api_event
from services.segments.dashboard import forget


class InvalidOrder(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class UnknownMember(LookupError):
    """No member of this account has that openid (they never followed)."""


class UnknownOrder(LookupError):
    """No order of this account has that number."""


class OrderConflict(ValueError):
    """The same order (or refund) number came again with different contents."""


class BuyerRefused(ValueError):
    """The order's `field` names no one member: a member code expired or forged (`reason` is its
    CodeProblem), or a phone several members bound ("shared_phone")."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class Buyer:
    """Who an order is for: exactly one of these (the API's NewOrder checked which)."""

    openid: str | None = None
    member_code: str | None = None  # 会员码, read with the app's secret at the time of posting
    phone: str | None = None


def buyer_openid(session: Session, account_id: int, buyer: Buyer, codes: CodeKey) -> str:
    """The openid of the member an order names; BuyerRefused, or UnknownMember for no such member."""
    if buyer.openid is not None:
        return buyer.openid
    stmt = select(Member.openid).where(Member.account_id == account_id)
    if buyer.member_code is not None:
        found = member_codes.read(codes.secret_key, account_id, buyer.member_code, codes.now)
        if isinstance(found, member_codes.CodeProblem):
            raise BuyerRefused("member_code", found.value)
        stmt = stmt.where(Member.id == found)
    elif buyer.phone is not None:
        stmt = stmt.where(Member.phone == buyer.phone)
    else:
        raise BuyerRefused("openid", "missing")
    openids = session.scalars(stmt.order_by(Member.id).limit(2)).all()
    if len(openids) > 1:
        raise BuyerRefused("phone", "shared_phone")
    if not openids:
        raise UnknownMember(buyer.member_code or buyer.phone)
    return openids[0]


def post_order(
    session: Session,
    account_id: int,
    openid: str,
    order_no: object,
    amount_fen: object,
    paid_at: datetime | None,
    now: datetime,
) -> tuple[Order, bool]:
    """Store a paid order and put it in the outbox; the same order again returns the first (False)."""
    problems = order_problems(order_no, amount_fen, paid_at, now)
    if problems:
        raise InvalidOrder(problems)
    assert isinstance(order_no, str) and isinstance(amount_fen, int)
    member_id = session.scalar(
        select(Member.id).where(Member.account_id == account_id, Member.openid == openid)
    )
    if member_id is None:
        raise UnknownMember(openid)
    found = session.scalar(select(Order).where(Order.account_id == account_id, Order.order_no == order_no))
    if found is not None:
        if (found.member_id, found.amount_fen) != (member_id, amount_fen):
            raise OrderConflict(f"order {order_no} was posted before with a different member or amount")
        return found, False
    order = Order(
        account_id=account_id,
        member_id=member_id,
        order_no=order_no,
        amount_fen=amount_fen,
        refunded_fen=0,
        paid_at=paid_at or now,
        created_at=now,
    )
    session.add(order)
    session.flush()
    forget(session, account_id, order.paid_at)  # a back-dated order changes a past day's figures
    payload = {"order_no": order_no, "amount_fen": amount_fen, "paid_at": order.paid_at.isoformat()}
    record_api_event(
        session,
        account_id,
        openid,
        messages.ORDER_PAID,
        str(order.id),
        f"order:{order.id}",
        payload,
        order.paid_at,
    )
    return order, True


def refund_order(
    session: Session, account_id: int, order_no: str, refund_no: object, refund_fen: object, now: datetime
) -> tuple[Order, OrderRefund, bool]:
    """Refund part or all of an order once per refund number; the drain takes back its points."""
    if not isinstance(refund_no, str) or not 1 <= len(refund_no) <= 64:
        raise InvalidOrder(["refund_no must be 1-64 characters"])
    if not isinstance(refund_fen, int) or isinstance(refund_fen, bool):
        raise InvalidOrder(["refund_fen must be a positive whole number of fen"])
    order = session.scalar(
        select(Order).where(Order.account_id == account_id, Order.order_no == order_no).with_for_update()
    )
    if order is None:
        raise UnknownOrder(order_no)
    found = session.scalar(
        select(OrderRefund).where(OrderRefund.order_id == order.id, OrderRefund.refund_no == refund_no)
    )
    if found is not None:
        if found.refund_fen != refund_fen:
            raise OrderConflict(f"refund {refund_no} was posted before with {found.refund_fen} fen")
        return order, found, False
    problems = refund_problems(refund_fen, order.amount_fen, order.refunded_fen)
    if problems:
        raise InvalidOrder(problems)
    assert isinstance(refund_fen, int)
    refund = OrderRefund(order_id=order.id, refund_no=refund_no, refund_fen=refund_fen, refunded_at=now)
    session.add(refund)
    order.refunded_fen += refund_fen
    session.flush()
    forget(session, account_id, order.paid_at)  # revenue counts on the day paid
    openid = session.scalar(select(Member.openid).where(Member.id == order.member_id)) or ""
    payload = {"order_no": order_no, "refund_no": refund_no, "refund_fen": refund_fen}
    record_api_event(
        session,
        account_id,
        openid,
        messages.ORDER_REFUNDED,
        str(refund.id),
        f"refund:{refund.id}",
        payload,
        now,
    )
    return order, refund, True


def find_order(
    session: Session, account_id: int, order_no: str
) -> tuple[Order, str, list[OrderRefund]] | None:
    """An order of this account with its member's openid and its refunds, or None."""
    found = session.execute(
        select(Order, Member.openid)
        .join(Member, Member.id == Order.member_id)
        .where(Order.account_id == account_id, Order.order_no == order_no)
    ).first()
    if found is None:
        return None
    order, openid = found
    refunds = session.scalars(
        select(OrderRefund).where(OrderRefund.order_id == order.id).order_by(OrderRefund.id)
    )
    return order, openid, list(refunds)
