"""The dashboard: today and the last 7 and 30 days at a glance."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from bot.access import current
from bot.console.web import page, view
from bot.db import read
from models import utcnow
from rules.accounts.roles import Area
from services.segments import dashboard as figures


@view("/", Area.READ)
def dashboard() -> ResponseReturnValue:
    account = current().account
    totals = read(lambda s: figures.totals(s, account.id, account.timezone, utcnow()))
    return page("console/dashboard.html", totals=totals)
