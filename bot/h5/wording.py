"""Chinese words for what the ledger records, and dates in the account's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from models import LedgerEntry

ACTIONS = {
    "follow": "关注奖励",
    "checkin": "签到",
    "checkin_bonus": "连续签到奖励",
    "review": "评价奖励",
    "purchase": "消费积分",
    "referral": "邀请奖励",
    "referee": "受邀关注礼",
    "referral_ladder": "邀请阶梯奖励",
    "share": "分享",
    "share_read": "分享被阅读",
    "birthday": "生日礼",
}
KINDS = {
    "redemption": "积分兑换",
    "makeup": "补签",
    "expiry": "积分过期",
    "reversal": "退款扣回",
}
REWARD_KINDS = {"coupon": "优惠券", "gift": "礼品"}
WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")


@dataclass(frozen=True)
class Line:
    """One ledger entry as the member reads it."""

    title: str
    detail: str
    delta: str  # "+10", "-200"
    positive: bool
    when: str


def ledger_line(entry: LedgerEntry, tz: str) -> Line:
    if entry.kind == "award":
        title = ACTIONS.get(entry.action or "") or entry.note or "活动奖励"
    else:
        title = KINDS.get(entry.kind) or entry.note or "积分变动"
    detail = entry.note if entry.note and entry.note != title else ""
    return Line(title, detail, f"{entry.delta:+d}", entry.delta >= 0, local_time(entry.created_at, tz))


def local_time(at: datetime, tz: str) -> str:
    return at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def local_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


def tier_gap(next_name: str, gap: int, basis: str) -> str:
    """再得 120 积分升级为银卡会员 (or, when tiers count spend, 再消费 120 元…)."""
    if basis == "spend":
        return f"再消费 {gap} 元升级为{next_name}"
    return f"再得 {gap} 积分升级为{next_name}"
