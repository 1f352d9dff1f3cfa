"""Orders from the merchant's shop and their refunds: each stored once by its number."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.api.auth import current_account
from bot.api.errors import ApiError
from bot.api.points.schemas import NewOrder, NewRefund, Order, OrderPosted, Refund, RefundPosted
from bot.api.routes import operation
from bot.context import member_code_key
from bot.db import read, write
from models import utcnow
from rules.accounts.roles import Area
from services.points import orders
from services.points.orders import Buyer, BuyerRefused, InvalidOrder, OrderConflict, UnknownMember

BUYER_WORDS = {
    "expired": "expired: a member code lives a minute; ask the customer to show a fresh one",
    "forged": "is not a valid member code of this account",
    "malformed": "is not a member code",
    "shared_phone": "several members bound this phone; name the member by member_code or openid",
    "missing": "required, or member_code or phone instead",
}


def _order(session: Session, order_no: str) -> Order:
    found = orders.find_order(session, current_account().id, order_no)
    if found is None:
        raise ApiError(404, "unknown_order", f"no order {order_no}")
    return Order.of(*found)


@operation(
    "POST",
    "/orders",
    area=Area.TILL,
    tag="orders",
    answer=OrderPosted,
    status=201,
    also=(200,),
    body=NewOrder,
    invalid="invalid_order",
    errors=(409,),
)
def post_order(body: NewOrder) -> tuple[OrderPosted, int]:
    """Post a paid order (201 new, 200 and `duplicate` for the same order again)
    The member is named by exactly one of `openid`, `member_code` (会员码, scanned at the till: it
    lives a minute, an expired or forged one is 422) or `phone` (404 when no member bound it)."""
    buyer = Buyer(body.openid, body.member_code, body.phone)
    codes = member_code_key()

    def save(session: Session) -> tuple[Order, bool]:
        account_id = current_account().id
        try:
            openid = orders.buyer_openid(session, account_id, buyer, codes)
            order, created = orders.post_order(
                session, account_id, openid, body.order_no, body.amount_fen, body.paid_at, utcnow()
            )
        except BuyerRefused as exc:
            details = [f"{exc.field}: {BUYER_WORDS[exc.reason]}"]
            raise ApiError(422, "invalid_order", "the order names no one member", details) from None
        except InvalidOrder as exc:
            raise ApiError(422, "invalid_order", "the order does not hold", exc.problems) from None
        except UnknownMember:
            named = next(f"{k} {v}" for k, v in vars(buyer).items() if v is not None)
            raise ApiError(404, "unknown_member", f"no member has {named}") from None
        except OrderConflict as exc:
            raise ApiError(409, "order_conflict", str(exc)) from None
        return _order(session, order.order_no), created

    order, created = write(save, wake=True)
    return OrderPosted(**order.model_dump(), duplicate=not created), 201 if created else 200


@operation("GET", "/orders/<order_no>", tag="orders", answer=Order)
def get_order(order_no: str) -> Order:
    """An order and its refunds"""
    return read(lambda s: _order(s, order_no))


@operation(
    "POST",
    "/orders/<order_no>/refunds",
    area=Area.TILL,
    tag="orders",
    answer=RefundPosted,
    status=201,
    also=(200,),
    body=NewRefund,
    invalid="invalid_refund",
    errors=(409,),
)
def post_refund(order_no: str, body: NewRefund) -> tuple[RefundPosted, int]:
    """Refund part or all of an order (201 new, 200 and `duplicate` for the same refund again)"""

    def save(session: Session) -> RefundPosted:
        try:
            _, refund, created = orders.refund_order(
                session, current_account().id, order_no, body.refund_no, body.refund_fen, utcnow()
            )
        except orders.UnknownOrder:
            raise ApiError(404, "unknown_order", f"no order {order_no}") from None
        except InvalidOrder as exc:
            raise ApiError(422, "invalid_refund", "the refund does not hold", exc.problems) from None
        except OrderConflict as exc:
            raise ApiError(409, "refund_conflict", str(exc)) from None
        return RefundPosted(refund=Refund.of(refund), order=_order(session, order_no), duplicate=not created)

    out = write(save, wake=True)
    return out, 200 if out.duplicate else 201
