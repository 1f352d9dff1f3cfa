"""Rate limits (flask-limiter): on Redis in production, in memory on the embedded default."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from config import Settings

SIGN_IN = "20 per minute; 200 per hour"  # per address: guessing passwords gets nowhere

limiter = Limiter(get_remote_address, default_limits=[], headers_enabled=True)


def init_app(app: Flask, settings: Settings) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "tiefen-limits")
    limiter.init_app(app)
