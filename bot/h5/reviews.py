"""写评价 and the account's reviews with their likes.

A review written here goes into the outbox with the review's own source key as its dedup key:
that is how the drain finds the review and pays for it, exactly as for `评价 5 …` by text.
"""

from __future__ import annotations

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from bot.context import tiefen
from bot.h5 import forms, h5
from bot.h5 import shapes as figures
from bot.h5 import wording as labels
from bot.h5.identity import Visitor, form_token, member_action, member_page
from bot.h5.web import Refused, page
from models import utcnow
from rules.accounts.nicknames import masked_nickname
from rules.inbound import replies
from rules.inbound.messages import REVIEW_SUBMITTED
from rules.points.reviews import MAX_TEXT, ReviewProblem, read_review
from rules.points.tasks import Action
from services.accounts import members
from services.inbound import outbox as inbound
from services.points import reviews
from tasks import wake_drainer

PER_PAGE = 30
MAX_PAGE = 10_000
PROBLEMS = {"rating": "请选择 1 到 5 星评分", "too_long": f"评价内容最多 {MAX_TEXT} 字，请精简后再提交"}


@h5.get("/<appid>/reviews/new")
@member_page
def new_review(me: Visitor) -> tuple[str, int]:
    return _form(me, form_token(me, "review"))


@h5.post("/<appid>/reviews")
@member_action("review")
def submit_review(me: Visitor, key: str) -> tuple[str, int]:
    draft = read_review(request.form.get("rating", ""), request.form.get("text", ""))
    if isinstance(draft, ReviewProblem):  # nothing stored: the same form (and token) may try again
        return _form(me, request.form[forms.FIELD], PROBLEMS.get(draft.reason, draft.reason), 400)
    prog = tiefen().programmes.get(me.account.id)
    now, source = utcnow(), f"h5review:{key}"
    with tiefen().runtime.job_sessions.begin() as session:
        standing = members.standing(session, me.account.id, me.openid)
        done = reviews.submit(
            session, prog, standing.member_id, standing.tier_code, draft, source_key=source, at=now
        )
        payload: dict[str, object] = {"review_id": done.review_id, "rating": draft.rating, "source": "h5"}
        stored = inbound.record_api_event(
            session, me.account.id, me.openid, REVIEW_SUBMITTED, None, source, payload, now
        )
    if stored is not None:
        wake_drainer()  # after commit: the drain must find the event
    if done.review_id is None:
        thanks = "这条评价已经提交过了，无需重复提交。"
    else:
        thanks = replies.review_thanks(draft.rating, done.points, done.status == "pending", done.refusal)
    return page("h5/reviews/done.html", me=me, thanks=thanks)


@h5.get("/<appid>/reviews")
@member_page
def review_list(me: Visitor) -> tuple[str, int]:
    prog = tiefen().programmes.get(me.account.id)
    number = _page_number(request.args.get("page"))
    with tiefen().sessions() as session:
        member_id = members.member_id_of(session, me.account.id, me.openid)
        rows, total = reviews.approved_reviews(session, me.account.id, member_id, number, PER_PAGE)
        pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
        if not rows and number > pages:  # past the last page: show the last page
            number = pages
            rows, total = reviews.approved_reviews(session, me.account.id, member_id, number, PER_PAGE)
        counts = reviews.star_counts(session, me.account.id)
    items = [
        (
            row.review,
            row.liked,
            row.review.member_id == member_id,
            masked_nickname(row.nickname),
            labels.local_time(row.review.created_at, prog.timezone),
        )
        for row in rows
    ]
    return page(
        "h5/reviews/list.html",
        me=me,
        items=items,
        stars=figures.stars(counts),
        number=number,
        pages=pages,
        total=total,
        token=form_token(me, "like"),
    )


@h5.post("/<appid>/reviews/<id:review_id>/like")
@member_action("like")
def like(me: Visitor, key: str, review_id: int) -> Response:
    with tiefen().runtime.job_sessions.begin() as session:
        review = reviews.approved_review_of(session, me.account.id, review_id)
        if review is None:
            raise Refused(404, "该评价不存在。")
        standing = members.standing(session, me.account.id, me.openid)
        if review.member_id != standing.member_id:  # liking one's own review counts for nothing
            reviews.like(session, review_id, standing.member_id)
    number = _page_number(request.form.get("page"))
    back = url_for("h5.review_list", appid=me.account.appid, page=number if number > 1 else None)
    return redirect(f"{back}#r{review_id}", 303)


def _page_number(raw: str | None) -> int:
    """A page number from a form or query: 1 for anything that is not one."""
    return min(max(int(raw), 1), MAX_PAGE) if raw and raw.isascii() and raw.isdigit() and len(raw) < 10 else 1


def _form(me: Visitor, token: str, problem: str | None = None, status: int = 200) -> tuple[str, int]:
    task = tiefen().programmes.get(me.account.id).tasks.get(Action.REVIEW)
    return page(
        "h5/reviews/form.html",
        status,
        me=me,
        token=token,
        task=task if task and task.enabled and task.points > 0 else None,
        problem=problem,
        rating=request.form.get("rating", ""),
        text=request.form.get("text", ""),
        max_text=MAX_TEXT,
    )
