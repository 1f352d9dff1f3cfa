"""The merchant console under /console/: server-rendered pages for staff, signed in by a cookie
session, every form with a CSRF token, every page on the same permission map as the API."""

from flask import Blueprint

console = Blueprint("console", __name__, url_prefix="/console")

from bot.console import (  # noqa: E402, F401
    accounts,
    dashboard,
    programme,
    rewards,
    web,  # noqa: E402, F401  (the hooks first)
)
