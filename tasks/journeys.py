"""Triggered journeys, every five minutes: members whose moment came get the journey's message
through the campaign planner, caps and delivery (once per member per journey)."""

from __future__ import annotations

import logging

from metrics import counted
from models import utcnow
from rules.campaigns.planner import Rules
from services.campaigns import journeys
from tasks.campaigns import Sender
from tasks.runtime import current

log = logging.getLogger(__name__)


@counted
def run_journeys() -> dict[str, int]:
    """Plan and send every enabled journey's due members; returns deliveries planned per journey."""
    runtime, planned = current(), {}
    with runtime.job_sessions.begin() as session:
        journeys.ensure_every_default(session)
    with runtime.job_sessions() as session:
        found = journeys.enabled(session)
    for each in found:
        with runtime.job_sessions.begin() as session:
            run = journeys.plan_due(session, each, utcnow(), Rules())
        planned[run.name] = run.added
        if run.added:
            with Sender(runtime, run.account, run.campaign) as sender:
                while sender.kf_batch() or sender.mass_batch():
                    pass
    log.info("journeys planned: %s", planned)
    return planned
