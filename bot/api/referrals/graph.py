"""Who brought whom, for the merchant: a member's referral tree and the top referrers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.api.auth import current_account
from bot.api.errors import ApiError
from bot.api.outputs import local
from bot.api.referrals.schemas import (
    RankedReferrer,
    ReferralNode,
    ReferralTree,
    TopQuery,
    TopReferrers,
    TreeQuery,
    Upline,
)
from bot.api.routes import operation
from bot.db import read
from services.accounts import members
from services.referrals import graph as referral_graph
from services.referrals.graph import RankedReferrer as Ranked
from services.referrals.graph import ReferralTree as Tree
from services.referrals.graph import TreeNode

TREE_NODES = 500  # a big referrer's tree is cut here (`truncated`); the counts stay whole


@operation("GET", "/members/<openid>/referrals", tag="referrals", answer=ReferralTree, query=TreeQuery)
def get_referrals(openid: str, query: TreeQuery) -> ReferralTree:
    """A member's referrer, their referrals down to ?depth= levels, and the counts"""

    def load(session: Session) -> ReferralTree:
        account_id = current_account().id
        member = members.find_member(session, account_id, openid)
        if member is None:
            raise ApiError(404, "unknown_member", f"no member has openid {openid}")
        return _tree(
            referral_graph.tree(session, account_id, member.id, query.depth, TREE_NODES), query.depth
        )

    return read(load)


@operation("GET", "/referrers/top", tag="referrals", answer=TopReferrers, query=TopQuery)
def get_top_referrers(query: TopQuery) -> TopReferrers:
    """The members whose referrals reach furthest, ranked by direct + second-degree referrals"""
    ranked = read(lambda s: referral_graph.top_referrers(s, current_account().id, query.limit))
    return TopReferrers(items=[_ranked(i, r) for i, r in enumerate(ranked, start=1)], limit=query.limit)


def _tree(t: Tree, depth: int) -> ReferralTree:
    top: list[ReferralNode] = []
    placed: dict[tuple[int, int], ReferralNode] = {}
    for node in t.nodes:  # by level: a node's referrer is placed before it
        out = _node(node)
        placed[node.level, node.member_id] = out
        above = top if node.level == 1 else placed[node.level - 1, node.referrer_id].referrals
        above.append(out)
    up = t.upline
    upline = None
    if up is not None:
        upline = Upline.model_validate(
            {
                "openid": up.openid,
                "following": up.following,
                "bound_at": local(up.bound_at),
                "status": up.status,
                "reasons": list(up.reasons),
            }
        )
    return ReferralTree(
        openid=t.openid,
        upline=upline,
        direct=t.direct,
        second_degree=t.second_degree,
        cascade=t.cascade,
        depth=depth,
        truncated=t.truncated,
        referrals=top,
    )


def _node(n: TreeNode) -> ReferralNode:
    return ReferralNode.model_validate(
        {
            "openid": n.openid,
            "following": n.following,
            "bound_at": local(n.bound_at),
            "status": n.status,
            "reasons": list(n.reasons),
            "direct": n.direct,
            "referrals": [],
        }
    )


def _ranked(rank: int, r: Ranked) -> RankedReferrer:
    return RankedReferrer(
        rank=rank,
        openid=r.openid,
        cascade=r.cascade,
        direct=r.direct,
        second_degree=r.second_degree,
        paid=r.paid,
        held=r.held,
        review=r.review,
        voided=r.voided,
        first_bound_at=local(r.first_bound_at),
    )
