"""Custom actions (`custom:<code>`) the merchant reports: in the outbox once per merchant key."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import InboundEvent
from rules.inbound import messages
from rules.points.tasks import CUSTOM_PREFIX, is_valid_action
from services.accounts.members import find_member
from services.inbound.outbox import record_api_event
from services.points.orders import UnknownMember


class EventConflict(ValueError):
    """The key came before for another member or action."""


def custom_dedup_key(key: str) -> str:
    """`custom:<key>`; a key too long for the 64-character column is hashed, so two never share one."""
    plain = f"{CUSTOM_PREFIX}{key}"
    return (
        plain
        if len(plain) <= 64
        else f"{CUSTOM_PREFIX}sha256:{hashlib.sha256(key.encode()).hexdigest()[:50]}"
    )


def record_custom_event(
    session: Session, account_id: int, openid: str, action: str, key: str, at: datetime
) -> bool:
    """Put a custom action in the outbox once per merchant key; True if new. UnknownMember, EventConflict."""
    assert is_valid_action(action) and action.startswith(CUSTOM_PREFIX)
    if find_member(session, account_id, openid) is None:
        raise UnknownMember(openid)
    dedup = custom_dedup_key(key)
    payload: dict[str, object] = {"action": action, "key": key, "occurred_at": at.isoformat()}
    if record_api_event(session, account_id, openid, messages.CUSTOM, action, dedup, payload, at) is not None:
        return True
    first = session.execute(
        select(InboundEvent.openid, InboundEvent.event_key).where(
            InboundEvent.account_id == account_id, InboundEvent.dedup_key == dedup
        )
    ).one()
    if tuple(first) != (openid, action):
        raise EventConflict(f"key {key!r} was used before for another member or action")
    return False
