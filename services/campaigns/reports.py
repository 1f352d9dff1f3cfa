"""A campaign's report, per variant: who was targeted, sent (by channel), held and failed (by
reason), delivered, opened; the shares of its landing page, the reads and follows they brought
and the points they cost; orders and revenue within the attribution window.

"Delivered" is what WeChat confirmed: a customer-service message it accepted, and the SentCount
of each mass send's MASSSENDJOBFINISH (WeChat reports mass sends per job, not per member).
Follows from shares are counted as the report is read: a reader of a share who followed after
reading it (not waiting for the scoring job to mark the read).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from models import Campaign, Delivery, LedgerEntry, MassSend, Member, Order, PageView, Share
from rules.campaigns.lifecycle import DeliveryStatus, MassSendStatus
from rules.points.tasks import Action
from services.campaigns.links import page as landing_page

ATTRIBUTION = timedelta(days=7)  # an order this soon after a member got the message counts for it
COUNTS = ("pending", "delivered", "opened", "shares", "sharers", "share_reads", "follows", "cost_points")


def report(session: Session, campaign: Campaign) -> dict[str, Any]:
    variants = {v["code"]: _empty() for v in campaign.variants}
    for variant, status, channel, reason, n, opened in _deliveries(session, campaign):
        out = variants.setdefault(variant, _empty())
        out["targeted"] += n
        out["opened"] += opened
        if status == DeliveryStatus.SENT:
            out["sent"][channel] = out["sent"].get(channel, 0) + n
            out["delivered"] += n if channel == "kf" else 0
        elif status in (DeliveryStatus.HELD, DeliveryStatus.FAILED):
            out[status][reason or "unknown"] = out[status].get(reason or "unknown", 0) + n
        else:
            out["pending"] += n
    for variant, sent in _mass_delivered(session, campaign):
        variants.setdefault(variant, _empty())["delivered"] += sent
    for code, out in variants.items():
        out.update(_sharing(session, campaign, code))
    for variant, orders, revenue in _orders_after(session, campaign):
        out = variants.setdefault(variant, _empty())
        out["orders"], out["revenue_fen"] = int(orders), int(revenue or 0)
    return {
        "campaign": campaign.id,
        "status": campaign.status,
        "attribution_days": ATTRIBUTION.days,
        "variants": variants,
    }


def _empty() -> dict[str, Any]:
    out: dict[str, Any] = {"targeted": 0, "sent": {"kf": 0, "mass": 0}, "held": {}, "failed": {}}
    out.update(dict.fromkeys(COUNTS, 0))
    out.update(orders=0, revenue_fen=0)
    return out


def _deliveries(session: Session, campaign: Campaign) -> list[Any]:
    return list(
        session.execute(
            select(
                Delivery.variant,
                Delivery.status,
                Delivery.channel,
                Delivery.reason,
                func.count(),
                func.count(Delivery.opened_at),
            )
            .where(Delivery.campaign_id == campaign.id)
            .group_by(Delivery.variant, Delivery.status, Delivery.channel, Delivery.reason)
        ).all()
    )


def _mass_delivered(session: Session, campaign: Campaign) -> list[tuple[str, int]]:
    """SentCount of each finished mass send, by the variant its members got."""
    jobs = select(Delivery.mass_id, func.min(Delivery.variant).label("variant")).where(
        Delivery.campaign_id == campaign.id, Delivery.mass_id.is_not(None)
    )
    by_job = jobs.group_by(Delivery.mass_id).subquery()
    rows = session.execute(
        select(by_job.c.variant, MassSend.result)
        .join(MassSend, MassSend.id == by_job.c.mass_id)
        .where(MassSend.status == MassSendStatus.FINISHED)
    )
    return [(variant, int((result or {}).get("SentCount") or 0)) for variant, result in rows]


def _sharing(session: Session, campaign: Campaign, code: str) -> dict[str, int]:
    """Shares of the variant's landing page, the reads through them, the readers who followed
    afterwards, and the share and share_read points they earned."""
    page = landing_page(campaign.id, code)
    account = campaign.account_id
    shares, sharers = session.execute(
        select(func.count(), func.count(func.distinct(Share.member_id))).where(
            Share.account_id == account, Share.page == page
        )
    ).one()
    reads = select(PageView.id, PageView.viewer_openid, PageView.viewed_at).where(
        PageView.account_id == account, PageView.page == page, PageView.sharer_id.is_not(None)
    )
    read_rows = reads.subquery()
    share_reads = session.scalar(select(func.count()).select_from(read_rows)) or 0
    follows = session.scalar(
        select(func.count(func.distinct(Member.id))).join(
            read_rows,
            (Member.account_id == account)
            & (Member.openid == read_rows.c.viewer_openid)
            & (Member.first_followed_at > read_rows.c.viewed_at),
        )
    )
    share_keys = select(_key(Action.SHARE, Share.id)).where(Share.account_id == account, Share.page == page)
    keys = share_keys.union_all(select(_key(Action.SHARE_READ, read_rows.c.id)))
    cost = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
            LedgerEntry.account_id == account, LedgerEntry.key.in_(keys)
        )
    )
    return {
        "shares": int(shares),
        "sharers": int(sharers),
        "share_reads": int(share_reads),
        "follows": int(follows or 0),
        "cost_points": int(cost or 0),
    }


def _key(action: str, source: Any) -> ColumnElement[str]:
    """The ledger key an award for this source has (rules.points.earnings.award_key)."""
    key: ColumnElement[str] = literal(f"{action}:") + cast(source, String)
    return key


def _sooner_than(session: Session, later: Any, earlier: Any, span: timedelta) -> ColumnElement[bool]:
    """later - earlier < span, in SQL either database understands."""
    if session.get_bind().dialect.name == "postgresql":
        moved: ColumnElement[bool] = later < earlier + literal(span)
        return moved
    return func.julianday(later) - func.julianday(earlier) < span.total_seconds() / 86400


def _orders_after(session: Session, campaign: Campaign) -> list[Any]:
    """Orders (paid minus refunded) by members within the attribution window after their message."""
    sent = aliased(Delivery)
    return list(
        session.execute(
            select(sent.variant, func.count(Order.id), func.sum(Order.amount_fen - Order.refunded_fen))
            .join(Order, Order.member_id == sent.member_id)
            .where(
                sent.campaign_id == campaign.id,
                sent.status == DeliveryStatus.SENT,
                Order.paid_at >= sent.sent_at,
                _sooner_than(session, Order.paid_at, sent.sent_at, ATTRIBUTION),
            )
            .group_by(sent.variant)
        ).all()
    )
