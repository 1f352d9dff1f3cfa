"""会员码: the member's rotating code as a QR code and a barcode, for the till's scanner, refreshed each
minute by the page's script from `code.json` (the same member check as the page: the signed session)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import jsonify
from werkzeug.wrappers import Response

from bot.context import tiefen
from bot.h5 import h5
from bot.h5.barcodes import barcode_uri, qr_uri
from bot.h5.identity import Visitor, member_page, remembered
from bot.h5.web import Refused, account_or_404, follow_points, page
from models import utcnow
from rules.accounts import member_codes
from rules.accounts.member_numbers import member_number
from services.accounts import members


@dataclass(frozen=True)
class Shown:
    """What the page shows of the current code; also the JSON the page's script fetches."""

    code: str
    grouped: str  # the digits as printed under the barcode
    number: str  # 会员号: the static member number beside it
    qr: str  # data: URIs
    barcode: str
    refresh_in: int  # seconds until the minute turns


def _shown(me: Visitor) -> Shown | None:
    """The member's code for this minute; None for someone who never followed."""
    with tiefen().sessions() as session:
        member_id = members.member_id_of(session, me.account.id, me.openid)
    if member_id is None:
        return None
    now = utcnow()
    code = member_codes.issue(tiefen().settings.secret_key, me.account.id, member_id, now)
    return Shown(
        code=code,
        grouped=member_codes.grouped(code),
        number=member_number(member_id),
        qr=qr_uri(code),
        barcode=barcode_uri(code),
        refresh_in=member_codes.seconds_left(now),
    )


@h5.get("/<appid>/code")
@member_page
def member_code(me: Visitor) -> tuple[str, int]:
    prog = tiefen().programmes.get(me.account.id)
    return page("h5/code.html", me=me, shown=_shown(me), follow_points=follow_points(prog))


@h5.get("/<appid>/code.json")
def member_code_data(appid: str) -> tuple[Response, int]:
    """The current code for the page's script: 403 without the member's session, 404 for a visitor
    who never followed. Never cached (private_and_locked_down)."""
    try:
        account = account_or_404(appid)
    except Refused:
        return jsonify(error="unknown_account"), 404
    openid = remembered(account)
    if openid is None:
        return jsonify(error="expired", message="页面已过期，请从公众号菜单重新打开。"), 403
    shown = _shown(Visitor(account, openid))
    if shown is None:
        return jsonify(error="not_member", message="关注公众号成为会员后才有会员码。"), 404
    return jsonify(asdict(shown)), 200
