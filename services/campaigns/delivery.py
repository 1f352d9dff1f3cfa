"""Deliveries: planned once per (campaign, member), claimed in batches by the senders, and closed
with what WeChat answered — so a re-run, a second worker or a killed one never sends twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import xmltodict  # type: ignore[import-untyped]
from sqlalchemy import bindparam, case, func, literal, or_, select, update
from sqlalchemy.orm import Session

from models import Campaign, ContactWindow, Delivery, MassSend, Member
from models.base import UTCDateTime
from models.upsert import dialect_of, insert_for, one_of, table_of
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
    status = case((rows.c.reason.is_(None), "planned"), else_="held")
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
        .where(Delivery.campaign_id == campaign_id, Delivery.status == "planned", Delivery.channel == channel)
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
        .values(status="sending", attempts=Delivery.attempts + 1, claimed_at=now)
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


def close(session: Session, results: list[tuple[int, str, str | None]], now: datetime) -> None:
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
            {"b_id": d, "b_status": s, "b_reason": r, "b_sent_at": now if s == "sent" else None}
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
    stale = (Delivery.campaign_id == campaign_id, Delivery.status == "sending", Delivery.claimed_at < cutoff)
    back = session.execute(
        update(table_of(Delivery)).where(*stale, Delivery.channel == "mass").values(status="planned")
    ).rowcount  # type: ignore[attr-defined]
    cut = session.execute(
        update(table_of(Delivery))
        .where(*stale, Delivery.channel == "kf")
        .values(status="failed", reason="interrupted")
    ).rowcount  # type: ignore[attr-defined]
    return int(back or 0) + int(cut or 0)


REPORTED = ("TotalCount", "FilterCount", "SentCount", "ErrorCount")


def mass_reports(session: Session, payloads: list[tuple[int, str]]) -> int:
    """MASSSENDJOBFINISH: record each mass send's outcome once (a replay changes nothing)."""
    done = 0
    for account_id, xml in payloads:
        fields = _fields(xml)
        try:
            msg_id = int(fields.get("MsgID") or fields.get("MsgId") or "")
        except ValueError:
            continue
        result: dict[str, Any] = {"status": fields.get("Status")}
        for name in REPORTED:
            try:
                result[name] = int(fields.get(name) or 0)
            except ValueError:
                result[name] = 0
        done += int(
            session.connection()
            .execute(
                update(table_of(MassSend))
                .where(
                    MassSend.account_id == account_id,
                    MassSend.msg_id == msg_id,
                    MassSend.finished_at.is_(None),
                )
                .values(status="finished", result=result, finished_at=func.now())
            )
            .rowcount
            or 0
        )
    return done


def _fields(xml: str) -> dict[str, str]:
    """The top-level fields of a stored callback (already checked by the webhook)."""
    parsed = xmltodict.parse(xml or "<xml/>", disable_entities=True).get("xml") or {}
    return {k: str(v) for k, v in parsed.items() if isinstance(v, str)}
