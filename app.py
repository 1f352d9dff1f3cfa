"""Tiefen (铁粉): the backend of a WeChat Official Account that runs a membership programme.

`create_app(config)` builds the Flask app; `python app.py demo` runs the demo.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response

import logs
from config import Settings, refuse_insecure
from tasks import runtime as task_runtime


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment; keys in `config` win over it."""
    app = Flask(__name__, instance_relative_config=True)
    settings = Settings.from_env(os.environ, Path(app.instance_path)).override(config or {})
    refuse_insecure(settings)
    if not settings.testing:
        logs.configure(settings.log_format, settings.log_level)
    if settings.database_url.startswith("sqlite"):
        os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(SECRET_KEY=settings.secret_key, TESTING=settings.testing, TIEFEN_SETTINGS=settings)
    app.config.update(  # the console's session cookie
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=12 * 3600,  # a console sign-in lasts a working day
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese stays readable in JSON

    from bot import bp as bot_bp
    from bot import limits, unrouted
    from bot.accounts import AccountDirectory
    from bot.api import api
    from bot.console import console
    from bot.context import EXTENSION, Tiefen
    from bot.h5 import h5
    from bot.h5.assets import assets as h5_assets
    from bot.ops import ops
    from bot.programmes import ProgrammeCache
    from bot.sessions import SkipWebhookSessions

    runtime = task_runtime.install(task_runtime.build(settings))
    directory = AccountDirectory(settings, runtime.sessions)
    app.extensions[EXTENSION] = Tiefen(
        settings, runtime, directory, ProgrammeCache(runtime.sessions, runtime.redis)
    )
    app.register_blueprint(bot_bp)
    app.register_blueprint(api)
    app.register_blueprint(h5)
    app.register_blueprint(h5_assets)
    app.register_blueprint(console)
    app.register_blueprint(ops)
    app.before_request(_take_request_id)
    app.after_request(_give_request_id)
    app.teardown_request(_forget_request_id)
    limits.init_app(app, settings)
    app.session_interface = SkipWebhookSessions()
    unrouted.init_app(app)

    import commands

    commands.init_app(app)
    return app


def _take_request_id() -> None:
    from flask import g, request

    g.request_id_token = logs.REQUEST_ID.set(logs.new_request_id(request.headers.get("X-Request-Id")))


def _give_request_id(response: Response) -> Response:
    request_id = logs.REQUEST_ID.get()
    if request_id:
        response.headers["X-Request-Id"] = request_id
    return response


def _forget_request_id(_error: BaseException | None = None) -> None:
    """The thread that served the request speaks under no request's id afterwards."""
    from flask import g

    token = g.pop("request_id_token", None)
    if token is not None:
        logs.REQUEST_ID.reset(token)


if __name__ == "__main__":
    if sys.argv[1:2] == ["demo"]:
        from demo import main

        sys.exit(main(sys.argv[2:]))
    print("usage: python app.py demo   (the server: flask --app app run)", file=sys.stderr)
    sys.exit(2)
