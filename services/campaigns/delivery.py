"""Deliveries: planned once per (campaign, member), claimed in batches by the senders, and closed
with what WeChat answered — so a re-run, a second worker or a killed one never sends twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, literal, or_, select, update
from sqlalchemy.orm import Session

from models import Campaign, ContactWindow, Delivery, MassSend, Member
from models.base import UTCDateTime
from models.upsert import dialect_of, insert_for, one_of, table_of
from rules.campaigns.lifecycle import PENDING_DELIVERIES, DeliveryStatus, MassSendStatus, mass_status
from rules.campaigns.planner import Rules, window_open
from services.campaigns import audience as campaigns

STALE = timedelta(minutes=10)  # a delivery "sending" this long was cut off mid-call


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    member_id: int
    openid: str
    variant: str
    window: str | None  # kf: which window it spends ("message" or "event")


WAIT = ("quiet_hours", "daily_cap", "weekly_cap", "mass_quota")  # reasons that pass with time


def materialize(
    session: Session, campaign: Campaign, tz: str, now: datetime, rules: Rules, only: Any = None
) -> dict[str, int]:
    """Write the planner's decision as delivery rows (planned, or held with the reason); members
    planned before keep their row (unique per campaign and member). Returns counts by status.

    With `only` (a journey's triggered members) a member held for a reason that passes with time
    gets no row, so a later run can still reach them.
    """
    rows = campaigns.planned(session, campaign, tz, now, rules, only).subquery()
    status = case((rows.c.reason.is_(None), DeliveryStatus.PLANNED.value), else_=DeliveryStatus.HELD.value)
    chosen = select(
        literal(campaign.account_id),
        literal(campaign.id),
        rows.c.member_id,
        rows.c.variant,
        rows.c.channel,
        status,
        rows.c.reason,
        literal(now, UTCDateTime()),
    ).where(rows.c.member_id.is_not(None))  # SQLite's upsert wants a WHERE on its SELECT
    if only is not None:
        chosen = chosen.where(or_(rows.c.reason.is_(None), rows.c.reason.not_in(WAIT)))
    columns = [
        "account_id",
        "campaign_id",
        "member_id",
        "variant",
        "channel",
        "status",
        "reason",
        "planned_at",
    ]
    stmt = insert_for(dialect_of(session), Delivery).from_select(columns, chosen)
    session.execute(stmt.on_conflict_do_nothing(index_elements=[Delivery.campaign_id, Delivery.member_id]))
    return counts(session, campaign.id)


def counts(session: Session, campaign_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.campaign_id == campaign_id)
        .group_by(Delivery.status)
    )
    return {status: int(n) for status, n in rows}


def claim(
    session: Session, campaign_id: int, channel: str, limit: int, now: datetime, variant: str | None = None
) -> list[Claimed]:
    """Take up to `limit` planned deliveries of a channel (skipping rows another sender holds) and
    mark them sending, in the caller's transaction."""
    stmt = (
        select(Delivery.id, Delivery.member_id, Member.openid, Delivery.variant, ContactWindow)
        .join(Member, Member.id == Delivery.member_id)
        .outerjoin(ContactWindow, ContactWindow.member_id == Delivery.member_id)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.status == DeliveryStatus.PLANNED,
            Delivery.channel == channel,
        )
        .order_by(Delivery.id)
        .limit(limit)
        .with_for_update(of=Delivery, skip_locked=True)
    )
    if variant is not None:
        stmt = stmt.where(Delivery.variant == variant)
    found = session.execute(stmt).all()
    if not found:
        return []
    session.execute(
        update(table_of(Delivery))
        .where(one_of(session, Delivery.id, [r.id for r in found]))
        .values(status=DeliveryStatus.SENDING.value, attempts=Delivery.attempts + 1, claimed_at=now)
    )
    return [
        Claimed(r.id, r.member_id, r.openid, r.variant, _window(r.ContactWindow, now, Rules())) for r in found
    ]


def _window(w: ContactWindow | None, now: datetime, rules: Rules) -> str | None:
    """The window a customer-service message spends: the one the planner found open, the
    message window first (as `rules.campaigns.planner.plan` checks them)."""
    if w is None:
        return None
    if window_open(w.message_at, w.message_used, rules.message_window, rules.message_quota, now):
        return "message"
    if window_open(w.event_at, w.event_used, rules.event_window, rules.event_quota, now):
        return "event"
    return None


def close(session: Session, results: list[tuple[int, DeliveryStatus, str | None]], now: datetime) -> None:
    """Record (delivery id, sent | failed | planned (to retry), reason) in one statement."""
    if not results:
        return
    session.execute(
        update(table_of(Delivery))
        .where(Delivery.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            reason=bindparam("b_reason"),
            sent_at=bindparam("b_sent_at"),
        ),
        [
            {"b_id": d, "b_status": s, "b_reason": r, "b_sent_at": now if s == DeliveryStatus.SENT else None}
            for d, s, r in results
        ],
    )


def spend_windows(session: Session, sent: list[Claimed]) -> None:
    """Customer-service messages spend the member's window quota (the planner reads it)."""
    for kind in ("message", "event"):
        ids = [c.member_id for c in sent if c.window == kind]
        if ids:
            used = getattr(ContactWindow, f"{kind}_used")
            session.execute(
                update(table_of(ContactWindow))
                .where(one_of(session, ContactWindow.member_id, ids))
                .values({f"{kind}_used": used + 1})
            )


def record_mass(
    session: Session, campaign: Campaign, clientmsgid: str, claimed: list[Claimed], now: datetime
) -> MassSend:
    """The mass send about to be made for `claimed`: its clientmsgid makes WeChat's retries safe."""
    mass = session.scalar(select(MassSend).where(MassSend.clientmsgid == clientmsgid))
    if mass is None:
        mass = MassSend(
            account_id=campaign.account_id,
            campaign_id=campaign.id,
            clientmsgid=clientmsgid,
            members=len(claimed),
        )
        session.add(mass)
        session.flush()
    session.execute(
        update(table_of(Delivery))
        .where(one_of(session, Delivery.id, [c.delivery_id for c in claimed]))
        .values(mass_id=mass.id)
    )
    return mass


def rescue_stale(session: Session, campaign_id: int, now: datetime) -> int:
    """Deliveries left "sending" by a killed worker. Mass sends go back to planned (their
    clientmsgid makes the resend safe); a customer-service message may have gone out, so it is
    closed as failed ("interrupted") rather than risk sending it twice."""
    cutoff = now - STALE
    stale = (
        Delivery.campaign_id == campaign_id,
        Delivery.status == DeliveryStatus.SENDING,
        Delivery.claimed_at < cutoff,
    )
    back = session.execute(
        update(table_of(Delivery))
        .where(*stale, Delivery.channel == "mass")
        .values(status=DeliveryStatus.PLANNED.value)
    ).rowcount  # type: ignore[attr-defined]
    cut = session.execute(
        update(table_of(Delivery))
        .where(*stale, Delivery.channel == "kf")
        .values(status=DeliveryStatus.FAILED.value, reason="interrupted")
    ).rowcount  # type: ignore[attr-defined]
    return int(back or 0) + int(cut or 0)


def attempts(session: Session, delivery_id: int) -> int:
    """How many times senders claimed the delivery (the retry limit counts them)."""
    return int(session.scalar(select(Delivery.attempts).where(Delivery.id == delivery_id)) or 0)


MASS_MIN = 2  # WeChat's list mass send takes two openids at least


@dataclass(frozen=True)
class MassBatch:
    """One mass send about to be made: its record, the clientmsgid WeChat de-duplicates it by,
    and the deliveries it carries."""

    mass_id: int
    clientmsgid: str
    variant: str
    claimed: list[Claimed]


def claim_mass(
    session: Session, campaign: Campaign, variant: str, limit: int, now: datetime
) -> MassBatch | None:
    """Take the variant's next planned mass deliveries and record the mass send for them; None
    when none were left. A lone delivery is held ("mass_needs_two"): the batch comes back empty."""
    claimed = claim(session, campaign.id, "mass", limit, now, variant=variant)
    if not claimed:
        return None
    if len(claimed) < MASS_MIN:
        close(session, [(claimed[0].delivery_id, DeliveryStatus.HELD, "mass_needs_two")], now)
        return MassBatch(0, "", variant, [])
    clientmsgid = f"tf{campaign.id}-{variant}-{claimed[0].delivery_id}"
    mass = record_mass(session, campaign, clientmsgid, claimed, now)
    return MassBatch(mass.id, clientmsgid, variant, claimed)


def close_mass(
    session: Session,
    batch: MassBatch,
    status: DeliveryStatus,
    reason: str | None,
    msg_id: int | None,
    now: datetime,
) -> None:
    """Record what WeChat answered a mass send: its deliveries' status, its own, its msg_id."""
    close(session, [(c.delivery_id, status, reason) for c in batch.claimed], now)
    values: dict[str, Any] = {"status": mass_status(status).value}
    if msg_id is not None:
        values["msg_id"] = msg_id
    session.execute(update(table_of(MassSend)).where(MassSend.id == batch.mass_id).values(values))


def stale_mass(session: Session, campaign_id: int, now: datetime) -> list[MassBatch]:
    """Mass sends a killed worker left unanswered, with the deliveries they still carry: they go
    again under the same clientmsgid."""
    stale = session.execute(
        select(MassSend.id, MassSend.clientmsgid)
        .where(
            MassSend.campaign_id == campaign_id,
            MassSend.status == MassSendStatus.SENDING,
            MassSend.created_at < now - STALE,
        )
        .order_by(MassSend.id)
    ).all()
    again = []
    for mass_id, clientmsgid in stale:
        rows = session.execute(
            select(Delivery.id, Delivery.member_id, Member.openid, Delivery.variant)
            .join(Member, Member.id == Delivery.member_id)
            .where(Delivery.mass_id == mass_id, Delivery.status.in_(PENDING_DELIVERIES))
            .order_by(Delivery.id)
        ).all()
        if rows:
            claimed = [Claimed(d, m, o, v, None) for d, m, o, v in rows]
            again.append(MassBatch(mass_id, clientmsgid, claimed[0].variant, claimed))
    return again


def mass_reports(session: Session, reports: list[tuple[int, int, dict[str, Any]]]) -> int:
    """MASSSENDJOBFINISH: record each mass send's outcome once (a replay changes nothing). Takes
    (account id, msg_id, result) as wechat.events.mass_job_report read them."""
    done = 0
    for account_id, msg_id, result in reports:
        done += int(
            session.connection()
            .execute(
                update(table_of(MassSend))
                .where(
                    MassSend.account_id == account_id,
                    MassSend.msg_id == msg_id,
                    MassSend.finished_at.is_(None),
                )
                .values(status=MassSendStatus.FINISHED.value, result=result, finished_at=func.now())
            )
            .rowcount
            or 0
        )
    return done
