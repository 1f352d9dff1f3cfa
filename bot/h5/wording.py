"""Chinese words for what the ledger records, and dates in the account's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from models import LedgerEntry
from rules.inbound import replies
from services.points.checkins import CheckinResult

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
    "manual": "积分调整",
}
KINDS = {
    "redemption": "积分兑换",
    "makeup": "补签",
    "expiry": "积分过期",
    "reversal": "退款扣回",
    "adjustment": "积分调整",
}
REWARD_KINDS = {"coupon": "优惠券", "gift": "礼品"}
WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")
FLOWS = {"all": "全部", "in": "收入", "out": "支出"}  # the ledger's filter: ?flow=
SIGNS = {"all": 0, "in": 1, "out": -1}


def flow_of(raw: str | None) -> str:
    """The ledger filter a query names; anything else is the whole ledger."""
    return raw if raw in FLOWS else "all"


@dataclass(frozen=True)
class Line:
    """One ledger entry as the member reads it."""

    title: str
    detail: str  # what the title does not say already ("" when the note repeats it)
    delta: str  # "+10", "-200"
    positive: bool
    when: str
    month: str  # 2025年3月: the header the line is grouped under


def ledger_line(entry: LedgerEntry, tz: str) -> Line:
    label = ACTIONS.get(entry.action or "") if entry.kind == "award" else KINDS.get(entry.kind)
    if entry.kind == "redemption" and entry.note:  # the note is the reward's name
        title, detail = f"兑换「{entry.note}」", ""
    else:
        title, detail = said_once(label, entry.note, "活动奖励" if entry.kind == "award" else "积分变动")
    local = entry.created_at.astimezone(ZoneInfo(tz))
    when = local.strftime("%m-%d %H:%M")  # the month's header says the year
    return Line(title, detail, f"{entry.delta:+d}", entry.delta >= 0, when, month_title(local))


def said_once(label: str | None, note: str | None, fallback: str) -> tuple[str, str]:
    """(title, detail) with nothing said twice: a note that shares words with the label (签到 and
    每日签到, 关注奖励 and 首次关注) stands alone when it says more, else the label does."""
    if not label or not note:
        return label or note or fallback, ""
    if note == label or not _shares_words(label, note):
        return label, "" if note == label else note
    return (note if len(note) > len(label) else label), ""


def _shares_words(a: str, b: str) -> bool:
    """Whether two Chinese phrases share a two-character word."""
    return any(a[i : i + 2] in b for i in range(len(a) - 1))


def month_title(at: datetime | date) -> str:
    return f"{at.year}年{at.month}月"


def local_time(at: datetime, tz: str) -> str:
    return at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def local_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


def tier_gap(next_name: str, gap: int, basis: str) -> str:
    """再得 120 积分升级为银卡会员 (or, when tiers count spend, 再消费 120 元…)."""
    if basis == "spend":
        return f"再消费 {gap} 元升级为{next_name}"
    return f"再得 {gap} 积分升级为{next_name}"


def tier_threshold(threshold: int, basis: str) -> str:
    """What reaches a tier: 累计获得 500 积分 (or 累计消费 500 元); the first tier is every member's."""
    if threshold <= 0:
        return "成为会员即享"
    return f"累计消费满 {threshold} 元" if basis == "spend" else f"累计获得 {threshold} 积分"


def checkin_said(result: CheckinResult, upcoming: tuple[int, int] | None) -> str:
    """What the 签到 button did, as the page says it: the chat's reply in the page's punctuation."""
    if result.kind == "closed":
        return f"签到暂不可用：{replies.REFUSALS.get(result.reason, result.reason)}"
    if result.kind == "again":
        return f"今日已签到，已连续 {result.streak} 天，明天再来哦。"
    parts = [f"签到成功 +{result.points} 积分"]
    if result.bonus:
        parts.append(f"连续签到奖励 +{result.bonus} 积分")
    parts.append(f"已连续 {result.streak} 天")
    if upcoming:
        parts.append(f"再签 {upcoming[0]} 天得额外 {upcoming[1]} 积分")
    return "，".join(parts) + "。"
