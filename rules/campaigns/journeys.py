"""Triggered journeys: the moments that start one, and what each trigger needs."""

from __future__ import annotations

TRIGGERS = {
    "follow": "关注后",
    "first_checkin": "第一次签到后",
    "streak_at_risk": "连续签到快要中断（上次签到后一天未签）",
    "inactive": "N 天没有互动",
    "tier_up": "会员等级提升后",
    "became_kol": "成为 KOL 候选后",
}
NEEDS_DAYS = ("inactive", "streak_at_risk")  # their moment is counted in days
MAX_TRIGGER_DAYS = 365
MAX_DELAY_MINUTES = 60 * 24 * 90


def trigger_problems(trigger: str, trigger_days: int | None) -> list[str]:
    if trigger in NEEDS_DAYS and trigger_days is None:
        return [f"{trigger} needs trigger_days, 1-{MAX_TRIGGER_DAYS}"]
    return []
