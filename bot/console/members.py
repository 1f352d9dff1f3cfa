"""Members: the search and list, one member's page (points, activity, referrals, scores, tags), a
manual points adjustment and hand-set tags."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bot.access import current
from bot.api.accounts.schemas import MemberQuery, PointsAdjustment
from bot.api.types import problems_of
from bot.console.web import done, page, view
from bot.context import member_code_key
from bot.db import read, write
from models import Member, utcnow
from rules.accounts.roles import Area, may
from rules.segments.scoring import PART_NAMES, SEGMENT_NAMES, STAGE_ORDER, STAGES
from services.accounts import members as member_service
from services.accounts import search
from services.points import adjustments, balances, programme
from services.referrals import graph
from services.segments import tag_mirror

PAGE = 20
LEDGER_PAGE = 20

_WORDS = (  # problems_of's words, as a merchant reads them
    (r"^is required$", "必填"),
    (r"^must not be empty$", "不能为空"),
    (r"^must not be 0$", "不能为 0"),
    (r"^must be a whole number$", "须为整数"),
    (r"^must be true or false$", "请选择是或否"),
    (r"^must be at least (\S+) characters$", r"至少 \1 个字"),
    (r"^must be at most (\S+) characters$", r"最多 \1 个字"),
    (r"^must be at least (\S+)$", r"不能小于 \1"),
    (r"^must be at most (\S+)$", r"不能大于 \1"),
    (r"^must match .*$", "格式不正确"),
    (r"^must be one of .*$", "不是可选的值"),
)


def in_chinese(words: str) -> str:
    for pattern, said in _WORDS:
        if re.match(pattern, words):
            return re.sub(pattern, said, words)
    return words


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Each problem by its field, in Chinese: what the API would answer, next to the input."""
    out: dict[str, str] = {}
    for problem in problems_of(exc):
        field, _, words = problem.partition(": ")
        out.setdefault(field.split(".")[0].split("[")[0], in_chinese(words))
    return out


def masked(phone: str | None) -> str:
    """138****1234: enough for staff to recognise a member, not enough to copy the number."""
    if not phone:
        return "—"
    if len(phone) < 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return f"{phone[:3]}****{phone[-4:]}"


def short(openid: str) -> str:
    """An openid as a list shows it on a phone: its tail tells members apart (an account's openids share
    their head); the whole one is a tap away."""
    return openid if len(openid) <= 14 else f"{openid[:3]}…{openid[-8:]}"


def tier_names(session: Session, account_id: int) -> dict[str, str]:
    return {t.code: t.name for t in programme.load(session, account_id).tiers}


@view("/members", Area.READ)
def members() -> ResponseReturnValue:
    account_id = current().account.id
    raw = {k: v.strip() for k, v in request.args.items() if k in MemberQuery.model_fields and v.strip()}
    raw.setdefault("limit", str(PAGE))
    errors: dict[str, str] = {}
    try:
        query = MemberQuery.model_validate(raw)
    except ValidationError as exc:
        errors = field_errors(exc)
        query = MemberQuery.model_validate({"limit": PAGE})
    where = search.MemberFilter(
        q=query.q,
        tag=query.tag,
        stage=query.stage,
        tier=query.tier,
        rfm=query.rfm,
        following=query.following,
        phone=query.phone,
        nickname=query.nickname,
        openid=query.openid,
    )

    codes = member_code_key()

    def load(session: Session) -> tuple[list[search.Found], dict[str, str]]:
        found = search.members(session, account_id, where, query.before, query.limit, codes)
        return found, tier_names(session, account_id)

    rows, tiers = read(load)
    older = rows[-1].member.id if len(rows) == query.limit and not errors else None
    kept = {k: v for k, v in raw.items() if k not in ("before", "limit")}
    return page(
        "console/members.html",
        422 if errors else 200,
        rows=rows,
        tiers=tiers,
        stages=[(s, STAGES[s]) for s in STAGE_ORDER],
        segments=list(SEGMENT_NAMES.items()),
        stage_names=STAGES,
        segment_names=SEGMENT_NAMES,
        form=raw,
        kept=kept,
        older=older,
        errors=errors,
        masked=masked,
        short=short,
    )


def _find(session: Session, openid: str) -> Member:
    found = member_service.find_member(session, current().account.id, openid)
    if found is None:
        abort(404)
    return found


def _member_page(
    openid: str,
    status: int = 200,
    adjust_errors: dict[str, str] | None = None,
    adjust_form: dict[str, str] | None = None,
) -> ResponseReturnValue:
    account = current().account
    ledger_page = max(1, min(request.args.get("page", 1, type=int) or 1, 1_000_000))

    def load(session: Session) -> dict[str, Any]:
        member = _find(session, openid)
        prog = programme.load(session, account.id)
        statement = balances.statement(
            session, account.id, openid, prog.tiers, prog.tier_basis, prog.timezone, utcnow()
        )
        entries, total = balances.history(session, member.id, ledger_page, LEDGER_PAGE)
        return {
            "member": member,
            "statement": statement,
            "entries": entries,
            "ledger_total": total,
            "checkins": search.recent_checkins(session, member.id),
            "reviews": search.recent_reviews(session, member.id),
            "tree": graph.tree(session, account.id, member.id, depth=2, limit=50),
            "score": search.score_of(session, member.id),
            "tags": tag_mirror.tags_of(session, member.id),
            "tiers": {t.code: t.name for t in prog.tiers},
            "task_names": prog.task_names,
        }

    ctx = read(load)
    return page(
        "console/member.html",
        status,
        **ctx,
        ledger_page=ledger_page,
        ledger_pages=max(1, -(-ctx["ledger_total"] // LEDGER_PAGE)),
        stage_names=STAGES,
        segment_names=SEGMENT_NAMES,
        part_names=PART_NAMES,
        masked=masked,
        adjust_errors=adjust_errors or {},
        adjust_form=adjust_form or {},
        adjust_key=uuid.uuid4().hex,
        can_manage=may(current().role, Area.MEMBERS),
    )


@view("/members/<openid>", Area.READ)
def member(openid: str) -> ResponseReturnValue:
    return _member_page(openid)


@view("/members/<openid>/adjust", Area.MEMBERS, methods=("POST",))
def members_adjust(openid: str) -> ResponseReturnValue:
    """Add or take away points with a reason: one ledger entry per form (its hidden one-time key)."""
    form = {k: request.form.get(k, "") for k in ("points", "reason", "key")}
    values: dict[str, object] = dict(form)
    points = form["points"].strip().replace("+", "", 1)
    if re.fullmatch(r"-?\d{1,9}", points):
        values["points"] = int(points)
    try:
        body = PointsAdjustment.model_validate(values)
    except ValidationError as exc:
        errors = field_errors(exc)
        if "key" in errors:
            errors = {"points": "页面已过期,请刷新后重试"} | {k: v for k, v in errors.items() if k != "key"}
        return _member_page(openid, 422, errors, form)
    account_id = current().account.id

    def save(session: Session) -> adjustments.Adjusted:
        target = _find(session, openid)
        prog = programme.load(session, account_id)
        return adjustments.adjust(session, prog, target.id, body.points, body.reason, body.key, utcnow())

    try:
        result = write(save)
    except adjustments.BelowZero as exc:
        errors = {"points": f"积分不足:最多可扣 {exc.available} 分(冻结中的积分不能扣)"}
        return _member_page(openid, 422, errors, form)
    if not result.new:
        return done("这次调整已经提交过,没有重复记账", "console.member", openid=openid)
    sign = "+" if body.points > 0 else ""
    return done(f"已调整积分 {sign}{body.points}", "console.member", openid=openid)


def _tag_words(problem: str) -> str:
    if "empty" in problem:
        return "标签不能为空"
    if "at most" in problem:
        return f"标签最多 {tag_mirror.NAME_MAX} 个字"
    return "这类标签由分层规则自动设置,不能手动添加"


@view("/members/<openid>/tags", Area.MEMBERS, methods=("POST",))
def members_tag(openid: str) -> ResponseReturnValue:
    tag = request.form.get("tag", "").strip()
    problem = tag_mirror.manual_problem(tag)
    if problem:
        flash(_tag_words(problem), "error")
        return _redirect(openid)
    account_id = current().account.id

    def save(session: Session) -> bool:
        target = _find(session, openid)
        return tag_mirror.put_manual(session, account_id, target.id, tag)[1]

    new = write(save)
    return done(f"已添加标签「{tag}」" if new else f"已有标签「{tag}」", "console.member", openid=openid)


@view("/members/<openid>/tags/remove", Area.MEMBERS, methods=("POST",))
def members_untag(openid: str) -> ResponseReturnValue:
    tag = request.form.get("tag", "").strip()

    def remove(session: Session) -> None:
        target = _find(session, openid)
        try:
            tag_mirror.remove_manual(session, target.id, tag, utcnow())
        except LookupError:
            raise TagRefused("该会员没有这个标签") from None
        except tag_mirror.RuleTag:
            raise TagRefused("这个标签由分层规则自动设置,不能手动移除") from None

    try:
        write(remove)  # a refusal rolls back: nothing stored, nothing logged
    except TagRefused as exc:
        flash(str(exc), "error")
        return _redirect(openid)
    return done(f"已移除标签「{tag}」", "console.member", openid=openid)


class TagRefused(Exception):
    """The tag cannot be removed by hand (said in Chinese)."""


def _redirect(openid: str) -> ResponseReturnValue:
    return redirect(url_for("console.member", openid=openid))
