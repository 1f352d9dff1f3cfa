"""What the merchant API needs that the other services lack: settings, tiers, rewards, lookups.

Checks take what JSON gave (`object`) and return problems in words a merchant understands,
like `rules.points.orders.order_problems` and `services.points.rewards.reward_problems`.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import (
    InboundEvent,
    Member,
    Order,
    OrderRefund,
    PointTaskRow,
    Programme,
    Review,
    Reward,
    TierRow,
    utcnow,
)
from rules.inbound import messages
from rules.points.lots import ExpiryMode
from rules.points.tasks import CUSTOM_PREFIX, is_valid_action
from rules.segments.scoring import weight_problems
from services.inbound.outbox import record_api_event
from services.points import programme
from services.points.orders import UnknownMember
from services.points.reviews import decide_review
from services.points.rewards import reward_problems

MAX_INT = 2_147_483_647  # what a PostgreSQL integer column holds
SETTINGS = (
    "expiry_mode",
    "expiry_days",
    "review_approval",
    "makeup_cost",
    "streak_bonuses",
    "tier_basis",
    "tier_grace_days",
    "tier_template_id",
    "referral_hold_days",
    "referral_ladder",
    "referral_burst",
    "active_days",
    "loyal_orders",
    "loyal_streak",
    "rfm_window_days",
    "kol_weights",
    "kol_top_n",
    "kol_threshold",
)
TIER_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
MAX_TIERS = 10


class Invalid(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class EventConflict(ValueError):
    """The same event key came again for another member or action."""


def whole(value: object, lo: int = -MAX_INT, hi: int = MAX_INT) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def text(value: object, lo: int, hi: int) -> bool:
    return isinstance(value, str) and lo <= len(value.strip()) and len(value) <= hi


def page_of(session: Session, stmt: Any, page: int, per_page: int) -> tuple[list[Any], int]:
    total = int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    rows = session.execute(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    return [row[0] if len(row) == 1 else tuple(row) for row in rows], total


# point tasks ---------------------------------------------------------------------------------


def task_type_problems(session: Session, account_id: int, changes: dict[str, Any]) -> list[str]:
    """JSON types and sizes `programme.save_task` takes on trust; its own rules come after."""
    problems = [f"unknown field {n!r}" for n in sorted(set(changes) - programme.TASK_FIELDS - {"name"})]
    problems += [
        f"{n} must be a whole number"
        for n in ("points", "hold_days", "min_length", "min_rating")
        if n in changes and not whole(changes[n])
    ]
    problems += [
        f"{n} must be a whole number or null"
        for n in ("per_yuan", "daily_cap", "weekly_cap", "lifetime_cap")
        if n in changes and changes[n] is not None and not whole(changes[n])
    ]
    problems += [
        f"{n} must be true or false"
        for n in ("first_time_only", "enabled")
        if n in changes and not isinstance(changes[n], bool)
    ]
    problems += [
        f"{n} must be an ISO 8601 time with a UTC offset, or null"
        for n in ("starts_at", "ends_at")
        if n in changes and changes[n] is not None and not isinstance(changes[n], datetime)
    ]
    if "name" in changes and not text(changes["name"], 1, 60):
        problems.append("name must be 1-60 characters")
    if "target_tiers" in changes:
        tiers = changes["target_tiers"]
        codes = set(session.scalars(select(TierRow.code).where(TierRow.account_id == account_id)))
        if not isinstance(tiers, list) or not all(isinstance(t, str) for t in tiers):
            problems.append("target_tiers must be a list of tier codes")
        else:
            problems += [f"target_tiers: no tier {t!r}" for t in tiers if t not in codes]
    return problems


def save_task(session: Session, account_id: int, action: str, changes: dict[str, Any]) -> PointTaskRow:
    """`programme.save_task` behind a type check: InvalidTask, and nothing saved, if it does not hold."""
    problems = task_type_problems(session, account_id, changes)
    if problems:
        raise programme.InvalidTask(problems)
    return programme.save_task(session, account_id, action, changes)


def tasks_page(session: Session, account_id: int, page: int, per_page: int) -> tuple[list[Any], int]:
    stmt = select(PointTaskRow).where(PointTaskRow.account_id == account_id).order_by(PointTaskRow.action)
    return page_of(session, stmt, page, per_page)


# programme settings and tiers -------------------------------------------------------------------


def settings_of(session: Session, account_id: int) -> Programme:
    found = session.get(Programme, account_id)
    if found is None:
        programme.ensure_defaults(session, account_id)
        found = session.get(Programme, account_id)
    assert found is not None
    return found


def settings_problems(changes: dict[str, object]) -> list[str]:
    problems = [f"unknown field {name!r}" for name in sorted(set(changes) - set(SETTINGS))]
    checks: dict[str, tuple[bool, str]] = {
        "expiry_mode": (
            changes.get("expiry_mode") in {m.value for m in ExpiryMode},
            "never, days or year_end",
        ),
        "expiry_days": (whole(changes.get("expiry_days"), 1, 3650), "a whole number of days, 1-3650"),
        "review_approval": (isinstance(changes.get("review_approval"), bool), "true or false"),
        "makeup_cost": (
            changes.get("makeup_cost") is None or whole(changes.get("makeup_cost"), 1, 100_000),
            "null (no 补签) or points between 1 and 100000",
        ),
        "streak_bonuses": (
            _bonuses_ok(changes.get("streak_bonuses")),
            "1-10 [days, points] pairs, days 2-365 each once, points 1-100000",
        ),
        "tier_basis": (changes.get("tier_basis") in ("points", "spend"), "points or spend"),
        "tier_grace_days": (whole(changes.get("tier_grace_days"), 0, 365), "a whole number of days, 0-365"),
        "tier_template_id": (
            changes.get("tier_template_id") is None or text(changes.get("tier_template_id"), 1, 64),
            "null or a template id of 1-64 characters",
        ),
        "referral_hold_days": (
            whole(changes.get("referral_hold_days"), 0, 30),
            "a whole number of days, 0-30",
        ),
        "referral_ladder": (
            _ladder_ok(changes.get("referral_ladder")),
            "0-10 [nth friend, points] pairs, nth 1-100000 each once, points 1-100000",
        ),
        "referral_burst": (
            isinstance(b := changes.get("referral_burst"), list)
            and len(b) == 2
            and whole(b[0], 2, 10_000)
            and whole(b[1], 1, 1440),
            "[binds, minutes]: binds 2-10000 within 1-1440 minutes",
        ),
        "active_days": (whole(changes.get("active_days"), 1, 365), "a whole number of days, 1-365"),
        "loyal_orders": (whole(changes.get("loyal_orders"), 1, 1000), "a whole number of orders, 1-1000"),
        "loyal_streak": (whole(changes.get("loyal_streak"), 1, 3650), "a whole number of days, 1-3650"),
        "rfm_window_days": (whole(changes.get("rfm_window_days"), 7, 3650), "a whole number of days, 7-3650"),
        "kol_weights": (not weight_problems(changes.get("kol_weights")), "an object of part: weight 0-1000"),
        "kol_top_n": (whole(changes.get("kol_top_n"), 1, 1000), "a whole number, 1-1000"),
        "kol_threshold": (_threshold_ok(changes.get("kol_threshold")), "null (the top N) or a score above 0"),
    }
    return problems + [
        f"{name} must be {want}" for name, (ok, want) in checks.items() if name in changes and not ok
    ]


def _bonuses_ok(value: object) -> bool:
    # empty is refused: `programme.load` reads an empty list as "the default bonuses"
    if not isinstance(value, list) or not 1 <= len(value) <= 10:
        return False
    pairs = [
        p
        for p in value
        if isinstance(p, list) and len(p) == 2 and whole(p[0], 2, 365) and whole(p[1], 1, 100_000)
    ]
    return len(pairs) == len(value) and len({p[0] for p in pairs}) == len(pairs)


def _threshold_ok(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1e9


def _ladder_ok(value: object) -> bool:
    if not isinstance(value, list) or len(value) > 10:
        return False
    pairs = [
        p
        for p in value
        if isinstance(p, list) and len(p) == 2 and whole(p[0], 1, 100_000) and whole(p[1], 1, 100_000)
    ]
    return len(pairs) == len(value) and len({p[0] for p in pairs}) == len(pairs)


def save_settings(session: Session, account_id: int, changes: dict[str, Any]) -> Programme:
    """Change some programme settings; Invalid, and nothing saved, if any does not hold."""
    problems = settings_problems(changes)
    if problems:
        raise Invalid(problems)
    row = settings_of(session, account_id)
    for name, value in changes.items():
        setattr(row, name, sorted(value) if name in ("streak_bonuses", "referral_ladder") else value)
    row.updated_at = utcnow()
    session.flush()
    return row


def tiers_of(session: Session, account_id: int) -> list[TierRow]:
    stmt = select(TierRow).where(TierRow.account_id == account_id).order_by(TierRow.threshold, TierRow.id)
    return list(session.scalars(stmt))


def ladder_problems(ladder: object) -> list[str]:
    if not isinstance(ladder, list) or not 1 <= len(ladder) <= MAX_TIERS:
        return [f"tiers must be a list of 1-{MAX_TIERS} tiers"]
    problems = []
    for i, t in enumerate(ladder):
        if not isinstance(t, dict):
            problems.append(f"tiers[{i}] must be an object")
            continue
        problems += [
            f"tiers[{i}]: unknown field {n!r}"
            for n in sorted(set(t) - {"code", "name", "threshold", "benefits"})
        ]
        if not isinstance(t.get("code"), str) or not TIER_CODE.match(t["code"]):
            problems.append(f"tiers[{i}].code must be 1-32 letters, digits, - or _")
        if not text(t.get("name"), 1, 32):
            problems.append(f"tiers[{i}].name must be 1-32 characters")
        if not whole(t.get("threshold"), 0, 1_000_000_000):
            problems.append(f"tiers[{i}].threshold must be a whole number between 0 and 1000000000")
        if t.get("benefits") is not None and not text(t.get("benefits"), 0, 200):
            problems.append(f"tiers[{i}].benefits must be null or at most 200 characters")
    if problems:
        return problems
    codes = [t["code"] for t in ladder]
    thresholds = [t["threshold"] for t in ladder]
    if len(set(codes)) != len(codes):
        problems.append("tier codes must be unique")
    if thresholds.count(0) != 1:
        problems.append("exactly one tier must have threshold 0 (where every member starts)")
    if len(set(thresholds)) != len(thresholds):
        problems.append("thresholds must all differ: each tier needs more than the one below")
    return problems


def replace_tiers(session: Session, account_id: int, ladder: object) -> list[TierRow]:
    """Make the account's tiers exactly `ladder` (kept by code); Invalid, and nothing saved, if unsound."""
    problems = ladder_problems(ladder)
    if problems:
        raise Invalid(problems)
    assert isinstance(ladder, list)
    by_code = {t.code: t for t in tiers_of(session, account_id)}
    wanted = {t["code"] for t in ladder}
    session.execute(delete(TierRow).where(TierRow.account_id == account_id, TierRow.code.not_in(wanted)))
    for t in ladder:
        row = by_code.get(t["code"]) or TierRow(account_id=account_id, code=t["code"])
        row.name, row.threshold, row.benefits = t["name"].strip(), t["threshold"], t.get("benefits")
        session.add(row)
    session.flush()
    return tiers_of(session, account_id)


# rewards ------------------------------------------------------------------------------------------

REWARD_FIELDS = ("name", "kind", "points_price", "stock", "description", "enabled")


def _reward_check(values: dict[str, Any]) -> list[str]:
    problems = [f"unknown field {n!r}" for n in sorted(set(values) - set(REWARD_FIELDS))]
    problems += reward_problems(
        values.get("name"), values.get("kind"), values.get("points_price"), values.get("stock")
    )
    if values.get("description") is not None and not text(values["description"], 0, 200):
        problems.append("description must be null or at most 200 characters")
    if not isinstance(values.get("enabled", True), bool):
        problems.append("enabled must be true or false")
    return problems


def create_reward(session: Session, account_id: int, values: dict[str, Any]) -> Reward:
    problems = _reward_check(values)
    if problems:
        raise Invalid(problems)
    reward = Reward(account_id=account_id, **{**values, "name": values["name"].strip()})
    session.add(reward)
    session.flush()
    return reward


def change_reward(
    session: Session, account_id: int, reward_id: int, changes: dict[str, Any]
) -> Reward | None:
    """Change a reward of this account (None if it has no such reward); Invalid if the result is unsound."""
    reward = session.scalar(
        select(Reward).where(Reward.id == reward_id, Reward.account_id == account_id).with_for_update()
    )
    if reward is None:
        return None
    problems = _reward_check({**{n: getattr(reward, n) for n in REWARD_FIELDS}, **changes})
    if problems:
        raise Invalid(problems)
    for name, value in changes.items():
        setattr(reward, name, value.strip() if name == "name" else value)
    session.flush()
    return reward


def rewards_page(session: Session, account_id: int, page: int, per_page: int) -> tuple[list[Any], int]:
    stmt = select(Reward).where(Reward.account_id == account_id).order_by(Reward.id)
    return page_of(session, stmt, page, per_page)


# members, orders, reviews, custom events ----------------------------------------------------------


def find_member(session: Session, account_id: int, openid: str) -> Member | None:
    return session.scalar(select(Member).where(Member.account_id == account_id, Member.openid == openid))


def find_order(
    session: Session, account_id: int, order_no: str
) -> tuple[Order, str, list[OrderRefund]] | None:
    """An order of this account with its member's openid and its refunds, or None."""
    found = session.execute(
        select(Order, Member.openid)
        .join(Member, Member.id == Order.member_id)
        .where(Order.account_id == account_id, Order.order_no == order_no)
    ).first()
    if found is None:
        return None
    order, openid = found
    refunds = session.scalars(
        select(OrderRefund).where(OrderRefund.order_id == order.id).order_by(OrderRefund.id)
    )
    return order, openid, list(refunds)


def reviews_page(
    session: Session, account_id: int, status: str | None, page: int, per_page: int
) -> tuple[list[Any], int]:
    """(review, openid) pairs, newest first."""
    stmt = select(Review, Member.openid).join(Member, Member.id == Review.member_id)
    stmt = stmt.where(Review.account_id == account_id).order_by(Review.id.desc())
    if status is not None:
        stmt = stmt.where(Review.status == status)
    return page_of(session, stmt, page, per_page)


def decide(
    session: Session, account_id: int, review_id: int, approve: bool, now: datetime
) -> tuple[Review, str] | None:
    """Approve or reject a pending review; an approval goes in the outbox so the drain pays it."""
    review = decide_review(session, account_id, review_id, approve, now)
    if review is None:
        return None
    openid = session.scalar(select(Member.openid).where(Member.id == review.member_id)) or ""
    if approve and review.status == "approved" and review.decided_at == now:  # approved just now
        payload: dict[str, object] = {"review_id": review.id, "rating": review.rating}
        record_api_event(
            session,
            account_id,
            openid,
            messages.REVIEW_APPROVED,
            str(review.id),
            f"review-approved:{review.id}",
            payload,
            now,
        )
    return review, openid


def custom_dedup_key(key: str) -> str:
    """`custom:<key>`; a key too long for the 64-character column is hashed, so two never share one."""
    plain = f"{CUSTOM_PREFIX}{key}"
    return (
        plain
        if len(plain) <= 64
        else f"{CUSTOM_PREFIX}sha256:{hashlib.sha256(key.encode()).hexdigest()[:50]}"
    )


def record_custom_event(
    session: Session, account_id: int, openid: str, action: str, key: str, at: datetime
) -> bool:
    """Put a custom action in the outbox once per merchant key; True if new. UnknownMember, EventConflict."""
    assert is_valid_action(action) and action.startswith(CUSTOM_PREFIX)
    if find_member(session, account_id, openid) is None:
        raise UnknownMember(openid)
    dedup = custom_dedup_key(key)
    payload: dict[str, object] = {"action": action, "key": key, "occurred_at": at.isoformat()}
    if record_api_event(session, account_id, openid, messages.CUSTOM, action, dedup, payload, at) is not None:
        return True
    first = session.execute(
        select(InboundEvent.openid, InboundEvent.event_key).where(
            InboundEvent.account_id == account_id, InboundEvent.dedup_key == dedup
        )
    ).one()
    if tuple(first) != (openid, action):
        raise EventConflict(f"key {key!r} was used before for another member or action")
    return False


def event_problems(
    openid: object, action: object, key: object, at: datetime | None, now: datetime
) -> list[str]:
    problems = [] if text(openid, 1, 64) else ["openid must be 1-64 characters"]
    if not isinstance(action, str) or not action.startswith(CUSTOM_PREFIX) or not is_valid_action(action):
        problems.append("action must be custom:<code>, the code 1-32 letters, digits, - or _")
    if not isinstance(key, str) or not 1 <= len(key) <= 64:
        problems.append("key must be 1-64 characters")
    if at is not None and at > now + timedelta(minutes=5):
        problems.append("occurred_at is in the future")
    return problems
