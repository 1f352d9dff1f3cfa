"""Custom actions (`custom:<code>`) the merchant reports, once per merchant key; paid by the drain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.api.auth import current_account
from bot.api.errors import ApiError
from bot.api.points.schemas import EventAccepted, NewEvent
from bot.api.routes import operation
from bot.db import write
from models import utcnow
from rules.accounts.roles import Area
from rules.clock import ahead_of
from services.points import custom_events
from services.points.orders import UnknownMember


@operation(
    "POST",
    "/events",
    area=Area.TILL,
    tag="events",
    answer=EventAccepted,
    status=202,
    body=NewEvent,
    invalid="invalid_event",
    errors=(409,),
)
def post_event(body: NewEvent) -> EventAccepted:
    """Report a custom action for points
    404 for an unknown member, 409 for a key used before for another member or action."""
    now = utcnow()
    if body.occurred_at is not None and ahead_of(body.occurred_at, now):
        raise ApiError(422, "invalid_event", "the event does not hold", ["occurred_at: is in the future"])

    def save(session: Session) -> bool:
        try:
            return custom_events.record_custom_event(
                session, current_account().id, body.openid, body.action, body.key, body.occurred_at or now
            )
        except UnknownMember:
            raise ApiError(404, "unknown_member", f"no member has openid {body.openid}") from None
        except custom_events.EventConflict as exc:
            raise ApiError(409, "event_conflict", str(exc)) from None

    created = write(save, wake=True)
    return EventAccepted(accepted=True, duplicate=not created)
