"""What a request brings: a JSON object body (at most 64 KiB), paging, times with an offset."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from bot.api import api
from bot.api.errors import ApiError

MAX_BODY = 64 * 1024
MAX_PER_PAGE = 100


def _too_large() -> ApiError:
    return ApiError(413, "payload_too_large", f"the body must be at most {MAX_BODY} bytes")


@api.before_request
def cap_body() -> None:
    """Refuse a declared oversized body at once; a streamed one stops at the cap when read."""
    request.max_content_length = MAX_BODY
    if (request.content_length or 0) > MAX_BODY:
        raise _too_large()


def json_object() -> dict[str, Any]:
    """The body as a JSON object; 400 for anything else, 413 past the cap."""
    if not request.is_json:
        raise ApiError(400, "bad_request", "send a JSON object with Content-Type: application/json")
    try:
        body = json.loads(request.get_data(cache=False))
    except RequestEntityTooLarge:
        raise _too_large() from None
    except (ValueError, RecursionError):
        raise ApiError(400, "bad_request", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    return body


def fields(body: dict[str, Any], code: str, allowed: Collection[str], required: Collection[str] = ()) -> None:
    """422 `code` naming unknown and missing fields."""
    problems = [f"unknown field {name!r}" for name in sorted(set(body) - set(allowed))]
    problems += [f"{name} is required" for name in sorted(set(required) - set(body))]
    if problems:
        raise ApiError(422, code, "the body has unknown or missing fields", problems)


def paging() -> tuple[int, int]:
    """`?page=` (from 1) and `?per_page=` (1-100, default 20); 422 `invalid_query` otherwise."""
    try:
        page = int(request.args.get("page", "1"))
        per_page = int(request.args.get("per_page", "20"))
    except ValueError:
        page = per_page = 0
    if not (1 <= page <= 1_000_000 and 1 <= per_page <= MAX_PER_PAGE):
        raise ApiError(422, "invalid_query", f"page must be 1 or more and per_page 1-{MAX_PER_PAGE}")
    return page, per_page


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 string with a UTC offset as an aware datetime, null as None; ValueError otherwise."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    if parsed is None or parsed.tzinfo is None:
        raise ValueError("not an ISO 8601 time with a UTC offset")
    return parsed
