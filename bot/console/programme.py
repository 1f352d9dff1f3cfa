"""积分规则: point tasks, tiers and their benefits, programme settings; each form validated by the
API's own model and saved by the same service, so a console form and its API body agree."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from bot.access import current
from bot.api.points.schemas import PointTaskChanges, ProgrammeChanges, TiersBody
from bot.api.types import problems_of
from bot.console.web import done, page, view
from bot.db import read, write
from rules.accounts.roles import Area, may
from rules.points import checkins
from rules.points import tiers as tier_rules
from rules.points.tasks import Action, is_valid_action
from rules.referrals.referrals import MAX_LADDER
from rules.segments.scoring import PART_NAMES, PARTS, weights_of
from services.points import programme as programmes
from services.points import tiers as tier_service
from services.points.programme import InvalidTask

M = TypeVar("M", bound=BaseModel)

TASK_NAMES: dict[str, str] = {
    Action.FOLLOW: "关注公众号",
    Action.CHECKIN: "每日签到",
    Action.REVIEW: "写评价",
    Action.SHARE: "分享活动页",
    Action.SHARE_READ: "分享被好友阅读",
    Action.REFERRAL: "邀请好友关注(邀请人)",
    Action.REFEREE: "受邀关注(新朋友)",
    Action.PURCHASE: "消费",
    Action.BIRTHDAY: "生日月(每年一次)",
}
LABELS = {  # every field a merchant edits, as they call it
    "name": "任务名称",
    "points": "每次奖励积分",
    "per_yuan": "每消费 1 元得积分",
    "daily_cap": "每天最多次数",
    "weekly_cap": "每周最多次数",
    "lifetime_cap": "累计最多次数",
    "first_time_only": "仅首次奖励",
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "target_tiers": "适用等级",
    "enabled": "启用",
    "hold_days": "积分冻结天数",
    "min_length": "评价最少字数",
    "min_rating": "评价最低星级",
    "expiry_mode": "积分有效期",
    "expiry_days": "有效天数",
    "review_approval": "评价审核",
    "makeup_cost": "补签消耗积分",
    "streak_bonuses": "连续签到奖励",
    "tier_basis": "升级依据",
    "tier_grace_days": "降级宽限天数",
    "tier_template_id": "等级变动通知模板 ID",
    "referral_hold_days": "推荐奖励等待天数",
    "referral_ladder": "推荐阶梯奖励",
    "referral_burst": "异常推荐拦截",
    "active_days": "活跃判定天数",
    "loyal_orders": "忠诚客户消费次数",
    "loyal_streak": "或连续签到天数",
    "rfm_window_days": "RFM 统计周期(天)",
    "kol_weights": "影响力权重",
    "kol_top_n": "KOL 名额",
    "kol_threshold": "KOL 分数线",
    "kol_min_score": "KOL 最低影响力",
    "kol_min_evidence": "KOL 最少传播次数",
    "tiers": "会员等级",
    "code": "等级代码",
    "threshold": "升级门槛",
    "benefits": "会员权益",
}
EXPIRY_MODES = {"never": "永久有效", "days": "获得后按天数过期", "year_end": "每年 12 月 31 日清零"}
TIER_BASES = {"points": "累计获得积分", "spend": "累计消费金额(元)"}
WHOLE = re.compile(r"^-?\d{1,12}$")
NUMBER = re.compile(r"^-?\d{1,12}(\.\d{1,6})?$")

# the API's problems, in Chinese -------------------------------------------------------------------

_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^is required$"), "必填"),
    (re.compile(r"^must be a whole number$"), "请填写整数"),
    (re.compile(r"^must be a number$"), "请填写数字"),
    (re.compile(r"^must not be empty$"), "不能为空"),
    (re.compile(r"^must be at least (\S+)$"), r"不能小于 \1"),
    (re.compile(r"^must be at most (\S+) characters$"), r"最多 \1 个字"),
    (re.compile(r"^must be at most (\S+)$"), r"不能大于 \1"),
    (re.compile(r"^must be more than (\S+)$"), r"须大于 \1"),
    (re.compile(r"^must be an ISO 8601 time with a UTC offset$"), "请填写正确的时间"),
    (re.compile(r"^must be one of .*$"), "请从选项中选择"),
    (re.compile(r"^must match .*$"), "只能用字母、数字、- 和 _(最多 32 个)"),
    (re.compile(r"^must have at least 1 items$"), "至少填写一行"),
    (re.compile(r"^must have at most (\d+) items$"), r"最多 \1 行"),
    (re.compile(r"^no tier '(.+)'$"), r"没有等级 \1"),
    (re.compile(r"^(\w+) \((\d+)\) cannot exceed (\w+) \((\d+)\)$"), "CAPS"),
    (re.compile(r"^first_time_only pays once.*$"), "勾选「仅首次奖励」时,累计最多次数须留空或为 1"),
    (re.compile(r"^starts_at must be before ends_at$"), "开始时间须早于结束时间"),
    (re.compile(r"^per_yuan is for purchases only$"), "按金额计分只适用于消费"),
    (re.compile(r"^birthday pays once a year.*$"), "生日礼每年生日月奖励一次,不设次数限制"),
    (re.compile(r"^days must be (\d+)-(\d+) and points 1-(\d+)$"), r"天数须为 \1–\2,积分须为 1–\3"),
    (re.compile(r"^a streak of (\d+) is given more than once$"), r"连续 \1 天填了不止一次"),
    (re.compile(r"^nth and points must be 1-(\d+)$"), r"人数和积分须为 1–\1"),
    (re.compile(r"^friend (\d+) is given more than once$"), r"第 \1 位好友填了不止一次"),
    (re.compile(r"^binds must be 2-10000 within 1-1440 minutes$"), "人数须为 2–10000,时间须为 1–1440 分钟"),
    (re.compile(r"^tier codes must be unique$"), "等级代码不能重复"),
    (re.compile(r"^exactly one tier must have threshold 0.*$"), "须有且只有一个等级的门槛为 0(新会员的起点)"),
    (re.compile(r"^thresholds must all differ.*$"), "各等级的门槛不能相同"),
    (re.compile(r"^(\w+) must be a number between 0 and (\d+)$"), r"权重须在 0 到 \2 之间"),
]


def chinese(words: str) -> str:
    for pattern, text in _PHRASES:
        found = pattern.match(words)
        if found is None:
            continue
        if text == "CAPS":
            a, x, b, y = found.groups()
            return f"{LABELS.get(a, a)}({x})不能超过{LABELS.get(b, b)}({y})"
        return found.expand(text)
    return words


def field_errors(problems: Iterable[str], fields: Iterable[str]) -> dict[str, list[str]]:
    """The API's problems by the form field they are about ("" for the form as a whole), in Chinese.

    `tiers[1].threshold: must be ...` is filed under `tiers[1].threshold` and `tiers[1]`; a problem
    naming a field in its words (`daily_cap (5) cannot exceed ...`) under that field.
    """
    names = list(fields)
    out: dict[str, list[str]] = {}
    for problem in problems:
        head, sep, rest = problem.partition(": ")
        if sep and re.match(r"^[\w.\[\]]+$", head):
            keys, words = _keys_of(head), rest
        else:
            first = next((n for n in names if re.match(rf"^{n}\b", problem)), "")
            keys, words = [first], problem
        for key in keys:
            out.setdefault(key, []).append(chinese(words))
    return out


def _keys_of(path: str) -> list[str]:
    """`tiers[1].threshold` → itself, `tiers[1]` and `tiers`: the form shows each where it can."""
    keys = [path]
    while re.search(r"(\.\w+|\[\d+\])$", path):
        path = re.sub(r"(\.\w+|\[\d+\])$", "", path)
        keys.append(path)
    return keys


# form values to the model's -----------------------------------------------------------------------


def whole(value: str | None, blank: Any = "") -> Any:
    """A whole number from a form, or the text itself (the model then says it is none)."""
    text = (value or "").strip()
    if not text:
        return blank
    return int(text) if WHOLE.match(text) else text


def number(value: str | None, blank: Any = "") -> Any:
    text = (value or "").strip()
    if not text:
        return blank
    return float(text) if NUMBER.match(text) else text


def local_time(value: str | None, timezone: str) -> Any:
    """A datetime-local input (the account's zone) as an aware time; blank: None."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(timezone)).isoformat()
    except ValueError:
        return text


def pairs(form: Mapping[str, str], prefix: str, rows: int) -> list[Any]:
    """Editable rows `prefix-<i>-a` / `prefix-<i>-b` as [[a, b], ...]; blank rows left out."""
    out: list[Any] = []
    for i in range(rows):
        a, b = form.get(f"{prefix}-{i}-a", "").strip(), form.get(f"{prefix}-{i}-b", "").strip()
        if a or b:
            out.append([whole(a), whole(b)])
    return out


def as_api(model: type[M], values: Mapping[str, Any]) -> M:
    """The form's values validated exactly as the API validates its JSON body."""
    return model.model_validate_json(json.dumps(values))


def editor() -> bool:
    return may(current().role, Area.PROGRAMME)


# pages --------------------------------------------------------------------------------------------


def _overview(session: Session, account_id: int) -> dict[str, Any]:
    settings = programmes.settings_of(session, account_id)
    rows, _ = programmes.tasks_page(session, account_id, 1, 100)
    return {
        "settings": settings,
        "tasks": rows,
        "tiers": tier_service.tiers_of(session, account_id),
    }


def _settings_form(settings: Any) -> dict[str, str]:
    """The stored settings as the form shows them."""
    form = {
        name: "" if getattr(settings, name) is None else str(getattr(settings, name))
        for name in ProgrammeChanges.model_fields
        if name not in ("streak_bonuses", "referral_ladder", "referral_burst", "kol_weights")
    }
    form["review_approval"] = "on" if settings.review_approval else ""
    for prefix, values in (("streak", settings.streak_bonuses), ("ladder", settings.referral_ladder)):
        for i, (a, b) in enumerate(values):
            form[f"{prefix}-{i}-a"], form[f"{prefix}-{i}-b"] = str(a), str(b)
    form["burst-a"], form["burst-b"] = (str(v) for v in settings.referral_burst)
    for part, weight in weights_of(settings.kol_weights).items():
        form[f"weight-{part}"] = f"{weight:g}"
    return form


def _tiers_form(rows: Iterable[Any]) -> dict[str, str]:
    form: dict[str, str] = {}
    for i, t in enumerate(rows):
        form |= {
            f"tier-{i}-code": t.code,
            f"tier-{i}-name": t.name,
            f"tier-{i}-threshold": str(t.threshold),
            f"tier-{i}-benefits": t.benefits or "",
        }
    return form


def _render(
    status: int = 200,
    settings_form: Mapping[str, str] | None = None,
    tiers_form: Mapping[str, str] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    which: str = "",
) -> ResponseReturnValue:
    account = current().account
    found = read(lambda s: _overview(s, account.id))
    return page(
        "console/programme.html",
        status,
        tasks=found["tasks"],
        tiers=found["tiers"],
        task_names=TASK_NAMES,
        form=settings_form if settings_form is not None else _settings_form(found["settings"]),
        tiers_form=tiers_form if tiers_form is not None else _tiers_form(found["tiers"]),
        tier_rows=tier_rules.MAX_TIERS,
        streak_rows=checkins.MAX_BONUSES,
        ladder_rows=MAX_LADDER,
        errors=errors or {},
        which=which,
        labels=LABELS,
        expiry_modes=EXPIRY_MODES,
        tier_bases=TIER_BASES,
        parts=[(p, PART_NAMES.get(p, p)) for p in PARTS],
        editor=editor(),
    )


@view("/programme", Area.READ)
def programme() -> ResponseReturnValue:
    return _render()


@view("/programme/settings", Area.PROGRAMME, methods=("POST",))
def programme_settings() -> ResponseReturnValue:
    form = request.form
    values: dict[str, Any] = {
        "expiry_mode": form.get("expiry_mode", ""),
        "expiry_days": whole(form.get("expiry_days")),
        "review_approval": form.get("review_approval") == "on",
        "makeup_cost": whole(form.get("makeup_cost"), None),
        "streak_bonuses": pairs(form, "streak", checkins.MAX_BONUSES),
        "tier_basis": form.get("tier_basis", ""),
        "tier_grace_days": whole(form.get("tier_grace_days")),
        "tier_template_id": form.get("tier_template_id", "").strip() or None,
        "referral_hold_days": whole(form.get("referral_hold_days")),
        "referral_ladder": pairs(form, "ladder", MAX_LADDER),
        "referral_burst": [whole(form.get("burst-a")), whole(form.get("burst-b"))],
        "active_days": whole(form.get("active_days")),
        "loyal_orders": whole(form.get("loyal_orders")),
        "loyal_streak": whole(form.get("loyal_streak")),
        "rfm_window_days": whole(form.get("rfm_window_days")),
        "kol_weights": {p: number(form.get(f"weight-{p}")) for p in PARTS},
        "kol_top_n": whole(form.get("kol_top_n")),
        "kol_threshold": number(form.get("kol_threshold"), None),
        "kol_min_score": number(form.get("kol_min_score")),
        "kol_min_evidence": whole(form.get("kol_min_evidence")),
    }
    try:
        body = as_api(ProgrammeChanges, values)
    except ValidationError as exc:
        errors = field_errors(problems_of(exc), ProgrammeChanges.model_fields)
        return _render(422, settings_form=form.to_dict(), errors=errors, which="settings")
    changes = body.model_dump(exclude_unset=True)
    account_id = current().account.id
    write(lambda s: programmes.save_settings(s, account_id, changes), rules_changed=True)
    return done("规则设置已保存,立即生效", "console.programme", _anchor="settings")


@view("/programme/tiers", Area.PROGRAMME, methods=("POST",))
def programme_tiers() -> ResponseReturnValue:
    form = request.form
    ladder = []
    for i in range(tier_rules.MAX_TIERS):
        row = {k: form.get(f"tier-{i}-{k}", "").strip() for k in ("code", "name", "threshold", "benefits")}
        if not any(row.values()):
            continue
        ladder.append(row | {"threshold": whole(row["threshold"]), "benefits": row["benefits"] or None})
    try:
        body = as_api(TiersBody, {"tiers": ladder})
    except ValidationError as exc:
        errors = field_errors(problems_of(exc), ["tiers"])
        return _render(422, tiers_form=_renumbered(form, ladder), errors=errors, which="tiers")
    wanted = [t.model_dump() for t in body.tiers]
    account_id = current().account.id
    write(lambda s: tier_service.replace_tiers(s, account_id, wanted), rules_changed=True)
    return done("会员等级已保存,立即生效", "console.programme", _anchor="tiers")


def _renumbered(form: MultiDict[str, str], ladder: list[dict[str, Any]]) -> dict[str, str]:
    """The rows sent, blank ones dropped, numbered as the model's problems number them."""
    out = {}
    for i, row in enumerate(ladder):
        for k, v in row.items():
            out[f"tier-{i}-{k}"] = "" if v is None else str(v)
    return out


@view("/programme/tasks/<action>", Area.READ, methods=("GET",))
def programme_task(action: str) -> ResponseReturnValue:
    account = current().account
    found = read(lambda s: _overview(s, account.id))
    task = next((t for t in found["tasks"] if t.action == action), None)
    if task is None:
        return page("console/message.html", 404, title="任务不存在", message="请从积分规则页选择任务。")
    return _task_page(action, _task_form(task, account.timezone), found["tiers"])


@view("/programme/tasks/<action>", Area.PROGRAMME, methods=("POST",))
def programme_task_save(action: str) -> ResponseReturnValue:
    account = current().account
    if not is_valid_action(action):
        return page("console/message.html", 404, title="任务不存在", message="请从积分规则页选择任务。")
    form = request.form
    values: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "points": whole(form.get("points")),
        "daily_cap": whole(form.get("daily_cap"), None),
        "weekly_cap": whole(form.get("weekly_cap"), None),
        "lifetime_cap": whole(form.get("lifetime_cap"), None),
        "first_time_only": form.get("first_time_only") == "on",
        "starts_at": local_time(form.get("starts_at"), account.timezone),
        "ends_at": local_time(form.get("ends_at"), account.timezone),
        "target_tiers": form.getlist("target_tiers"),
        "enabled": form.get("enabled") == "on",
        "hold_days": whole(form.get("hold_days")),
    }
    if action == Action.PURCHASE:
        values["per_yuan"] = whole(form.get("per_yuan"), None)
    if action == Action.REVIEW:
        values |= {"min_length": whole(form.get("min_length")), "min_rating": whole(form.get("min_rating"))}
    problems: list[str] = []
    try:
        changes = as_api(PointTaskChanges, values).model_dump(exclude_unset=True)
        write(lambda s: programmes.save_task(s, account.id, action, changes), rules_changed=True)
    except ValidationError as exc:
        problems = problems_of(exc)
    except InvalidTask as exc:
        problems = exc.problems
    if not problems:
        return done(f"「{values['name']}」已保存,立即生效", "console.programme", _anchor="tasks")
    tiers = read(lambda s: tier_service.tiers_of(s, account.id))
    errors = field_errors(problems, PointTaskChanges.model_fields)
    shown = form.to_dict() | {"target_tiers": form.getlist("target_tiers")}
    return _task_page(action, shown, tiers, errors, 422)


def _task_form(task: Any, timezone: str) -> dict[str, Any]:
    zone = ZoneInfo(timezone)
    form: dict[str, Any] = {
        name: "" if getattr(task, name) is None else str(getattr(task, name))
        for name in PointTaskChanges.model_fields
    }
    for name in ("first_time_only", "enabled"):
        form[name] = "on" if getattr(task, name) else ""
    for name in ("starts_at", "ends_at"):
        at = getattr(task, name)
        form[name] = at.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if at else ""
    form["target_tiers"] = list(task.target_tiers or [])
    return form


def _task_page(
    action: str,
    form: Mapping[str, Any],
    tiers: list[Any],
    errors: Mapping[str, list[str]] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return page(
        "console/programme_task.html",
        status,
        action=action,
        kind=TASK_NAMES.get(action, action),
        form=form,
        tiers=tiers,
        errors=errors or {},
        labels=LABELS,
        purchase=action == Action.PURCHASE,
        review=action == Action.REVIEW,
        birthday=action == Action.BIRTHDAY,
        editor=editor(),
    )
