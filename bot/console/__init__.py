"""The merchant console under /console/: server-rendered pages for staff, signed in by a cookie
session, every form with a CSRF token, every page on the same permission map as the API."""

from flask import Blueprint

console = Blueprint("console", __name__, url_prefix="/console")

# web first: its hooks sign in, check CSRF and the permission map before any page
from bot.console import web  # noqa: E402, F401, I001
from bot.console import (  # noqa: E402, F401
    accounts,
    campaigns,
    channels,
    dashboard,
    journeys,
    members,
    programme,
    redemptions,
    referrals,
    rewards,
    segments,
    till,
    wechat,
)
