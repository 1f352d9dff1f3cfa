"""What the account says, in Simplified Chinese, as plain functions."""

from __future__ import annotations

HELP = "回复「签到」每日签到,「积分」查看积分,「邀请」获取专属邀请码,「评价 5 很好吃」写评价。"


def welcome(account_name: str, custom: str | None) -> str:
    """Greet a follower: the account's own text if set, else ours."""
    if custom:
        return custom
    return f"欢迎关注{account_name}!你已成为会员。\n{HELP}"


def help_text() -> str:
    return f"没听懂哦~\n{HELP}"


def unsupported() -> str:
    return f"暂时无法处理这类消息。\n{HELP}"
