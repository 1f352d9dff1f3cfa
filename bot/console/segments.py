"""Segments: the funnel, the relationship stages, the RFM table and the KOL candidates, each with a
way into the members behind it."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from bot.access import current
from bot.console import charts
from bot.console.web import page, view
from bot.db import read
from models import utcnow
from rules.accounts.roles import Area
from services.segments import reports
from services.segments.dashboard import window

FUNNEL_PERIODS = (("7d", "近 7 天", 7), ("30d", "近 30 天", 30), ("90d", "近 90 天", 90))
REFERRAL_STATUS = {
    "held": "观察期",
    "review": "待审核",
    "refused": "已拒绝",
    "paid": "已奖励",
    "voided": "已作废",
    "capped": "已达上限",
}
PART_HELP = {
    "activity": "签到、写评价和点赞的次数",
    "good_reviews": "4–5 星且已通过的评价数",
    "review_likes": "其好评收到的点赞数",
    "shares": "分享的页面数",
    "share_reads": "分享被他人阅读的次数（每人每页每天计一次）",
    "share_follows": "读了分享后关注的人数",
    "referrals": "通过其邀请码关注的好友数（不含已拒绝、已作废）",
    "second_degree": "好友再邀请来的人数（折算计入）",
    "downstream_activity": "其好友的签到、评价等活跃（深度折算）",
}


@view("/segments", Area.READ)
def segments() -> ResponseReturnValue:
    account = current().account
    period = request.args.get("period", "30d")
    days = {key: n for key, _, n in FUNNEL_PERIODS}.get(period)
    if days is None:
        period, days = "30d", 30
    _, start, end = window(utcnow(), account.timezone, days)

    def load(s: Session) -> dict[str, Any]:
        run, candidates = reports.kol_candidates(s, account.id)
        return {
            "funnel": reports.funnel(s, account.id, start, end),
            "stages": reports.stage_counts(s, account.id),
            "rfm": reports.rfm_table(s, account.id),
            "run": run,
            "candidates": candidates,
            "bar": reports.kol_bar(s, account.id),
        }

    found = read(load)
    funnel, stages = found["funnel"], found["stages"]
    return page(
        "console/segments.html",
        periods=FUNNEL_PERIODS,
        period=period,
        funnel_chart=charts.bars(
            "转化漏斗（人）", [step.name for step in funnel], {"人数": [step.count for step in funnel]}
        ),
        stages_chart=charts.bars(
            "关系阶段（关注中的会员）",
            [row["name"] for row in stages],
            {"会员": [row["members"] for row in stages]},
        ),
        part_help=PART_HELP,
        bar_parts="、".join(p["name"] for p in reports.bar_parts()),
        referral_status=REFERRAL_STATUS,
        **found,
    )
