"""The scoring job: stages, RFM, influence, KOL candidates and rule tags, per account.

Every 15 minutes only members touched since the last run are scored (`score_members`); a full
rebuild (`flask --app app kol rebuild`, or `full=True`, which rq cron runs nightly) scores everyone.
Each account is one transaction under an advisory lock: two runs at once score it once, a crash
leaves the last run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from sqlalchemy import select

from metrics import counted
from models import Account, Programme, utcnow
from services.points import programme
from services.segments import scoring as segments
from tasks.runtime import current

log = logging.getLogger(__name__)


@counted
def score_members(full: bool = False, progress: Callable[[int, str], None] | None = None) -> dict[str, int]:
    """Score every account; returns totals. `progress(account_id, step)` hears each step begin."""
    runtime = current()
    totals = {"accounts": 0, "scored": 0, "candidates": 0, "added": 0, "dropped": 0, "skipped": 0}
    with runtime.job_sessions() as session:
        account_ids = list(session.scalars(select(Account.id).order_by(Account.id)))
    for account_id in account_ids:
        with runtime.job_sessions.begin() as session:
            prog = programme.load(session, account_id)
            settings = session.get(Programme, account_id)
            assert settings is not None
            step: Callable[[str], None] = partial(progress, account_id) if progress else _unheard
            outcome = segments.run(session, prog, settings, full, utcnow(), step)
        totals["accounts"] += 1
        totals["skipped"] += outcome.skipped
        totals["scored"] += outcome.scored
        totals["candidates"] += len(outcome.candidates)
        totals["added"] += len(outcome.added)
        totals["dropped"] += len(outcome.dropped)
        log.info("account %s scored: %s", account_id, outcome)
    return totals


def _unheard(step: str) -> None:
    """The progress of a run nobody listens to."""
