"""Addresses no route matches: each door answers in its own language (JSON, a Chinese page)."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from bot.api.errors import error_body
from bot.h5.web import http_error as h5_page
from bot.h5.web import private_and_locked_down


def init_app(app: Flask) -> None:
    app.register_error_handler(404, not_routed)
    app.register_error_handler(405, not_routed)


def not_routed(exc: HTTPException) -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        code = (exc.name or "error").lower().replace(" ", "_")
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}  # 405: Allow
        return jsonify(error_body(code, exc.description or "")), exc.code or 404, headers
    if request.path.startswith("/h5/"):  # outside the blueprint's routes: its headers put on by hand
        return private_and_locked_down(make_response(h5_page(exc)))
    return exc
