"""A member as the merchant sees them: points, tier, spend; their ledger; the balance repair."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bot.api.auth import current_account
from bot.api.errors import ApiError
from bot.api.outputs import local
from bot.api.points.schemas import Expiring, LedgerEntry, LedgerPage, Member, NextTier, Rebuilt, TierRef
from bot.api.routes import operation
from bot.api.types import Paging
from bot.db import read, write
from models import Member as MemberRow
from models import utcnow
from rules.accounts.roles import Area
from rules.points.tiers import Tier
from services.accounts import members
from services.points import balances, programme
from services.points.expiry import rebuild_balances


def _member(session: Session, openid: str) -> MemberRow:
    found = members.find_member(session, current_account().id, openid)
    if found is None:
        raise ApiError(404, "unknown_member", f"no member has openid {openid}")
    return found


def _summary(session: Session, openid: str) -> Member:
    member = _member(session, openid)
    prog = programme.load(session, member.account_id)
    st = balances.statement(
        session, member.account_id, openid, prog.tiers, prog.tier_basis, prog.timezone, utcnow()
    )
    return Member(
        openid=member.openid,
        following=member.following,
        first_followed_at=local(member.first_followed_at),
        balance=st.balance,
        pending=st.pending,
        available=st.available,
        earned=st.earned,
        expiring_soon=None
        if st.expiring is None
        else Expiring(points=st.expiring[0], expires_on=st.expiring[1]),
        tier=None if st.tier is None else TierRef(code=st.tier.code, name=st.tier.name),
        next_tier=None
        if st.next is None
        else NextTier(code=st.next[0].code, name=st.next[0].name, gap=st.next[1]),
        spend_fen=member.spend_fen,
    )


def _expiring(expiring: tuple[int, date] | None) -> Expiring | None:
    return None if expiring is None else Expiring(points=expiring[0], expires_on=expiring[1])


def _next(found: tuple[Tier, int] | None) -> NextTier | None:
    return None if found is None else NextTier(code=found[0].code, name=found[0].name, gap=found[1])


@operation("GET", "/members/<openid>", tag="members", answer=Member)
def get_member(openid: str) -> Member:
    """A member's points, tier and spend"""
    return read(lambda s: _summary(s, openid))


@operation("GET", "/members/<openid>/ledger", tag="members", answer=LedgerPage, query=Paging)
def get_ledger(openid: str, query: Paging) -> LedgerPage:
    """The member's ledger entries, newest first"""

    def entries(session: Session) -> LedgerPage:
        rows, total = balances.history(session, _member(session, openid).id, query.page, query.per_page)
        items = [LedgerEntry.of(e) for e in rows]
        return LedgerPage(items=items, page=query.page, per_page=query.per_page, total=total)

    return read(entries)


@operation("POST", "/balances/rebuild", area=Area.MEMBERS, tag="members", answer=Rebuilt)
def rebuild() -> Rebuilt:
    """Recompute every member's balance from the ledger
    `fixed`: the members whose cached balance was wrong."""
    return Rebuilt(fixed=write(lambda s: rebuild_balances(s, current_account().id)))
