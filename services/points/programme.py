"""The merchant's programme as plain rules: defaults for a new account, loading, editing tasks."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Account, PointTaskRow, Programme, TierRow, utcnow
from models.pages import page_of
from models.upsert import upsert
from rules.points.lots import ExpiryMode, ExpiryPolicy
from rules.points.tasks import Action, PointTask, task_problems
from rules.points.tiers import Tier

DEFAULT_TASKS: list[dict[str, Any]] = [
    {"action": Action.FOLLOW, "name": "首次关注", "points": 50, "first_time_only": True},
    {"action": Action.CHECKIN, "name": "每日签到", "points": 10, "daily_cap": 1},
    {"action": Action.REVIEW, "name": "写评价", "points": 20, "daily_cap": 1, "min_length": 10},
    {"action": Action.SHARE, "name": "分享活动页", "points": 5, "daily_cap": 3},
    {"action": Action.SHARE_READ, "name": "分享被阅读", "points": 1, "daily_cap": 20},
    {"action": Action.REFERRAL, "name": "邀请好友关注", "points": 100, "daily_cap": 20, "lifetime_cap": 200},
    {"action": Action.REFEREE, "name": "受邀关注礼", "points": 30, "first_time_only": True},
    {"action": Action.PURCHASE, "name": "消费积分", "per_yuan": 1, "hold_days": 7},
    {"action": Action.BIRTHDAY, "name": "生日礼", "points": 100},  # once a year, in the birthday month
]
DEFAULT_TIERS = [
    ("normal", "普通会员", 0),
    ("silver", "银卡会员", 500),
    ("gold", "金卡会员", 2000),
    ("diamond", "钻石会员", 10000),
]
TASK_FIELDS = {f.name for f in fields(PointTask)} - {"action"}


class InvalidTask(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ProgrammeConfig:
    """Everything the award rules need about one account, detached from the session."""

    account_id: int
    timezone: str
    tasks: dict[str, PointTask]
    tiers: list[Tier]
    expiry: ExpiryPolicy
    review_approval: bool
    makeup_cost: int | None
    streak_bonuses: tuple[tuple[int, int], ...]
    tier_basis: str
    tier_grace_days: int
    tier_template_id: str | None
    referral_hold_days: int = 3
    referral_ladder: tuple[tuple[int, int], ...] = ()
    referral_burst: tuple[int, int] = (5, 10)  # binds through one code, within minutes: review
    task_names: dict[str, str] = field(default_factory=dict)


def ensure_defaults(session: Session, account_id: int) -> None:
    """Seed the programme, tasks and tiers a new account starts with; changes nothing already there."""
    session.execute(upsert(session, Programme).values(account_id=account_id).on_conflict_do_nothing())
    task_rows = [{"account_id": account_id, **_task_defaults(), **t} for t in DEFAULT_TASKS]
    session.execute(upsert(session, PointTaskRow).on_conflict_do_nothing(), task_rows)
    tier_rows = [
        {"account_id": account_id, "code": c, "name": n, "threshold": t} for c, n, t in DEFAULT_TIERS
    ]
    session.execute(upsert(session, TierRow).on_conflict_do_nothing(), tier_rows)


def _task_defaults() -> dict[str, Any]:
    return {
        "points": 0,
        "first_time_only": False,
        "target_tiers": [],
        "enabled": True,
        "hold_days": 0,
        "min_length": 0,
        "min_rating": 1,
        "per_yuan": None,
        "daily_cap": None,
        "weekly_cap": None,
        "lifetime_cap": None,
        "starts_at": None,
        "ends_at": None,
    }


def load(session: Session, account_id: int) -> ProgrammeConfig:
    programme = session.get(Programme, account_id)
    if programme is None:
        ensure_defaults(session, account_id)
        programme = session.get(Programme, account_id)
        assert programme is not None
    account = session.get(Account, account_id)
    assert account is not None
    rows = session.scalars(select(PointTaskRow).where(PointTaskRow.account_id == account_id)).all()
    tiers = session.scalars(select(TierRow).where(TierRow.account_id == account_id)).all()
    return ProgrammeConfig(
        account_id=account_id,
        timezone=account.timezone,
        tasks={r.action: as_rule(r) for r in rows},
        tiers=[Tier(t.code, t.name, t.threshold, t.benefits) for t in tiers],
        expiry=ExpiryPolicy(ExpiryMode(programme.expiry_mode), programme.expiry_days),
        review_approval=programme.review_approval,
        makeup_cost=programme.makeup_cost,
        streak_bonuses=tuple((int(d), int(p)) for d, p in programme.streak_bonuses),  # empty: no bonuses
        tier_basis=programme.tier_basis,
        tier_grace_days=programme.tier_grace_days,
        tier_template_id=programme.tier_template_id,
        referral_hold_days=programme.referral_hold_days,
        referral_ladder=tuple((int(n), int(p)) for n, p in programme.referral_ladder),
        referral_burst=(int(programme.referral_burst[0]), int(programme.referral_burst[1])),
        task_names={r.action: r.name for r in rows},
    )


def as_rule(row: PointTaskRow) -> PointTask:
    values = {name: getattr(row, name) for name in TASK_FIELDS}
    values["target_tiers"] = frozenset(row.target_tiers or ())
    return PointTask(action=row.action, **values)


def save_task(session: Session, account_id: int, action: str, changes: dict[str, Any]) -> PointTaskRow:
    """Create or change the task for `action`; InvalidTask, and nothing saved, if it does not hold."""
    unknown = set(changes) - TASK_FIELDS - {"name"}
    if unknown:
        raise InvalidTask([f"unknown field {name!r}" for name in sorted(unknown)])
    codes = set(session.scalars(select(TierRow.code).where(TierRow.account_id == account_id)))
    missing = [t for t in changes.get("target_tiers") or () if t not in codes]
    if missing:
        raise InvalidTask([f"target_tiers: no tier {t!r}" for t in missing])
    row = session.scalar(
        select(PointTaskRow).where(PointTaskRow.account_id == account_id, PointTaskRow.action == action)
    )
    merged = {**(_task_defaults() if row is None else {n: getattr(row, n) for n in TASK_FIELDS}), **changes}
    merged["target_tiers"] = frozenset(merged.get("target_tiers") or ())
    try:
        rule = PointTask(action=action, **{k: v for k, v in merged.items() if k in TASK_FIELDS})
    except TypeError as exc:
        raise InvalidTask([str(exc)]) from None
    problems = task_problems(rule)
    if problems:
        raise InvalidTask(problems)
    if row is None:
        row = PointTaskRow(account_id=account_id, action=action, name=changes.get("name") or action)
        session.add(row)
    for name in TASK_FIELDS:
        value = getattr(rule, name)
        setattr(row, name, sorted(value) if name == "target_tiers" else value)
    if "name" in changes:
        row.name = changes["name"]
    session.flush()
    return row


def tasks_page(session: Session, account_id: int, page: int, per_page: int) -> tuple[list[Any], int]:
    stmt = select(PointTaskRow).where(PointTaskRow.account_id == account_id).order_by(PointTaskRow.action)
    return page_of(session, stmt, page, per_page)


def settings_of(session: Session, account_id: int) -> Programme:
    found = session.get(Programme, account_id)
    if found is None:
        ensure_defaults(session, account_id)
        found = session.get(Programme, account_id)
    assert found is not None
    return found


def save_settings(session: Session, account_id: int, changes: dict[str, Any]) -> Programme:
    """Change some programme settings, each already checked (the API's model)."""
    row = settings_of(session, account_id)
    for name, value in changes.items():
        if name in ("streak_bonuses", "referral_ladder"):
            value = sorted([list(pair) for pair in value])
        elif name == "referral_burst":
            value = list(value)
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.flush()
    return row
