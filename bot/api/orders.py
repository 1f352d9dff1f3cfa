"""Orders from the merchant's shop and their refunds: each stored once by its number."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy.orm import Session

from bot.api import api, inputs, outputs
from bot.api.auth import current_account
from bot.api.db import read, write
from bot.api.errors import ApiError
from models import utcnow
from rules.points.orders import order_problems
from services import api_support
from services.points import orders
from services.points.orders import InvalidOrder, OrderConflict, UnknownMember


def _order_json(session: Session, order_no: str) -> dict[str, Any]:
    found = api_support.find_order(session, current_account().id, order_no)
    if found is None:
        raise ApiError(404, "unknown_order", f"no order {order_no}")
    order, openid, refunds = found
    return {**outputs.order(order, openid), "refunds": [outputs.refund(r) for r in refunds]}


@api.post("/orders")
def post_order() -> tuple[Response, int]:
    """201 with the new order; 200 and `duplicate` for the same order again; 404, 409 or 422 otherwise."""
    body = inputs.json_object()
    inputs.fields(
        body,
        "invalid_order",
        {"order_no", "openid", "amount_fen", "paid_at"},
        ("order_no", "openid", "amount_fen"),
    )
    now, openid = utcnow(), body["openid"]
    problems = [] if api_support.text(openid, 1, 64) else ["openid must be 1-64 characters"]
    try:
        paid_at = inputs.parse_time(body.get("paid_at"))
    except ValueError:
        paid_at, problems = None, [*problems, "paid_at must be an ISO 8601 time with a UTC offset"]
    if problems:
        problems += order_problems(body["order_no"], body["amount_fen"], None, now)
        raise ApiError(422, "invalid_order", "the order does not hold", problems)

    def save(session: Session) -> tuple[dict[str, Any], bool]:
        try:
            order, created = orders.post_order(
                session, current_account().id, openid, body["order_no"], body["amount_fen"], paid_at, now
            )
        except InvalidOrder as exc:
            raise ApiError(422, "invalid_order", "the order does not hold", exc.problems) from None
        except UnknownMember:
            raise ApiError(404, "unknown_member", f"no member has openid {openid}") from None
        except OrderConflict as exc:
            raise ApiError(409, "order_conflict", str(exc)) from None
        return _order_json(session, order.order_no), created

    order, created = write(save, wake=True)
    return jsonify({**order, "duplicate": not created}), 201 if created else 200


@api.get("/orders/<order_no>")
def get_order(order_no: str) -> Response:
    return jsonify(read(lambda s: _order_json(s, order_no)))


@api.post("/orders/<order_no>/refunds")
def post_refund(order_no: str) -> tuple[Response, int]:
    """201 with the refund; 200 and `duplicate` for the same refund again; 404, 409 or 422 otherwise."""
    body = inputs.json_object()
    inputs.fields(body, "invalid_refund", {"refund_no", "refund_fen"}, {"refund_no", "refund_fen"})
    if not api_support.whole(body["refund_fen"], 1):
        raise ApiError(
            422,
            "invalid_refund",
            "the refund does not hold",
            ["refund_fen must be a positive whole number of fen"],
        )

    def save(session: Session) -> dict[str, Any]:
        try:
            _, refund, created = orders.refund_order(
                session, current_account().id, order_no, body["refund_no"], body["refund_fen"], utcnow()
            )
        except orders.UnknownOrder:
            raise ApiError(404, "unknown_order", f"no order {order_no}") from None
        except InvalidOrder as exc:
            raise ApiError(422, "invalid_refund", "the refund does not hold", exc.problems) from None
        except OrderConflict as exc:
            raise ApiError(409, "refund_conflict", str(exc)) from None
        return {
            "refund": outputs.refund(refund),
            "order": _order_json(session, order_no),
            "duplicate": not created,
        }

    out = write(save, wake=True)
    return jsonify(out), 200 if out["duplicate"] else 201
