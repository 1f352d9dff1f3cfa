"""Finding members, and the account's orders and redemptions: newest first, paged by `before`."""

from __future__ import annotations

from bot.api.accounts.schemas import (
    ListQuery,
    MemberList,
    MemberQuery,
    MemberRow,
    OrderList,
    RedemptionList,
    RedemptionRow,
)
from bot.api.auth import current_account
from bot.api.outputs import local
from bot.api.points.schemas import Order
from bot.api.routes import operation
from bot.context import member_code_key
from bot.db import read
from models import utcnow
from rules.accounts.member_numbers import member_number
from rules.points.redemptions import status_of
from services.accounts import search


def member_filter(query: MemberQuery) -> search.MemberFilter:
    return search.MemberFilter(
        q=query.q,
        openid=query.openid,
        phone=query.phone,
        nickname=query.nickname,
        tag=query.tag,
        stage=query.stage,
        tier=query.tier,
        rfm=query.rfm,
        following=query.following,
    )


def member_row(found: search.Found) -> MemberRow:
    m = found.member
    return MemberRow.model_validate(
        {
            "id": m.id,
            "member_number": member_number(m.id),
            "openid": m.openid,
            "nickname": m.nickname,
            "phone": m.phone,
            "following": m.following,
            "first_followed_at": local(m.first_followed_at),
            "tier": m.tier_code,
            "stage": found.stage,
            "rfm_segment": found.rfm_segment,
            "influence": found.influence,
            "balance": m.points_balance,
            "earned": m.points_earned,
            "spend_fen": m.spend_fen,
        }
    )


def _next(ids: list[int], limit: int) -> int | None:
    return ids[-1] if len(ids) == limit else None


@operation("GET", "/members", tag="members", answer=MemberList, query=MemberQuery)
def search_members(query: MemberQuery) -> MemberList:
    """Find members: by openid, phone (or its first digits), tag, stage, tier, RFM segment, following
    Every filter given must hold; newest member first; `next_before` pages back. `q` also takes a
    member number (会员号) or a current member code (会员码)."""
    where, codes = member_filter(query), member_code_key()
    found = read(lambda s: search.members(s, current_account().id, where, query.before, query.limit, codes))
    items = [member_row(f) for f in found]
    return MemberList(items=items, next_before=_next([i.id for i in items], query.limit))


@operation("GET", "/orders", tag="orders", answer=OrderList, query=ListQuery)
def list_orders(query: ListQuery) -> OrderList:
    """The account's orders with their refunds, newest first, of one member if `openid` is given"""
    rows = read(lambda s: search.orders(s, current_account().id, query.openid, query.before, query.limit))
    items = [Order.of(o, openid, refunds) for o, openid, refunds in rows]
    return OrderList(items=items, next_before=_next([i.id for i in items], query.limit))


@operation("GET", "/redemptions", tag="rewards", answer=RedemptionList, query=ListQuery)
def list_redemptions(query: ListQuery) -> RedemptionList:
    """The account's redemptions, newest first, of one member if `openid` is given"""
    rows = read(
        lambda s: search.redemptions(s, current_account().id, query.openid, query.before, query.limit)
    )
    now = utcnow()
    items = [
        RedemptionRow.model_validate(
            {
                "id": r.id,
                "openid": openid,
                "reward_id": r.reward_id,
                "reward_name": name,
                "points": r.points,
                "code": r.code,
                "status": status_of(r.used_at, r.expires_at, now),
                "created_at": local(r.created_at),
                "expires_at": local(r.expires_at),
                "used_at": local(r.used_at),
            }
        )
        for r, openid, name in rows
    ]
    return RedemptionList(items=items, next_before=_next([i.id for i in items], query.limit))
