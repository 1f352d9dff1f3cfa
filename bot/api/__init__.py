"""The merchant API under /api/v1: JSON in and out, a bearer token per account."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

from bot.api import auth, errors  # noqa: E402, F401  (registers the hooks)
