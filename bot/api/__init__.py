"""The merchant API under /api/v1: JSON in and out, a bearer token per account."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

# auth first: its hook must run before any other (the rest register hooks and routes)
from bot.api import (  # noqa: E402, F401
    auth,
    campaigns,
    errors,
    events,
    inputs,
    journeys,
    members,
    openapi,
    orders,
    point_tasks,
    programme,
    referral_graph,
    referrals,
    reviews,
    rewards,
    segments,
    tags,
)
