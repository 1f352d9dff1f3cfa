"""The WeChat API server side of the simulator, as a Flask app."""

from __future__ import annotations

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

import simulator.endpoints  # noqa: F401  (registers the endpoints)
from simulator.admin import admin
from simulator.errors import error_body
from simulator.mass_admin import mass_admin
from simulator.routing import EXTENSION_KEY, build_blueprint, json_response
from simulator.state import SimulatorState


def create_api_app(state: SimulatorState | None = None) -> Flask:
    """Build the simulated WeChat API; its state lives in app.extensions["wechat_sim"]."""
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = SimulatorState() if state is None else state
    app.register_blueprint(build_blueprint())
    app.register_blueprint(admin)
    app.register_blueprint(mass_admin)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _http_error(exc: HTTPException) -> Response:
    """Answer unknown paths and bad methods with JSON instead of HTML."""
    return json_response(error_body(-1, f"simulator: {exc.name}"), status=exc.code or 500)
