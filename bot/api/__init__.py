"""The merchant API under /api/v1: JSON in and out, a bearer token per account.

Each feature's operations live in its package (points, referrals, segments, campaigns), described by
pydantic models in its `schemas`; `routes` holds the table they register in and `openapi` the document
assembled from it.
"""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

# auth first: its hook must run before any other (the rest register hooks and routes)
from bot.api import auth, errors, openapi, routes  # noqa: E402, F401
from bot.api.accounts import access, audit  # noqa: E402, F401
from bot.api.accounts import members as account_members  # noqa: E402, F401
from bot.api.campaigns import campaigns, journeys  # noqa: E402, F401
from bot.api.points import (  # noqa: E402, F401
    events,
    members,
    orders,
    point_tasks,
    programme,
    redemptions,
    reviews,
    rewards,
)
from bot.api.referrals import graph, referrals  # noqa: E402, F401
from bot.api.segments import segments, tags  # noqa: E402, F401
from bot.limits import api_rate, api_token_rate, bearer_key, limiter, no_bearer  # noqa: E402

limiter.shared_limit(api_rate, scope="api")(api)  # per address over every operation together
limiter.shared_limit(api_token_rate, scope="api-token", key_func=bearer_key, exempt_when=no_bearer)(api)
