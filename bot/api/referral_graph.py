"""Who brought whom, for the merchant: a member's referral tree and the top referrers."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from sqlalchemy.orm import Session

from bot.api import api, outputs
from bot.api.auth import current_account
from bot.api.db import read
from bot.api.errors import ApiError
from services import api_support
from services.referrals import graph as referral_graph
from services.referrals.graph import RankedReferrer, ReferralTree, TreeNode

MAX_DEPTH = 5
MAX_TOP = 1000
TREE_NODES = 500  # a big referrer's tree is cut here (`truncated`); the counts stay whole


def _bounded(name: str, default: int, hi: int) -> int:
    """`?name=` as a whole number 1…hi; 400 `invalid_query` otherwise."""
    try:
        value = int(request.args.get(name, str(default)))
    except ValueError:
        value = 0
    if not 1 <= value <= hi:
        raise ApiError(400, "invalid_query", f"{name} must be a whole number from 1 to {hi}")
    return value


@api.get("/members/<openid>/referrals")
def get_referrals(openid: str) -> Response:
    """The member's referrer, their referrals down to ?depth= levels (1-5, default 2), and counts."""
    depth = _bounded("depth", 2, MAX_DEPTH)

    def load(session: Session) -> dict[str, Any]:
        account_id = current_account().id
        member = api_support.find_member(session, account_id, openid)
        if member is None:
            raise ApiError(404, "unknown_member", f"no member has openid {openid}")
        return _tree(referral_graph.tree(session, account_id, member.id, depth, TREE_NODES), depth)

    return jsonify(read(load))


@api.get("/referrers/top")
def get_top_referrers() -> Response:
    """The members whose referrals reach furthest: ranked by direct + second-degree referrals."""
    limit = _bounded("limit", 100, MAX_TOP)
    ranked = read(lambda s: referral_graph.top_referrers(s, current_account().id, limit))
    return jsonify({"items": [_ranked(i, r) for i, r in enumerate(ranked, start=1)], "limit": limit})


def _tree(t: ReferralTree, depth: int) -> dict[str, Any]:
    top: list[dict[str, Any]] = []
    placed: dict[tuple[int, int], dict[str, Any]] = {}
    for node in t.nodes:  # by level: a node's referrer is placed before it
        out = _node(node)
        placed[node.level, node.member_id] = out
        above = top if node.level == 1 else placed[node.level - 1, node.referrer_id]["referrals"]
        above.append(out)
    up = t.upline
    return {
        "openid": t.openid,
        "upline": up
        and {
            "openid": up.openid,
            "following": up.following,
            "bound_at": outputs.iso(up.bound_at),
            "status": up.status,
            "reasons": list(up.reasons),
        },
        "direct": t.direct,
        "second_degree": t.second_degree,
        "cascade": t.cascade,
        "depth": depth,
        "truncated": t.truncated,
        "referrals": top,
    }


def _node(n: TreeNode) -> dict[str, Any]:
    return {
        "openid": n.openid,
        "following": n.following,
        "bound_at": outputs.iso(n.bound_at),
        "status": n.status,
        "reasons": list(n.reasons),
        "direct": n.direct,
        "referrals": [],
    }


def _ranked(rank: int, r: RankedReferrer) -> dict[str, Any]:
    return {
        "rank": rank,
        "openid": r.openid,
        "cascade": r.cascade,
        "direct": r.direct,
        "second_degree": r.second_degree,
        "paid": r.paid,
        "held": r.held,
        "review": r.review,
        "voided": r.voided,
        "first_bound_at": outputs.iso(r.first_bound_at),
    }
