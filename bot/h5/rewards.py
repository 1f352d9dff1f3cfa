"""积分商城 and 我的兑换: the catalogue, redeeming one item, the member's redemptions."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

from bot.context import tiefen
from bot.h5 import forms, h5
from bot.h5 import shapes as figures
from bot.h5 import wording as labels
from bot.h5.barcodes import qr_uri
from bot.h5.identity import Visitor, form_token, member_action, member_page
from bot.h5.web import Refused, follow_points, page
from models import utcnow
from rules.clock import business_date
from rules.points.lots import NotEnoughPoints
from rules.points.redemptions import STATUS_NAMES, RedemptionStatus, status_of
from services.accounts import images, members
from services.points import balances as statements
from services.points import rewards
from services.points.rewards import OutOfStock


@dataclass(frozen=True)
class Outcome:
    name: str
    price: int
    code: str | None = None  # the redemption code the shop asks for
    new: bool = True  # False: this form was submitted before; the same redemption is shown
    refusal: str | None = None  # points | stock
    available: int = 0
    until: str | None = None  # 有效期至, in the account's time zone; None: no expiry


@dataclass(frozen=True)
class Held:
    """One of the member's redemptions as 我的兑换 shows it."""

    name: str
    code: str
    points: int
    redeemed: str  # when, in the account's time zone
    status: RedemptionStatus
    state: str  # the status in words: 待使用 / 已使用 / 已过期
    until: str | None  # 有效期至: the expiry in the account's time zone; None: no expiry
    qr: str  # a QR code of the code, for the till's scanner


@h5.get("/<appid>/rewards")
@member_page
def catalogue(me: Visitor) -> tuple[str, int]:
    prog = tiefen().programmes.get(me.account.id)
    with tiefen().sessions() as session:
        st = statements.statement_under(session, prog, me.openid, utcnow())
        items = figures.on_shelf(rewards.catalogue(session, me.account.id))
        pictures = images.paths_of(session, [r.image_id for r in items if r.image_id])
    offers = [(r, form_token(me, f"redeem:{r.id}"), pictures.get(r.image_id or 0)) for r in items]
    return page(
        "h5/rewards/catalogue.html",
        me=me,
        st=st,
        offers=offers,
        kinds=labels.REWARD_KINDS,
        follow_points=follow_points(prog),
    )


@h5.post("/<appid>/rewards/<id:reward_id>/redeem")
@member_action("redeem:{reward_id}")
def redeem(me: Visitor, key: str, reward_id: int) -> tuple[str, int]:
    """Spends only once confirmed: the catalogue's sheet sends `confirmed`; a form sent without it
    (a browser that cannot open the sheet) gets the confirm page, with the same form key."""
    if request.form.get("confirmed") != "1":
        return _confirm(me, reward_id)
    outcome = _redeem(me, key, reward_id)
    status = 409 if outcome.refusal else 200
    return page("h5/rewards/result.html", status, me=me, outcome=outcome)


def _confirm(me: Visitor, reward_id: int) -> tuple[str, int]:
    prog = tiefen().programmes.get(me.account.id)
    with tiefen().sessions() as session:
        reward = rewards.reward_of(session, me.account.id, reward_id)
        if reward is None or not reward.enabled:
            raise Refused(404, "该商品不存在或已下架。")
        st = statements.statement_under(session, prog, me.openid, utcnow())
    token = request.form[forms.FIELD]
    return page("h5/rewards/confirm.html", me=me, reward=reward, st=st, token=token)


def _redeem(me: Visitor, key: str, reward_id: int) -> Outcome:
    """Stock and points are spent in one transaction; a refusal leaves it by exception: rolled back."""
    prog = tiefen().programmes.get(me.account.id)
    now = utcnow()
    with tiefen().sessions() as session:
        reward = rewards.reward_of(session, me.account.id, reward_id)
        if reward is None:
            raise Refused(404, "该商品不存在或已下架。")
        name, price = reward.name, reward.points_price
    try:
        # the job sessions: on SQLite they take the write lock up front, so racing members queue
        with tiefen().runtime.job_sessions.begin() as session:
            member_id = members.member_id_of(session, me.account.id, me.openid)
            if member_id is None:
                raise NotEnoughPoints(price, 0)
            done = rewards.redeem(
                session, me.account.id, member_id, reward_id, key, business_date(now, prog.timezone), now
            )
            expires = done.redemption.expires_at
            until = labels.local_time(expires, prog.timezone) if expires else None
            return Outcome(name, done.redemption.points, done.redemption.code, done.new, until=until)
    except NotEnoughPoints as exc:
        return Outcome(name, price, refusal="points", available=exc.available)
    except OutOfStock:
        return Outcome(name, price, refusal="stock")


@h5.get("/<appid>/redemptions")
@member_page
def redemptions(me: Visitor) -> tuple[str, int]:
    prog = tiefen().programmes.get(me.account.id)
    with tiefen().sessions() as session:
        member_id = members.member_id_of(session, me.account.id, me.openid)
        rows = rewards.redemptions_of(session, member_id) if member_id else []
    now = utcnow()
    items = []
    for r, name in rows:
        status = status_of(r.used_at, r.expires_at, now)
        until = labels.local_time(r.expires_at, prog.timezone) if r.expires_at else None
        when = labels.local_time(r.created_at, prog.timezone)
        qr = qr_uri(r.code, scale=4)
        items.append(Held(name, r.code, r.points, when, status, STATUS_NAMES[status], until, qr))
    return page(
        "h5/rewards/mine.html", me=me, member_id=member_id, items=items, follow_points=follow_points(prog)
    )
