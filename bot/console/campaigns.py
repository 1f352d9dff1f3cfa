"""Campaigns and journeys: the list, the editor with its live audience preview, a campaign's page
(preview, dry-run sample, send / pause / resume / cancel) and its report per variant."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from bot.access import current
from bot.api.campaigns.schemas import Audience, NewCampaign
from bot.api.types import problems_of
from bot.console.charts import bars
from bot.console.web import done, page, view
from bot.context import tiefen
from bot.db import read, write
from models import Campaign, utcnow
from rules.accounts.roles import Area, may
from rules.campaigns.lifecycle import ACTIONS, Action
from rules.campaigns.planner import Rules
from rules.segments.scoring import SEGMENT_NAMES, STAGES
from services.accounts import images
from services.accounts.images import ImageRefused, Reencoded
from services.campaigns import audience as campaigns_service
from services.campaigns import covers, lifecycle
from services.campaigns import journeys as journeys_service
from services.campaigns import reports as campaign_reports
from services.points.tiers import tiers_of
from services.referrals.codes import channels_of
from tasks.campaigns import queue_senders

PER_PAGE = 20
STATUS_NAMES = {
    "draft": "草稿",
    "scheduled": "已排期",
    "sending": "发送中",
    "paused": "已暂停",
    "done": "已完成",
    "cancelled": "已取消",
    "recurring": "周期发送",
}
ACTION_NAMES = {Action.SEND: "发送", Action.PAUSE: "暂停", Action.RESUME: "继续", Action.CANCEL: "取消"}
ACTION_DONE = {
    Action.SEND: "已开始发送",
    Action.PAUSE: "已暂停",
    Action.RESUME: "已继续发送",
    Action.CANCEL: "已取消",
}
CHANNEL_NAMES = {"kf": "客服消息", "mass": "群发"}
HELD_NAMES = {
    "unfollowed": "已取消关注",
    "quiet_hours": "免打扰时段",
    "daily_cap": "今日已达上限",
    "weekly_cap": "本周已达上限",
    "mass_quota": "本月群发次数已用完",
    "unknown": "其他",
}
TRIGGER_NAMES = {
    "follow": "关注后",
    "first_checkin": "首次签到后",
    "streak_at_risk": "连续签到将中断",
    "inactive": "长时间未互动",
    "tier_up": "等级提升",
    "became_kol": "成为 KOL",
}
AUDIENCE_INTS = ("points_min", "points_max", "active_within_days", "inactive_for_days")
AUDIENCE_LISTS = ("tiers", "stages", "rfm_segments", "channels")
AUDIENCE_KEYS = (*AUDIENCE_LISTS, "tags", "kol", *AUDIENCE_INTS, "followed_since")
WORDS = (  # the validators' words as a merchant reads them
    (r"^must not be empty$", "不能为空"),
    (r"^is required$", "必填"),
    (r"^must be a whole number$", "请填写整数"),
    (r"^must be at least (\d+) characters$", r"至少 \1 个字"),
    (r"^must be at most (\d+) characters$", r"最多 \1 个字"),
    (r"^must be at least (\S+)$", r"不能小于 \1"),
    (r"^must be at most (\S+)$", r"不能大于 \1"),
    (r"^must have at most (\d+) items$", r"最多 \1 项"),
    (r"^must match .*$", "格式不正确"),
    (r"^must be one of .*$", "请从选项中选择"),
    (r"^must be an ISO 8601 time.*$", "请填写正确的日期时间"),
    (r"^is in the past$", "不能早于现在"),
    (r"^no tier '(.*)'$", r"没有等级「\1」"),
    (r"^variant splits must add up to 100, not (\d+)$", r"各版本比例之和须为 100,现为 \1"),
    (r"^variant codes must differ$", "版本代码不能重复"),
    (r"^send_at and recurring exclude each other.*$", "定时发送与周期发送只能选一种"),
    (r"^recurring may fire at most once an hour.*$", "周期发送最多每小时一次"),
    (r"^points_min cannot exceed points_max$", "最低积分不能大于最高积分"),
    (r"^\w+ needs trigger_days, 1-(\d+)$", r"这种触发需要填写天数(1–\1)"),
)


PREFIXES = (  # problems over several fields, shown by the first of them
    ("inactive needs", "trigger_days"),
    ("streak_at_risk needs", "trigger_days"),
    ("variant", "variants"),
    ("recurring", "recurring"),
    ("send_at", "send_at"),
    ("points_min", "audience.points_min"),
)


def zh(words: str) -> str:
    for pattern, said in WORDS:
        if re.match(pattern, words):
            return re.sub(pattern, said, words)
    return words


def field_errors(problems: list[str], fields: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Each problem next to its field (`field: words`), the others for the top of the form."""
    by_field: dict[str, list[str]] = {}
    rest: list[str] = []
    for problem in problems:
        head, sep, words = problem.partition(": ")
        head = re.sub(r"^(audience\.\w+)\[\d+\]$", r"\1", head)  # a list's item: the list's field
        key = head if head in fields else f"audience.{head}" if f"audience.{head}" in fields else None
        if sep and key is not None:
            by_field.setdefault(key, []).append(zh(words))
            continue
        for prefix, field in PREFIXES:
            if problem.startswith(prefix):
                by_field.setdefault(field, []).append(zh(problem))
                break
        else:
            rest.append(zh(problem))
    return by_field, rest


def _int(text: str) -> int | str:
    """A whole number from a form field, or the text itself for the model to refuse."""
    try:
        return int(text.strip())
    except ValueError:
        return text


def _minute(text: str) -> int | str:
    found = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    return int(found.group(1)) * 60 + int(found.group(2)) if found else text


def _local(text: str, tz: str, fmt: str) -> datetime | str:
    try:
        return datetime.strptime(text.strip(), fmt).replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        return text


def audience_of(form: MultiDict[str, str], tz: str) -> dict[str, Any]:
    """The audience filters of the editor's form, as the API's Audience model takes them."""
    out: dict[str, Any] = {}
    for key in AUDIENCE_LISTS:
        values = [v for v in form.getlist(key) if v.strip()]
        if values:
            out[key] = values
    tags = [t for t in re.split(r"[,,、\s]+", form.get("tags", "")) if t]
    if tags:
        out["tags"] = tags
    if form.get("kol"):
        out["kol"] = True
    for key in AUDIENCE_INTS:
        if form.get(key, "").strip():
            out[key] = _int(form[key])
    if form.get("followed_since", "").strip():
        out["followed_since"] = _local(form["followed_since"], tz, "%Y-%m-%d")
    return out


def draft_of(form: MultiDict[str, str], tz: str) -> dict[str, Any]:
    """The whole editor's form as the API's NewCampaign body."""
    ab = bool(form.get("ab")) or bool(form.get("b_title", "").strip() or form.get("b_summary", "").strip())
    variants: list[dict[str, Any]] = []
    for code, prefix in (("A", "a_"), ("B", "b_")):
        if code == "B" and not ab:
            break
        split: int | str = _int(form.get(prefix + "split", "")) if ab else 100
        variants.append(
            {
                "code": code,
                "split": split,
                "title": form.get(prefix + "title", "").strip(),
                "summary": form.get(prefix + "summary", "").strip(),
            }
        )
    body: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "audience": audience_of(form, tz),
        "variants": variants,
        "quiet_start": _minute(form.get("quiet_start", "22:00")),
        "quiet_end": _minute(form.get("quiet_end", "08:00")),
    }
    when = form.get("schedule", "now")
    if when == "at":
        body["send_at"] = _local(form.get("send_at", ""), tz, "%Y-%m-%dT%H:%M")
    elif when == "cron":
        body["recurring"] = form.get("recurring", "").strip()
    return body


def cover_upload() -> tuple[Reencoded | None, dict[str, list[str]]]:
    """The cover picture sent with the editor's form (as a reward's picture is sent), checked and
    re-encoded; None when none was chosen; its problem under the field "cover"."""
    sent = request.files.get("cover")
    if sent is None or not sent.filename:
        return None, {}
    try:
        return images.reencoded(sent.stream.read(images.MAX_BYTES + 1)), {}
    except ImageRefused as exc:
        return None, {"cover": [str(exc)]}


def with_cover(session: Session, account_id: int, picture: Reencoded | None, values: dict[str, Any]) -> None:
    """Keep the uploaded cover and name it in `values` (in the transaction that saves them)."""
    if picture is not None:
        values["cover_image_id"] = images.store_image(session, account_id, picture).id


def _fields() -> set[str]:
    names = {"name", "variants", "send_at", "recurring", "quiet_start", "quiet_end", "audience"}
    names |= {f"audience.{k}" for k in AUDIENCE_KEYS}
    names |= {f"variants[{i}].{k}" for i in (0, 1) for k in ("title", "summary", "split", "code")}
    return names


def _choices(session: Session, account_id: int) -> dict[str, Any]:
    return {
        "tiers": [(t.code, t.name) for t in tiers_of(session, account_id)],
        "channels": [(c.code, c.name) for c, _, _ in channels_of(session, account_id)],
        "stages": list(STAGES.items()),
        "segments": list(SEGMENT_NAMES.items()),
    }


@view("/campaigns", Area.READ)
def campaigns() -> ResponseReturnValue:
    account = current().account
    status = request.args.get("status") or None
    if status not in STATUS_NAMES:
        status = None
    number = max(request.args.get("page", 1, type=int) or 1, 1)
    now = utcnow()

    def listing(s: Session) -> tuple[list[Campaign], int, dict[int, int], list[tuple[Any, int]]]:
        rows, total = campaigns_service.campaigns_page(s, account.id, status, number, PER_PAGE)
        found = [
            (j, journeys_service.message_of(s, j)[1]) for j in journeys_service.journeys_of(s, account.id)
        ]
        return rows, total, campaigns_service.audience_sizes(s, rows, now), found

    rows, total, sizes, journeys = read(listing)
    return page(
        "console/campaigns.html",
        rows=rows,
        total=total,
        sizes=sizes,
        journeys=journeys,
        picked=status or "",
        number=number,
        more=number * PER_PAGE < total,
        statuses=STATUS_NAMES,
        triggers=TRIGGER_NAMES,
        may_change=may(current().role, Area.CAMPAIGNS),
    )


@view("/campaigns/new", Area.CAMPAIGNS, methods=("GET", "POST"))
def campaigns_new() -> ResponseReturnValue:
    account = current().account
    choices = read(lambda s: _choices(s, account.id))
    form: MultiDict[str, str] = request.form if request.method == "POST" else MultiDict()
    if request.method == "GET":
        return page("console/campaigns_edit.html", form=form, errors={}, problems=[], **choices)
    picture, errors = cover_upload()
    try:
        body = NewCampaign.model_validate(draft_of(form, account.timezone))
    except ValidationError as exc:
        found, problems = field_errors(problems_of(exc), _fields())
        return editor(form, found | errors, problems, choices)
    if errors:
        return editor(form, errors, [], choices)
    values = body.values()

    def save(s: Session) -> int:
        with_cover(s, account.id, picture, values)
        return campaigns_service.create(s, account.id, values, utcnow()).id

    try:
        made = write(save)
    except campaigns_service.InvalidCampaign as exc:
        errors, problems = field_errors(exc.problems, _fields())
        return page(
            "console/campaigns_edit.html", 422, form=form, errors=errors, problems=problems, **choices
        )
    return done("活动已保存为草稿", "console.campaigns_detail", campaign_id=made)


def editor(
    form: MultiDict[str, str], errors: dict[str, list[str]], problems: list[str], choices: dict[str, Any]
) -> ResponseReturnValue:
    """The editor again with what was typed and every problem by its field: nothing stored."""
    return page("console/campaigns_edit.html", 422, form=form, errors=errors, problems=problems, **choices)


@view("/campaigns/preview", Area.READ)
def campaigns_preview() -> ResponseReturnValue:
    """The live preview of the editor: the draft audience checked by the API's Audience model, then
    counted — how many it matches and how many each channel reaches."""
    account = current().account
    try:
        spec = Audience.model_validate(audience_of(request.args, account.timezone)).spec()
    except ValidationError as exc:
        problems = [f"audience.{p}" for p in problems_of(exc)]
        errors, rest = field_errors(problems, _fields())
        return jsonify(errors=errors, problems=rest), 422
    try:
        found = read(
            lambda s: campaigns_service.preview_audience(
                s, account.id, spec, account.timezone, utcnow(), Rules()
            )
        )
    except campaigns_service.InvalidCampaign as exc:
        errors, rest = field_errors(exc.problems, _fields())
        return jsonify(errors=errors, problems=rest), 422
    return jsonify(
        audience=found.audience,
        reachable=sum(found.by_channel.values()),
        by_channel={CHANNEL_NAMES[k]: n for k, n in found.by_channel.items()},
        held={HELD_NAMES.get(k, k): n for k, n in found.held.items()},
    )


def _campaign(session: Session, campaign_id: int) -> Campaign:
    found = session.scalar(
        select(Campaign).where(
            Campaign.id == campaign_id,
            Campaign.account_id == current().account.id,
            Campaign.kind == "campaign",
        )
    )
    if found is None:
        abort(404)
    return found


@view("/campaigns/<id:campaign_id>", Area.READ)
def campaigns_detail(campaign_id: int) -> ResponseReturnValue:
    account = current().account
    now = utcnow()

    def look(s: Session) -> tuple[Campaign, Any, list[Any], str | None]:
        c = _campaign(s, campaign_id)
        preview = campaigns_service.preview(s, c, account.timezone, now, Rules())
        sample = campaigns_service.dry_run(s, c, account.timezone, now, Rules(), 1, 20)
        return c, preview, sample, covers.cover_path(s, c.cover_image_id)

    c, preview, sample, cover = read(look)
    actions = [(a.value, ACTION_NAMES[a]) for a in Action if c.status in ACTIONS[a].applies_to]
    return page(
        "console/campaigns_detail.html",
        c=c,
        cover=cover,
        preview=preview,
        sample=sample,
        actions=actions if may(current().role, Area.CAMPAIGNS) else [],
        statuses=STATUS_NAMES,
        channel_names=CHANNEL_NAMES,
        held_names=HELD_NAMES,
        segments=SEGMENT_NAMES,
        stages=STAGES,
    )


@view("/campaigns/<id:campaign_id>/<action>", Area.CAMPAIGNS, methods=("POST",))
def campaigns_act(campaign_id: int, action: str) -> ResponseReturnValue:
    """Send, pause, resume or cancel through the lifecycle, as the API does."""
    try:
        move = Action(action)
    except ValueError:
        abort(404)

    def change(s: Session) -> bool:
        queue = lifecycle.act(s, _campaign(s, campaign_id), move, utcnow())
        s.flush()  # the audit entry shows the new status
        return queue

    try:
        queue = write(change)
    except lifecycle.NotAllowed as exc:
        flash(f"当前状态为「{STATUS_NAMES.get(exc.status, exc.status)}」,不能{ACTION_NAMES[move]}", "error")
        return redirect(url_for("console.campaigns_detail", campaign_id=campaign_id))
    except lifecycle.EmptyAudience:
        flash("目标人群为空:没有会员符合条件,无法发送", "error")
        return redirect(url_for("console.campaigns_detail", campaign_id=campaign_id))
    if queue:
        queue_senders(tiefen().runtime.queue("campaigns"), campaign_id)
    return done(ACTION_DONE[move], "console.campaigns_detail", campaign_id=campaign_id)


@view("/campaigns/<id:campaign_id>/report", Area.READ)
def campaigns_report(campaign_id: int) -> ResponseReturnValue:
    def build(s: Session) -> tuple[Campaign, dict[str, Any]]:
        c = _campaign(s, campaign_id)
        return c, campaign_reports.report(s, c)

    c, report = read(build)
    codes = list(report["variants"])
    v = report["variants"]
    reach = bars(
        "各版本触达",
        [f"版本 {k}" for k in codes],
        {
            "目标": [v[k]["targeted"] for k in codes],
            "已发送": [sum(v[k]["sent"].values()) for k in codes],
            "已送达": [v[k]["delivered"] for k in codes],
            "打开": [v[k]["opened"] for k in codes],
        },
    )
    spread = bars(
        "分享与转化",
        [f"版本 {k}" for k in codes],
        {
            "分享": [v[k]["shares"] for k in codes],
            "分享阅读": [v[k]["share_reads"] for k in codes],
            "新关注": [v[k]["follows"] for k in codes],
            "订单": [v[k]["orders"] for k in codes],
        },
    )
    return page(
        "console/campaigns_report.html",
        c=c,
        report=report,
        charts=[reach, spread],
        statuses=STATUS_NAMES,
        channel_names=CHANNEL_NAMES,
        held_names=HELD_NAMES,
    )


@view("/journeys/<id:journey_id>/switch", Area.CAMPAIGNS, methods=("POST",))
def campaigns_journey_switch(journey_id: int) -> ResponseReturnValue:
    on = request.form.get("enabled") == "1"

    def change(s: Session) -> bool:
        found = journeys_service.switch(s, current().account.id, journey_id, on)
        s.flush()  # the audit entry shows the switch
        return found is not None

    found = write(change)
    if not found:
        abort(404)
    return done("旅程已开启" if on else "旅程已关闭", "console.campaigns")
