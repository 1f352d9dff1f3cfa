"""Every model, imported so that Alembic and the app see the whole schema."""

from models.account import Account
from models.activity import Checkin, Order, OrderRefund, Review, ReviewLike
from models.base import Base, make_engine, make_session_factory, utcnow
from models.campaigns import Campaign, ContactWindow, Delivery, Journey, JourneyGrant, MassSend
from models.images import Image
from models.inbound_event import EventStatus, InboundEvent
from models.ledger import LedgerEntry, PointLot
from models.member import Member
from models.programme import PointTaskRow, Programme, TierRow
from models.referral import Channel, MemberTag, PosterRequest, QrCode, Referral
from models.rewards import Redemption, Reward, TierChange
from models.scan import Scan
from models.segments import DashboardDay, KolRun, MemberScore, PageView, Share, WeChatTag
from models.staff import ApiToken, AuditEntry, Staff

__all__ = [
    "Account",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Campaign",
    "ContactWindow",
    "DashboardDay",
    "Delivery",
    "Channel",
    "Checkin",
    "EventStatus",
    "Image",
    "InboundEvent",
    "Journey",
    "JourneyGrant",
    "KolRun",
    "LedgerEntry",
    "MassSend",
    "Member",
    "MemberScore",
    "MemberTag",
    "Order",
    "OrderRefund",
    "PageView",
    "PointLot",
    "PointTaskRow",
    "PosterRequest",
    "Programme",
    "QrCode",
    "Redemption",
    "Referral",
    "Review",
    "ReviewLike",
    "Reward",
    "Scan",
    "Share",
    "Staff",
    "TierChange",
    "TierRow",
    "WeChatTag",
    "make_engine",
    "make_session_factory",
    "utcnow",
]
