"""A member as the merchant sees them: points, tier, spend; their ledger; the balance repair."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy.orm import Session

from bot.api import api, inputs, outputs
from bot.api.auth import current_account
from bot.api.db import read, write
from bot.api.errors import ApiError
from models import Member, utcnow
from services import api_support
from services.points import balances as statements
from services.points import programme
from services.points.expiry import rebuild_balances


def _member(session: Session, openid: str) -> Member:
    found = api_support.find_member(session, current_account().id, openid)
    if found is None:
        raise ApiError(404, "unknown_member", f"no member has openid {openid}")
    return found


def _summary(session: Session, openid: str) -> dict[str, Any]:
    member = _member(session, openid)
    prog = programme.load(session, member.account_id)
    st = statements.statement(
        session, member.account_id, openid, prog.tiers, prog.tier_basis, prog.timezone, utcnow()
    )
    return {
        "openid": member.openid,
        "following": member.following,
        "first_followed_at": outputs.iso(member.first_followed_at),
        "balance": st.balance,
        "pending": st.pending,
        "available": st.available,
        "earned": st.earned,
        "expiring_soon": st.expiring and {"points": st.expiring[0], "expires_on": st.expiring[1].isoformat()},
        "tier": st.tier and {"code": st.tier.code, "name": st.tier.name},
        "next_tier": st.next and {"code": st.next[0].code, "name": st.next[0].name, "gap": st.next[1]},
        "spend_fen": member.spend_fen,
    }


@api.get("/members/<openid>")
def get_member(openid: str) -> Response:
    return jsonify(read(lambda s: _summary(s, openid)))


@api.get("/members/<openid>/ledger")
def get_ledger(openid: str) -> Response:
    """The member's ledger entries, newest first."""
    page, per_page = inputs.paging()

    def entries(session: Session) -> dict[str, Any]:
        rows, total = statements.history(session, _member(session, openid).id, page, per_page)
        return outputs.page([outputs.entry(e) for e in rows], page, per_page, total)

    return jsonify(read(entries))


@api.post("/balances/rebuild")
def rebuild() -> Response:
    """Recompute every member's balance from the ledger; {"fixed": members whose cache was wrong}."""
    return jsonify({"fixed": write(lambda s: rebuild_balances(s, current_account().id))})
