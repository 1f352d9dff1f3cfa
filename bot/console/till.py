"""The till (收银核销): find a member by member code (会员码, scanned), member number (会员号), phone or
openid; post an order in yuan for a member named by code, phone or openid; refund part or all of one —
the same models, rules and idempotency as POST /api/v1/orders and its refunds."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bot.access import current
from bot.api.points.schemas import NewOrder, NewRefund
from bot.console.members import field_errors, masked, short
from bot.console.web import done, page, view
from bot.context import member_code_key
from bot.db import read, write
from models import utcnow
from rules.accounts import member_codes
from rules.accounts.roles import Area
from rules.points.orders import BUYER_FIELDS
from services.accounts import search
from services.points import orders
from services.points.orders import (
    Buyer,
    BuyerRefused,
    InvalidOrder,
    OrderConflict,
    UnknownMember,
    UnknownOrder,
)
from services.referrals.shares import normalise_phone

MEMBER_HELP = "请扫描或输入会员码，或输入会员绑定的手机号、openid"
BUYER_WORDS = {
    "expired": member_codes.PROBLEM_NAMES[member_codes.CodeProblem.EXPIRED],
    "forged": member_codes.PROBLEM_NAMES[member_codes.CodeProblem.FORGED],
    "malformed": member_codes.PROBLEM_NAMES[member_codes.CodeProblem.MALFORMED],
    "shared_phone": "有多位会员绑定了这个手机号，请扫描顾客的会员码",
    "missing": MEMBER_HELP,
}

YUAN = re.compile(r"^\d{1,9}(\.\d{1,2})?$")


def fen_of(yuan: str) -> int | str:
    """'12.8' → 1280 fen; the text back when it is no amount (the model then names the field)."""
    text = yuan.strip().lstrip("¥").replace(",", "")
    if not YUAN.match(text):
        return text
    whole, _, cents = text.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def buyer_of(typed: str) -> dict[str, str]:
    """What the order form's one member field holds, as the API's field: a member code (scanned), a
    mobile number, or else an openid; nothing when it is empty."""
    text = typed.strip()
    if not text:
        return {}
    if member_codes.looks_like(text):
        return {"member_code": text.replace(" ", "")}
    phone = normalise_phone(text)
    return {"phone": phone} if phone else {"openid": text}


def _till(status: int = 200, **ctx: Any) -> ResponseReturnValue:
    account_id = current().account.id
    find = (request.values.get("find") or "").strip()[:64]
    found: list[search.Found] = []
    find_problem = None
    if find:
        codes = member_code_key()
        where = search.MemberFilter(q=find)
        found = read(lambda s: search.members(s, account_id, where, limit=10, codes=codes))
        if member_codes.looks_like(find):
            problem = member_codes.read(codes.secret_key, account_id, find, codes.now)
            if isinstance(problem, member_codes.CodeProblem):
                find_problem = member_codes.PROBLEM_NAMES[problem]
    recent = read(lambda s: search.orders(s, account_id, limit=10))
    ctx.setdefault("order_errors", {})
    ctx.setdefault("refund_errors", {})
    ctx.setdefault("order_form", {})
    ctx.setdefault("refund_form", {})
    return page(
        "console/till.html",
        status,
        find=find,
        found=found,
        find_problem=find_problem,
        recent=recent,
        masked=masked,
        short=short,
        **ctx,
    )


@view("/till", Area.TILL)
def till() -> ResponseReturnValue:
    return _till()


@view("/till/order", Area.TILL, methods=("POST",))
def till_order() -> ResponseReturnValue:
    form = {k: request.form.get(k, "").strip() for k in ("member", "order_no", "amount")}
    values = {**buyer_of(form["member"]), "order_no": form["order_no"], "amount_fen": fen_of(form["amount"])}
    try:
        body = NewOrder.model_validate(values)
    except ValidationError as exc:
        errors = field_errors(exc)
        if "amount_fen" in errors:
            errors["amount"] = "请输入金额(元),最多两位小数,不能为 0"
        if any(name in errors for name in BUYER_FIELDS) or "" in errors:
            errors["member"] = MEMBER_HELP
        return _till(422, order_errors=errors, order_form=form)
    account_id = current().account.id
    buyer, codes = Buyer(body.openid, body.member_code, body.phone), member_code_key()

    def save(session: Session) -> bool:
        openid = orders.buyer_openid(session, account_id, buyer, codes)
        return orders.post_order(session, account_id, openid, body.order_no, body.amount_fen, None, utcnow())[
            1
        ]

    try:
        created = write(save, wake=True)
    except BuyerRefused as exc:
        return _till(422, order_errors={"member": BUYER_WORDS[exc.reason]}, order_form=form)
    except UnknownMember:
        return _till(422, order_errors={"member": "找不到这位会员"}, order_form=form)
    except InvalidOrder as exc:
        return _till(422, order_errors={"amount": ";".join(exc.problems)}, order_form=form)
    except OrderConflict:
        errors = {"order_no": "这个订单号已用于其他会员或金额"}
        return _till(409, order_errors=errors, order_form=form)
    if not created:
        return done(f"订单 {body.order_no} 已记录过,没有重复记账", "console.till")
    return done(f"已记录订单 {body.order_no},积分稍后到账", "console.till")


@view("/till/refund", Area.TILL, methods=("POST",))
def till_refund() -> ResponseReturnValue:
    form = {k: request.form.get(k, "").strip() for k in ("order_no", "refund_no", "amount")}
    values = {"refund_no": form["refund_no"], "refund_fen": fen_of(form["amount"])}
    errors: dict[str, str] = {}
    if not form["order_no"]:
        errors["order_no"] = "必填"
    try:
        body = NewRefund.model_validate(values)
    except ValidationError as exc:
        errors |= field_errors(exc)
        if "refund_fen" in errors:
            errors["amount"] = "请输入退款金额(元),最多两位小数,不能为 0"
    if errors:
        return _till(422, refund_errors=errors, refund_form=form)
    account_id = current().account.id

    def save(session: Session) -> bool:
        return orders.refund_order(
            session, account_id, form["order_no"], body.refund_no, body.refund_fen, utcnow()
        )[2]

    try:
        created = write(save, wake=True)
    except UnknownOrder:
        return _till(422, refund_errors={"order_no": "找不到这个订单"}, refund_form=form)
    except InvalidOrder:
        errors = {"amount": "退款金额超过了订单可退的金额"}
        return _till(422, refund_errors=errors, refund_form=form)
    except OrderConflict:
        errors = {"refund_no": "这个退款单号已用于不同的金额"}
        return _till(409, refund_errors=errors, refund_form=form)
    if not created:
        return done(f"退款 {body.refund_no} 已记录过,没有重复退款", "console.till")
    return done(f"已退款 {body.refund_no},相应积分稍后扣回", "console.till")
