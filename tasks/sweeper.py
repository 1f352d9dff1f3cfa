"""The outbox sweeper: if events wait too long, a drain was lost; start one."""

from __future__ import annotations

from datetime import timedelta

from metrics import counted
from models import utcnow
from services.inbound import outbox as inbound
from services.points import tier_notices as notices
from services.referrals import poster_requests
from tasks import wake_drainer
from tasks.points import announce
from tasks.referrals import queue_posters
from tasks.runtime import current

GRACE_SECONDS = 60  # longer than a healthy wake-to-done takes


@counted
def sweep_outbox(grace_seconds: int = GRACE_SECONDS) -> int:
    """Start a drain if events have waited longer than the grace period, and queue the tier notices
    and the posters whose jobs never ran (lost with Redis's data). Returns how many events waited."""
    lost = timedelta(seconds=max(grace_seconds, 300))
    with current().job_sessions() as session:
        stale = inbound.count_stale(session, timedelta(seconds=grace_seconds))
        unsent = notices.unannounced(session, utcnow() - lost)
        posters = poster_requests.unsettled(session, utcnow(), lost)
    if stale:
        wake_drainer(force=True)
    announce(unsent)
    queue_posters(posters)
    return stale
