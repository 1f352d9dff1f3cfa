"""Every API error is JSON: {"error": {"code", "message", "details"}}, with a fitting status."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from pydantic import BaseModel, ConfigDict
from werkzeug.exceptions import HTTPException

from bot.api import api
from bot.db import Conflict


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    message: str
    details: list[str]


class Error(BaseModel):
    """What every 4xx answer carries; `details` names each problem, with its field path for input."""

    model_config = ConfigDict(extra="forbid")
    error: ErrorDetail


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


def error_body(code: str, message: str, details: list[str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


@api.errorhandler(ApiError)
def api_error(exc: ApiError) -> tuple[Response, int]:
    return jsonify(error_body(exc.code, exc.message, exc.details)), exc.status


@api.errorhandler(Conflict)
def conflict(exc: Conflict) -> tuple[Response, int]:
    return jsonify(error_body("conflict", str(exc))), 409


@api.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> tuple[Response, int, dict[str, str]]:
    """Werkzeug's errors as JSON, keeping their headers (405 says what is `Allow`ed)."""
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    body = error_body((exc.name or "error").lower().replace(" ", "_"), exc.description or "")
    return jsonify(body), status, headers
