"""Rate limits (flask-limiter): on Redis in production, in memory on the embedded default."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial, wraps
from typing import Any

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from bot.context import tiefen
from config import Settings

SIGN_IN = "20 per minute; 200 per hour"  # per address: guessing passwords gets nowhere

limiter = Limiter(get_remote_address, default_limits=[], headers_enabled=True)


WEBHOOK = "bot"  # the webhook's blueprint: never limited


@limiter.request_filter
def _webhook() -> bool:
    """The webhook is never limited (a second guard: its requests skip the limiter's hooks)."""
    return request.blueprint == WEBHOOK


def init_app(app: Flask, settings: Settings) -> None:
    """Limits per address: H5 pages (H5_RATE_LIMIT) and the API (API_RATE_LIMIT; and per token,
    API_TOKEN_RATE_LIMIT). The webhook has none: WeChat's few addresses carry every follower's
    callbacks, and it must never be turned away."""
    app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "tiefen-limits")
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True  # Redis down: serve without limits, not a 500
    limiter.init_app(app)
    _spare_the_webhook(app)


def _spare_the_webhook(app: Flask) -> None:
    """Run the limiter's app-wide hooks for every request but the webhook's.

    Even a filtered request costs the limiter's bookkeeping (about a tenth of the webhook's CPU,
    measured with bench.webhook_app), and the webhook's reply path does only what the reply needs.
    """
    registries: tuple[dict[Any, list[Any]], ...] = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
    )
    for hooks in registries:
        hooks[None] = [_unless_webhook(f) if _is_limiters(f) else f for f in hooks.get(None, [])]


def _is_limiters(hook: Callable[..., Any]) -> bool:
    target = hook.func if isinstance(hook, partial) else hook
    return getattr(target, "__self__", None) is limiter or "Limiter." in getattr(target, "__qualname__", "")


def _unless_webhook(hook: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(hook)
    def run(*args: Any) -> Any:
        if request.blueprint == WEBHOOK:
            return args[0] if args else None  # an after_request hook hands the response on
        return hook(*args)

    return run


def h5_rate() -> str:
    return tiefen().settings.h5_rate_limit


def api_rate() -> str:
    return tiefen().settings.api_rate_limit


def api_token_rate() -> str:
    return tiefen().settings.api_token_rate_limit


def bearer_key() -> str:
    """The API's second budget is the credential's: a token used from many addresses (a leaked
    one, looking members up by phone or 会员码) still has one. Hashed: no token lands in Redis."""
    return "token:" + hashlib.sha256(_bearer().encode("utf-8", "replace")).hexdigest()[:32]


def no_bearer() -> bool:
    """A request without a token has no credential's budget (the address's still holds it)."""
    return not _bearer()


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" else ""
