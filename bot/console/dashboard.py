"""The dashboard: today and the last 7 and 30 days at a glance, with a chart per figure."""

from __future__ import annotations

from datetime import date

from flask import request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from bot.access import current
from bot.console import charts
from bot.console.web import page, view
from bot.db import read
from models import utcnow
from rules.accounts.roles import Area
from services.segments import dashboard as figures

PERIODS = {key: (label, days) for key, label, days in figures.PERIODS}


def day_label(day: date) -> str:
    return f"{day.month}/{day.day}"


def chart_set(series: figures.Series, days: int) -> dict[str, Markup]:
    """The charts over the last `days` days (at least a week: one day makes no line)."""
    span = max(days, 7)
    labels = [day_label(d) for d in series.days[-span:]]
    v = {name: values[-span:] for name, values in series.values.items()}
    return {
        "follows": charts.lines(
            "关注与取关（人）", labels, {"新关注": v["follows"], "取消关注": v["unfollows"]}
        ),
        "checkins": charts.lines("签到（次）", labels, {"签到": v["checkins"]}),
        "points": charts.bars(
            "积分（分）",
            labels,
            {"发放": v["points_issued"], "消耗": v["points_spent"], "过期": v["points_expired"]},
        ),
        "orders": charts.bars("订单（笔）", labels, {"订单": v["orders"]}),
        "revenue": charts.bars("销售额（元）", labels, {"销售额": [fen / 100 for fen in v["revenue_fen"]]}),
        "referrals": charts.bars("新推荐（人）", labels, {"新推荐": v["referrals"]}),
    }


@view("/", Area.READ)
def dashboard() -> ResponseReturnValue:
    account = current().account
    period = request.args.get("period", "today")
    if period not in PERIODS:
        period = "today"
    label, days = PERIODS[period]
    series = read(lambda s: figures.series(s, account.id, account.timezone, utcnow()))
    return page(
        "console/dashboard.html",
        periods=figures.PERIODS,
        period=period,
        period_label=label,
        chart_days=max(days, 7),
        totals=series.total(days),
        active_campaigns=series.active_campaigns,
        charts=chart_set(series, days),
        first_day=series.days[-max(days, 7)],
        last_day=series.days[-1],
    )
