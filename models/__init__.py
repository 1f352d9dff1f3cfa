"""Every model, imported so that Alembic and the app see the whole schema."""

from models.account import Account
from models.base import Base, make_engine, make_session_factory, utcnow
from models.inbound_event import EventStatus, InboundEvent
from models.member import Member
from models.scan import Scan

__all__ = [
    "Account",
    "Base",
    "EventStatus",
    "InboundEvent",
    "Member",
    "Scan",
    "make_engine",
    "make_session_factory",
    "utcnow",
]
