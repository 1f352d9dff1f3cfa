"""Jobs for stored inbound callbacks."""

from __future__ import annotations

import logging

from services import inbound
from tasks.runtime import current

log = logging.getLogger(__name__)


def process(event_id: int) -> str:
    """Apply one stored callback's effects. Safe to run twice; a failure is counted, then re-raised."""
    sessions = current().sessions
    try:
        with sessions.begin() as session:
            return inbound.process_inbound(session, event_id)
    except Exception as exc:
        with sessions.begin() as session:
            attempts = inbound.note_failure(session, event_id, f"{type(exc).__name__}: {exc}")
        log.exception("event %s failed (attempt %s)", event_id, attempts)
        raise
