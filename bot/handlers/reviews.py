"""评价 5 很好吃,服务周到: a review by text."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.dispatch import Ctx, Reply, command
from rules.clock import from_create_time
from rules.inbound import replies
from rules.inbound.messages import Inbound
from rules.points.reviews import ReviewProblem, parse_command
from services.accounts import members
from services.points import reviews


@command(r"^(评价|评论)", atomic=True)
def review(msg: Inbound, ctx: Ctx) -> Reply:
    draft = parse_command(msg.content or "")
    if isinstance(draft, ReviewProblem):
        return Reply(replies.review_problem(draft.reason))  # nothing stored but the message itself
    prog = ctx.programme()
    with Session(bind=ctx.db) as session:
        member = members.standing(session, ctx.account.id, msg.openid)
        at = from_create_time(msg.create_time)
        done = reviews.submit(session, prog, member.member_id, member.tier_code, draft, msg.dedup_key, at)
        session.flush()
    return Reply(replies.review_thanks(draft.rating, done.points, done.status == "pending", done.refusal))
