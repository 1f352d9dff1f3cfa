"""Shares, the reads they bring and the follows after them (seed 004); binding a phone (注册, seed 000).

A read is one row per reader per page per business day (the table's unique key), credited to the
member whose signed share link brought it; the scoring job later marks the reads whose reader
followed afterwards (`attribute_follows`).

A counted share and a credited read each put an event in the outbox (in the same transaction),
so the drain pays the `share` and `share_read` point tasks once each, under their caps.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from models import Member, PageView, Share
from models.upsert import table_of, upsert
from rules.accounts.nicknames import clean_nickname
from rules.clock import business_date
from rules.inbound.messages import SHARE_READ, SHARED
from services.inbound.outbox import record_api_event

TARGETS = ("friend", "timeline")  # 发送给朋友 | 分享到朋友圈
DAILY_SHARES = 20  # shares a member may have counted per business day; more are ignored
MAX_PAGE = 120  # the width of page_views.page and shares.page
PHONE = re.compile(r"1[3-9]\d{9}")  # a mainland mobile number


def record_view(
    session: Session,
    account_id: int,
    viewer_openid: str,
    page: str,
    at: datetime,
    timezone: str,
    sharer_id: int | None = None,
) -> bool:
    """Count a read of `page` once per reader per business day; True when this one counted.

    One statement, and one more for a credited read's outbox event (the drainer should be woken
    after commit). The sharer is credited only when they are a member of this account other than
    the reader: a member opening their own share, or an id from nowhere, leaves it NULL.
    """
    sharer = None
    if sharer_id is not None:
        sharer = (
            select(Member.id)
            .where(Member.id == sharer_id, Member.account_id == account_id, Member.openid != viewer_openid)
            .scalar_subquery()
        )
    stmt = upsert(session, PageView).values(
        account_id=account_id,
        viewer_openid=viewer_openid,
        page=page[:MAX_PAGE],
        day=business_date(at, timezone),
        sharer_id=sharer,
        viewed_at=at,
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=["account_id", "viewer_openid", "page", "day"])
    row = session.execute(stmt.returning(PageView.id, PageView.sharer_id)).first()
    if row is None:
        return False
    if row.sharer_id is not None:
        sharer_openid = session.scalar(select(Member.openid).where(Member.id == row.sharer_id))
        assert sharer_openid is not None
        payload: dict[str, object] = {"page": page, "reader": viewer_openid}
        record_api_event(
            session, account_id, sharer_openid, SHARE_READ, str(row.id), f"read:{row.id}", payload, at
        )
    return True


@dataclass(frozen=True)
class ShareOutcome:
    recorded: bool
    reason: str | None = None  # target | page | daily_limit
    today: int = 0  # the member's shares counted today, this one included


def record_share(
    session: Session,
    account_id: int,
    member: tuple[int, str],
    page: str,
    target: str,
    at: datetime,
    timezone: str,
    daily_limit: int = DAILY_SHARES,
) -> ShareOutcome:
    """Store that a member (id, openid) shared a page, up to `daily_limit` a business day, with
    its outbox event (the drainer should be woken after commit).

    The limit is read then written without a lock: two shares racing at the limit may both
    count. It is there against a script posting in a loop, not to be exact.
    """
    if target not in TARGETS:
        return ShareOutcome(False, "target")
    if not 0 < len(page) <= MAX_PAGE:
        return ShareOutcome(False, "page")
    member_id, openid = member
    start, end = _day_bounds(at, timezone)
    today = int(
        session.scalar(
            select(func.count())
            .select_from(Share)
            .where(Share.member_id == member_id, Share.shared_at >= start, Share.shared_at < end)
        )
        or 0
    )
    if today >= daily_limit:
        return ShareOutcome(False, "daily_limit", today)
    share = Share(account_id=account_id, member_id=member_id, page=page, target=target, shared_at=at)
    session.add(share)
    session.flush()
    payload: dict[str, object] = {"page": page, "target": target}
    record_api_event(session, account_id, openid, SHARED, str(share.id), f"share:{share.id}", payload, at)
    return ShareOutcome(True, None, today + 1)


def attribute_follows(session: Session, account_id: int, since: datetime | None = None) -> int:
    """Mark the reads whose reader first followed after reading; the number of reads marked.

    Set-based: one UPDATE … FROM members. A read already marked is left alone, so running it
    twice marks nothing more. `since` looks only at follows from then on (an incremental run
    passes its previous start, less a margin for follows stored late); None looks at all.
    """
    views, members = table_of(PageView), table_of(Member)
    stmt = (
        update(views)
        .where(
            views.c.account_id == account_id,
            views.c.followed_at.is_(None),
            members.c.account_id == account_id,
            members.c.openid == views.c.viewer_openid,
            members.c.first_followed_at > views.c.viewed_at,
        )
        .values(followed_at=members.c.first_followed_at)
    )
    if since is not None:
        stmt = stmt.where(members.c.first_followed_at >= since)
    return int(session.connection().execute(stmt).rowcount or 0)


@dataclass(frozen=True)
class Profile:
    member_id: int
    phone: str | None
    registered_at: datetime | None
    nickname: str | None = None


def profile_of(session: Session, account_id: int, openid: str) -> Profile | None:
    """The member's id and registration; None for someone who never followed."""
    row = session.execute(
        select(Member.id, Member.phone, Member.registered_at, Member.nickname).where(
            Member.account_id == account_id, Member.openid == openid
        )
    ).first()
    return Profile(*row) if row else None


def normalise_phone(raw: str) -> str | None:
    """A mainland mobile number as 11 digits, from what people type; None when it is not one.

    Full-width digits, spaces, dashes and a +86 / 0086 prefix are accepted: "+86 138-0013-8000".
    """
    text = unicodedata.normalize("NFKC", raw or "")
    digits = re.sub(r"[\s\-()]", "", text)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return digits if PHONE.fullmatch(digits) else None


@dataclass(frozen=True)
class Registration:
    kind: str  # registered (first time) | updated | invalid | bad_nickname | not_member
    phone: str | None = None
    registered_at: datetime | None = None


def register(
    session: Session, account_id: int, openid: str, phone: str, at: datetime, nickname: str = ""
) -> Registration:
    """Bind a phone (and a nickname, when typed) to the member; the first completion stamps
    `registered_at`, later ones keep it. A blank nickname leaves the one they have."""
    number = normalise_phone(phone)
    if number is None:
        return Registration("invalid")
    name = clean_nickname(nickname)
    if nickname.strip() and name is None:
        return Registration("bad_nickname")
    members = table_of(Member)
    stmt = (
        update(members)
        .where(members.c.account_id == account_id, members.c.openid == openid)
        .values(
            phone=number,
            nickname=func.coalesce(literal(name, members.c.nickname.type), members.c.nickname),
            registered_at=func.coalesce(members.c.registered_at, literal(at, members.c.registered_at.type)),
        )
        .returning(members.c.registered_at)
    )
    row = session.execute(stmt).first()
    if row is None:
        return Registration("not_member")
    registered_at: datetime = row[0]
    return Registration("registered" if registered_at == at else "updated", number, registered_at)


def _day_bounds(at: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The business day `at` falls on, as [start, end) in UTC."""
    day = business_date(at, timezone)
    start = datetime.combine(day, time(), ZoneInfo(timezone))
    end = datetime.combine(day + timedelta(days=1), time(), ZoneInfo(timezone))
    return start.astimezone(UTC), end.astimezone(UTC)
