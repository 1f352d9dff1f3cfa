"""Custom actions (`custom:<code>`) the merchant reports, once per merchant key; paid by the drain."""

from __future__ import annotations

from flask import Response, jsonify
from sqlalchemy.orm import Session

from bot.api import api, inputs
from bot.api.auth import current_account
from bot.api.db import write
from bot.api.errors import ApiError
from models import utcnow
from services import api_support
from services.api_support import EventConflict
from services.points.orders import UnknownMember


@api.post("/events")
def post_event() -> tuple[Response, int]:
    """202 {"accepted": true, "duplicate": bool}; 404 for an unknown member, 409 for a reused key, 422."""
    body = inputs.json_object()
    inputs.fields(
        body, "invalid_event", {"openid", "action", "key", "occurred_at"}, ("openid", "action", "key")
    )
    now = utcnow()
    try:
        at = inputs.parse_time(body.get("occurred_at"))
        problems = []
    except ValueError:
        at, problems = None, ["occurred_at must be an ISO 8601 time with a UTC offset"]
    problems += api_support.event_problems(body["openid"], body["action"], body["key"], at, now)
    if problems:
        raise ApiError(422, "invalid_event", "the event does not hold", problems)

    def save(session: Session) -> bool:
        try:
            return api_support.record_custom_event(
                session, current_account().id, body["openid"], body["action"], body["key"], at or now
            )
        except UnknownMember:
            raise ApiError(404, "unknown_member", f"no member has openid {body['openid']}") from None
        except EventConflict as exc:
            raise ApiError(409, "event_conflict", str(exc)) from None

    created = write(save, wake=True)
    return jsonify({"accepted": True, "duplicate": not created}), 202
