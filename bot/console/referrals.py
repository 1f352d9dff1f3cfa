"""Referrals (代言): the review queue with each decision's reasons, approve / reject, the top
referrers and a member's referral tree."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from bot.access import current
from bot.console.web import done, page, view
from bot.db import read, write
from models import utcnow
from rules.accounts.roles import Area, may
from services.accounts import members
from services.referrals import graph, rewards

QUEUE = 50  # of each status on the page
TOP = 20
TREE_DEPTH, TREE_NODES = 3, 200
STATUS_NAMES = {
    "held": "观察期",
    "review": "待审核",
    "refused": "已拒绝",
    "paid": "已发放",
    "voided": "已作废",
    "capped": "已达上限",
}
REASON_NAMES = {
    "self": "自己推荐自己",
    "refollow": "取关后重新关注,不算新粉丝",
    "ring": "互相推荐形成闭环",
    "burst": "短时间内推荐人数异常多",
    "no_interaction": "好友关注后一直没有互动",
    "unfollowed": "好友在观察期内取消关注",
    "merchant_rejected": "商家审核拒绝",
}


def reasons_of(reasons: list[str] | tuple[str, ...] | None) -> list[str]:
    return [REASON_NAMES.get(r, r) for r in reasons or ()]


@view("/referrals", Area.READ)
def referrals() -> ResponseReturnValue:
    account_id = current().account.id

    def look(s: Session) -> tuple[list[Any], list[Any], int, list[Any]]:
        review, in_review = graph.referrals_page(s, account_id, "review", 1, QUEUE)
        held, _ = graph.referrals_page(s, account_id, "held", 1, QUEUE)
        return review, held, in_review, graph.top_referrers(s, account_id, TOP)

    review, held, in_review, top = read(look)
    return page(
        "console/referrals.html",
        review=review,
        held=held,
        in_review=in_review,
        top=top,
        reasons_of=reasons_of,
        statuses=STATUS_NAMES,
        may_decide=may(current().role, Area.REFERRALS),
    )


@view("/referrals/<id:referral_id>/<decision>", Area.REFERRALS, methods=("POST",))
def referrals_decide(referral_id: int, decision: str) -> ResponseReturnValue:
    """Approve (pay both sides now) or reject a referral waiting for review."""
    if decision not in ("approve", "reject"):
        abort(404)
    account_id = current().account.id
    approve = decision == "approve"
    try:
        write(lambda s: rewards.review(s, account_id, referral_id, approve, utcnow()).id)
    except LookupError:
        abort(404)
    except rewards.NotReviewable:
        flash("这条推荐已处理过,无需再审核", "error")
        return redirect(url_for("console.referrals"))
    return done("已通过,奖励已发放" if approve else "已拒绝", "console.referrals")


@view("/referrals/members/<openid>", Area.READ)
def referrals_tree(openid: str) -> ResponseReturnValue:
    account_id = current().account.id
    depth = min(max(request.args.get("depth", TREE_DEPTH, type=int) or TREE_DEPTH, 1), 5)

    def look(s: Session) -> graph.ReferralTree:
        member = members.find_member(s, account_id, openid)
        if member is None:
            abort(404)
        return graph.tree(s, account_id, member.id, depth, TREE_NODES)

    tree = read(look)
    return page(
        "console/referrals_tree.html",
        tree=tree,
        depth=depth,
        reasons_of=reasons_of,
        statuses=STATUS_NAMES,
    )
