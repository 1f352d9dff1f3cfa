"""What the account says, in Simplified Chinese, as plain functions."""

from __future__ import annotations

from datetime import date

HELP = (
    "回复「签到」每日签到，「积分」查看积分，「邀请」获取专属邀请码，"
    "「评价 5 拿铁很香，店员也很热情」写评价（10 字以上可得积分）。"
)

REFUSALS = {
    "disabled": "该活动暂未开放",
    "not_started": "活动尚未开始",
    "ended": "活动已结束",
    "tier": "该奖励仅限指定等级会员",
    "daily_cap": "今日奖励次数已用完",
    "weekly_cap": "本周奖励次数已用完",
    "lifetime_cap": "奖励次数已用完",
    "zero": "本次不计积分",
    "too_short": "字数太少，不计积分",
    "low_rating": "该评分不计积分",
}


def welcome(account_name: str, custom: str | None) -> str:
    """Greet a follower: the account's own text if set, else ours."""
    if custom:
        return custom
    return f"欢迎关注{account_name}！你已成为会员。\n{HELP}"


def help_text() -> str:
    return f"没听懂哦~\n{HELP}"


def unsupported() -> str:
    return f"暂时无法处理这类消息。\n{HELP}"


def tier_gap(next_name: str | None, gap: int | None) -> str:
    return f"再得 {gap} 积分升级为{next_name}" if next_name and gap else ""


def checkin_ok(points: int, bonus: int, streak: int, next_bonus: tuple[int, int] | None, gap: str) -> str:
    """签到成功 +10 积分，已连续 3 天，再签 4 天得额外 50 积分"""
    parts = [f"签到成功 +{points} 积分"]
    if bonus:
        parts[0] += f"，连续签到奖励 +{bonus} 积分"
    parts.append(f"已连续 {streak} 天")
    if next_bonus:
        parts.append(f"再签 {next_bonus[0]} 天得额外 {next_bonus[1]} 积分")
    text = "，".join(parts)
    return f"{text}\n{gap}" if gap else text


def checkin_again(streak: int) -> str:
    return f"今天已经签到过了，已连续 {streak} 天，明天再来哦~"


def checkin_closed(reason: str) -> str:
    return f"签到暂不可用：{REFUSALS.get(reason, reason)}"


def makeup_ok(day: date, cost: int, streak: int) -> str:
    return f"补签成功（{day.month}月{day.day}日），消耗 {cost} 积分，当前连续 {streak} 天"


def makeup_refused(reason: str) -> str:
    texts = {
        "done": "昨天已经签到过了，无需补签",
        "points": "积分不足，无法补签",
        "off": "本店未开放补签",
        "before_follow": "昨天你还没有关注本店，无需补签",
    }
    return texts.get(reason, reason)


def points_summary(
    balance: int, pending: int, tier_name: str | None, gap: str, expiring: tuple[int, date] | None
) -> str:
    lines = [f"当前积分 {balance}" + (f"（其中 {pending} 积分待入账）" if pending else "")]
    lines.append(f"会员等级：{tier_name or '普通会员'}")
    if gap:
        lines.append(gap)
    if expiring:
        lines.append(f"{expiring[0]} 积分将于 {expiring[1].month}月{expiring[1].day}日过期，记得使用哦")
    return "\n".join(lines)


def review_thanks(rating: int, points: int | None, pending_approval: bool, refusal: str | None) -> str:
    text = f"感谢你的{rating}星评价！"
    if refusal:
        return f"{text}{REFUSALS.get(refusal, refusal)}。"
    if pending_approval:
        return f"{text}审核通过后发放 {points} 积分。"
    return f"{text}+{points} 积分，稍后到账。" if points else text


def review_problem(reason: str) -> str:
    texts = {
        "rating": "评分需为 1 到 5 的整数，例如：评价 5 拿铁很香，店员也很热情",
        "too_long": "评价内容最多 500 字，请精简后再发",
        "empty": "请按格式发送：评价 5 拿铁很香，店员也很热情",
    }
    return texts.get(reason, reason)


def tier_changed(tier_name: str, up: bool) -> str:
    return f"恭喜升级为{tier_name}！" if up else f"你的会员等级已调整为{tier_name}"


def poster_coming(link: str) -> str:
    return (
        "你的专属邀请海报正在生成，马上发给你~\n"
        "好友扫码关注，你们都有积分奖励。\n"
        f'<a href="{link}">先看看我的邀请海报</a>'
    )
