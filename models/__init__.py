"""Every model, imported so that Alembic and the app see the whole schema."""

from models.account import Account
from models.activity import Checkin, Order, OrderRefund, Review, ReviewLike
from models.base import Base, make_engine, make_session_factory, utcnow
from models.inbound_event import EventStatus, InboundEvent
from models.ledger import LedgerEntry, PointLot
from models.member import Member
from models.programme import PointTaskRow, Programme, TierRow
from models.rewards import Redemption, Reward, TierChange
from models.scan import Scan

__all__ = [
    "Account",
    "Base",
    "Checkin",
    "EventStatus",
    "InboundEvent",
    "LedgerEntry",
    "Member",
    "Order",
    "OrderRefund",
    "PointLot",
    "PointTaskRow",
    "Programme",
    "Redemption",
    "Review",
    "ReviewLike",
    "Reward",
    "Scan",
    "TierChange",
    "TierRow",
    "make_engine",
    "make_session_factory",
    "utcnow",
]
