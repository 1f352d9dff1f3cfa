"""Referral jobs: settle held rewards after the hold, scan the graph for rings, send posters."""

from __future__ import annotations

import logging

from models import utcnow
from services import referral_rewards
from tasks.points import announce
from tasks.runtime import current

log = logging.getLogger(__name__)

SETTLE_BATCH = 1000


def settle_referrals() -> dict[str, int]:
    """Pay, void or send for review every held referral whose hold ran out; a batch per transaction."""
    sessions, totals = current().job_sessions, referral_rewards.SettleOutcome()
    while True:
        with sessions.begin() as session:
            outcome = referral_rewards.settle_due(session, utcnow(), SETTLE_BATCH)
        announce(outcome.tier_changes)  # committed: the notice jobs will find them
        totals.decided.update(outcome.decided)
        totals.points += outcome.points
        if sum(outcome.decided.values()) < SETTLE_BATCH:
            log.info("referrals settled: %s, %d points", dict(totals.decided), totals.points)
            return {**totals.decided, "points": totals.points}
