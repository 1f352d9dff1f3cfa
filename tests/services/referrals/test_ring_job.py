"""The nightly ring scan: referrals on rings (made possible by imports or data repairs) go to review."""

from __future__ import annotations

from sqlalchemy import select

from models import Referral, utcnow
from services.accounts.members import ensure_members
from tasks.referrals import scan_rings


def test_the_ring_scan_job_sends_unpaid_ring_referrals_to_review_once(app, session):
    account_id = app.extensions["tiefen"].accounts.get(None).id
    ids = ensure_members(session, account_id, ["oRingJobA", "oRingJobB", "oRingJobC", "oRingJobD"])
    a, b, c, d = (ids[o] for o in ("oRingJobA", "oRingJobB", "oRingJobC", "oRingJobD"))
    now = utcnow()
    for up, down, status in ((a, b, "held"), (b, c, "review"), (c, a, "paid"), (c, d, "held")):
        session.add(
            Referral(
                account_id=account_id,
                referrer_id=up,
                referee_id=down,
                scene=f"m{up}-abcdef",
                bound_at=now,
                status=status,
                reasons=["burst"] if status == "review" else [],
            )
        )
    session.commit()
    assert scan_rings() == {"rings": 1, "marked": 2, "paid_on_rings": 1}
    session.expire_all()
    got = {(r.referrer_id, r.referee_id): (r.status, r.reasons) for r in session.scalars(select(Referral))}
    assert got == {
        (a, b): ("review", ["ring"]),
        (b, c): ("review", ["burst", "ring"]),
        (c, a): ("paid", []),  # the points are out: the merchant sees it in the report
        (c, d): ("held", []),  # a tail off the ring is no ring
    }
    assert scan_rings() == {"rings": 1, "marked": 0, "paid_on_rings": 1}
