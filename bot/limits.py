"""Rate limits (flask-limiter): on Redis in production, in memory on the embedded default."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from bot.context import tiefen
from config import Settings

SIGN_IN = "20 per minute; 200 per hour"  # per address: guessing passwords gets nowhere

limiter = Limiter(get_remote_address, default_limits=[], headers_enabled=True)


@limiter.request_filter
def _webhook() -> bool:
    """The webhook is never limited, and skips the limiter's work altogether (its reply path)."""
    return request.path.startswith("/wechat")


def init_app(app: Flask, settings: Settings) -> None:
    """Limits per address: H5 pages (H5_RATE_LIMIT) and the API (API_RATE_LIMIT); the webhook has
    none (WeChat's few addresses carry every follower's callbacks, and it must never be turned away)."""
    app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "tiefen-limits")
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True  # Redis down: serve without limits, not a 500
    limiter.init_app(app)


def h5_rate() -> str:
    return tiefen().settings.h5_rate_limit


def api_rate() -> str:
    return tiefen().settings.api_rate_limit
