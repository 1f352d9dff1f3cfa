"""The invariant checker: what must hold after any run, however it was interrupted.

- every accepted callback stored once (and, given what the sender saw accepted, none missing);
- every award once (one ledger row per idempotency key);
- every member's balance equal to the sum of their ledger; no negative balance, no negative stock;
- every referee bound once;
- every campaign delivery at most once per member (and, given what WeChat received, no message
  sent twice);
- given the tier notices WeChat received, none more often than the member's tier changed;
- nothing stuck in the outbox (no callback pending or failed longer than a grace).

Each check is one aggregate query; `check` returns every violation found, named and counted, so
a fault run, the soak and the demo's report print the same verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Delivery, InboundEvent, LedgerEntry, Member, Referral, Reward, TierChange, utcnow
from rules.inbound.status import EventStatus


@dataclass
class Verdict:
    counts: dict[str, int] = field(default_factory=dict)  # what was looked at
    violations: dict[str, list[str]] = field(default_factory=dict)  # check → examples (a few)

    @property
    def clean(self) -> bool:
        return not self.violations

    def fail(self, check: str, examples: Iterable[object]) -> None:
        found = [str(e) for e in examples]
        if found:
            self.violations[check] = found[:10] + ([f"… {len(found) - 10} more"] if len(found) > 10 else [])

    def lines(self) -> list[str]:
        looked = ", ".join(f"{n:,} {what}" for what, n in self.counts.items())
        if self.clean:
            return [f"invariants: clean ({looked})"]
        return [f"invariants: {len(self.violations)} violated ({looked})"] + [
            f"  {check}: {'; '.join(examples)}" for check, examples in self.violations.items()
        ]


def check(
    session: Session,
    accepted: Iterable[tuple[int, str]] | None = None,
    received: Iterable[tuple[int, str]] | None = None,
    grace: timedelta = timedelta(minutes=2),
    now: datetime | None = None,
    notified: Iterable[str] | None = None,
) -> Verdict:
    """Check every invariant. `accepted`: (account_id, dedup_key) of each callback the sender saw
    answered 200; `received`: (campaign_id, openid) of each campaign message WeChat took;
    `notified`: the openid of each tier notice (template message) WeChat took."""
    v = Verdict()
    _callbacks(session, v, accepted, grace, now or utcnow())
    _ledger(session, v)
    _referrals(session, v)
    _deliveries(session, v, received)
    _notices(session, v, notified)
    return v


def _callbacks(
    session: Session, v: Verdict, accepted: Iterable[tuple[int, str]] | None, grace: timedelta, now: datetime
) -> None:
    keys = InboundEvent.account_id, InboundEvent.dedup_key
    v.counts["callbacks"] = session.scalar(select(func.count()).select_from(InboundEvent)) or 0
    twice = session.execute(select(*keys).group_by(*keys).having(func.count() > 1)).all()
    v.fail("a callback stored more than once", (f"{a}:{k}" for a, k in twice))
    if accepted is not None:
        wanted = set(accepted)
        stored = {(a, k) for a, k in session.execute(select(*keys)).all()}
        v.fail("an accepted callback not stored", (f"{a}:{k}" for a, k in sorted(wanted - stored)))
    stuck = session.execute(
        select(InboundEvent.id, InboundEvent.status).where(
            InboundEvent.status.in_([EventStatus.PENDING.value, EventStatus.FAILED.value]),
            InboundEvent.received_at < now - grace,
        )
    ).all()
    v.fail("a callback stuck in the outbox", (f"event {i} {s}" for i, s in stuck))


def _ledger(session: Session, v: Verdict) -> None:
    v.counts["ledger rows"] = session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
    keys = LedgerEntry.account_id, LedgerEntry.key
    twice = session.execute(select(*keys).group_by(*keys).having(func.count() > 1)).all()
    v.fail("an award recorded more than once", (f"{a}:{k}" for a, k in twice))
    sums = (
        select(LedgerEntry.member_id, func.sum(LedgerEntry.delta).label("total"))
        .group_by(LedgerEntry.member_id)
        .subquery()
    )
    off = session.execute(
        select(Member.id, Member.points_balance, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.member_id == Member.id)
        .where(Member.points_balance != func.coalesce(sums.c.total, 0))
    ).all()
    v.fail("a balance that is not its ledger's sum", (f"member {m}: {b} ≠ {t}" for m, b, t in off))
    negative = session.execute(
        select(Member.id, Member.points_balance).where(Member.points_balance < 0)
    ).all()
    v.fail("a negative balance", (f"member {m}: {b}" for m, b in negative))
    oversold = session.execute(select(Reward.id, Reward.stock).where(Reward.stock < 0)).all()
    v.fail("a negative stock", (f"reward {r}: {s}" for r, s in oversold))
    v.counts["members"] = session.scalar(select(func.count()).select_from(Member)) or 0


def _referrals(session: Session, v: Verdict) -> None:
    twice = session.execute(
        select(Referral.referee_id).group_by(Referral.referee_id).having(func.count() > 1)
    ).scalars()
    v.fail("a referee bound more than once", (f"member {m}" for m in twice))


def _deliveries(session: Session, v: Verdict, received: Iterable[tuple[int, str]] | None) -> None:
    keys = Delivery.campaign_id, Delivery.member_id
    v.counts["deliveries"] = session.scalar(select(func.count()).select_from(Delivery)) or 0
    twice = session.execute(select(*keys).group_by(*keys).having(func.count() > 1)).all()
    v.fail("a delivery planned more than once", (f"campaign {c} member {m}" for c, m in twice))
    if received is not None:
        sent_twice = [k for k, n in Counter(received).items() if n > 1]
        v.fail("a campaign message WeChat received twice", (f"campaign {c} → {o}" for c, o in sent_twice))


def _notices(session: Session, v: Verdict, notified: Iterable[str] | None) -> None:
    if notified is None:
        return
    changes = dict(
        session.execute(
            select(Member.openid, func.count())
            .join(TierChange, TierChange.member_id == Member.id)
            .group_by(Member.openid)
        ).all()
    )
    over = [(o, n) for o, n in Counter(notified).items() if n > changes.get(o, 0)]
    v.fail("a tier notice WeChat received twice", (f"{o}: {n} for {changes.get(o, 0)}" for o, n in over))
