"""The outbox: every callback WeChat delivered, stored before the reply went out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from rules.inbound.status import EventStatus

__all__ = ["EventStatus", "InboundEvent"]


class InboundEvent(Base):
    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("account_id", "dedup_key"),
        # only the pending rows: small, and what the drain and the sweeper look for
        Index(
            "ix_inbound_events_pending",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # unfollows per day (the dashboard)
        Index(
            "ix_inbound_events_unsubscribe",
            "account_id",
            "create_time",
            postgresql_where=text("event = 'unsubscribe'"),
            sqlite_where=text("event = 'unsubscribe'"),
        ),
        # a plaintext callback's signed query string carries one message (see `query_key`)
        Index(
            "uq_inbound_events_query",
            "account_id",
            "query_key",
            unique=True,
            postgresql_where=text("query_key IS NOT NULL"),
            sqlite_where=text("query_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # no foreign key: its check locks the account's row on every INSERT (a WAL record each, and a
    # MultiXact when two web processes insert at once), on the reply path; the webhook takes the
    # account from the registry, and accounts are never deleted
    account_id: Mapped[int]
    dedup_key: Mapped[str] = mapped_column(String(64))
    openid: Mapped[str] = mapped_column(String(64))
    msg_type: Mapped[str] = mapped_column(String(32))
    event: Mapped[str | None] = mapped_column(String(32))
    event_key: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    msg_id: Mapped[int | None] = mapped_column(BigInteger)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[str] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.PENDING.value)  # EventStatus
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the member the drain applied it to (None while pending, and for WeChat's own reports); no
    # foreign key: the drain sets it for a thousand events at a time
    member_id: Mapped[int | None]
    # a plaintext callback's signed (timestamp, nonce), hashed: the first message stored under it
    # holds it, so the same query string with another message is refused (None for envelopes,
    # whose msg_signature covers the body, and for callbacks stored before migration 0030)
    query_key: Mapped[str | None] = mapped_column(String(32))
    # the id of the web request that stored it (logs.REQUEST_ID): the jobs' lines about this event
    # carry it, so an operator finds them with the request's
    request_id: Mapped[str | None] = mapped_column(String(64))
