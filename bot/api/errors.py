"""Every API error is JSON: {"error": {"code", "message", "details"}}, with a fitting status."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

from bot.api import api


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


def error_body(code: str, message: str, details: list[str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


@api.errorhandler(ApiError)
def api_error(exc: ApiError) -> tuple[Response, int]:
    return jsonify(error_body(exc.code, exc.message, exc.details)), exc.status


@api.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> tuple[Response, int]:
    status = exc.code or 500
    return jsonify(error_body((exc.name or "error").lower().replace(" ", "_"), exc.description or "")), status
