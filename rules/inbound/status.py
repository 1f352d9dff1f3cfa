"""A stored callback's status in the outbox (the `inbound_events.status` column)."""

from __future__ import annotations

import enum


class EventStatus(enum.StrEnum):
    PENDING = "pending"  # stored, its job not yet done
    DONE = "done"
    FAILED = "failed"  # gave up after the attempt limit; an operator looks
