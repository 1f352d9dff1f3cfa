"""Rows as JSON: amounts in fen, times ISO 8601 in the account's time zone, lists in pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.api.auth import current_account
from models import LedgerEntry, Order, OrderRefund, PointTaskRow, Programme, Review, Reward, TierRow
from rules.segments.scoring import weights_of
from services.points.programme import TASK_FIELDS


def iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(ZoneInfo(current_account().timezone)).isoformat()


def page(items: list[Any], page: int, per_page: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def task(row: PointTaskRow) -> dict[str, Any]:
    out: dict[str, Any] = {"action": row.action, "name": row.name}
    for name in sorted(TASK_FIELDS):
        value = getattr(row, name)
        out[name] = iso(value) if isinstance(value, datetime) else value
    out["target_tiers"] = sorted(row.target_tiers or [])
    return out


def settings(row: Programme) -> dict[str, Any]:
    return {
        "expiry_mode": row.expiry_mode,
        "expiry_days": row.expiry_days,
        "review_approval": row.review_approval,
        "makeup_cost": row.makeup_cost,
        "streak_bonuses": [list(pair) for pair in row.streak_bonuses],
        "tier_basis": row.tier_basis,
        "tier_grace_days": row.tier_grace_days,
        "tier_template_id": row.tier_template_id,
        "referral_hold_days": row.referral_hold_days,
        "referral_ladder": [list(pair) for pair in row.referral_ladder],
        "referral_burst": list(row.referral_burst),
        "active_days": row.active_days,
        "loyal_orders": row.loyal_orders,
        "loyal_streak": row.loyal_streak,
        "rfm_window_days": row.rfm_window_days,
        "kol_weights": weights_of(row.kol_weights),
        "kol_top_n": row.kol_top_n,
        "kol_threshold": row.kol_threshold,
    }


def tier(row: TierRow) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "threshold": row.threshold, "benefits": row.benefits}


def order(row: Order, openid: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "order_no": row.order_no,
        "openid": openid,
        "amount_fen": row.amount_fen,
        "refunded_fen": row.refunded_fen,
        "paid_at": iso(row.paid_at),
    }


def refund(row: OrderRefund) -> dict[str, Any]:
    return {
        "id": row.id,
        "refund_no": row.refund_no,
        "refund_fen": row.refund_fen,
        "refunded_at": iso(row.refunded_at),
    }


def review(row: Review, openid: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "openid": openid,
        "rating": row.rating,
        "text": row.text,
        "status": row.status,
        "like_count": row.like_count,
        "created_at": iso(row.created_at),
        "decided_at": iso(row.decided_at),
    }


def reward(row: Reward) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "points_price": row.points_price,
        "stock": row.stock,
        "description": row.description,
        "enabled": row.enabled,
        "created_at": iso(row.created_at),
    }


def entry(row: LedgerEntry) -> dict[str, Any]:
    return {
        "key": row.key,
        "delta": row.delta,
        "kind": row.kind,
        "action": row.action,
        "note": row.note,
        "business_date": row.business_date.isoformat(),
        "created_at": iso(row.created_at),
    }
