"""Referrals (代言) for the merchant: the bind log with reasons, the review queue, and channels."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased
from wechatpy.exceptions import WeChatClientException

from bot.api import api, inputs, outputs
from bot.api.auth import current_account
from bot.api.db import read, tiefen, write
from bot.api.errors import ApiError
from models import Channel, Member, QrCode, Referral, utcnow
from services.referrals import codes as referral_codes
from services.referrals import rewards as referral_rewards
from wechat.client import client_for, showqrcode_url

STATUSES = ("held", "review", "refused", "paid", "voided", "capped")


@api.get("/referrals")
def list_referrals() -> Response:
    """Newest first; `?status=` one of held, review, refused, paid, voided, capped."""
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(422, "invalid_query", f"status must be one of {', '.join(STATUSES)}")
    page, per_page = inputs.paging()
    items, total = read(lambda s: _page(s, current_account().id, status, page, per_page))
    return jsonify(outputs.page(items, page, per_page, total))


def _page(
    session: Session, account_id: int, status: str | None, page: int, per_page: int
) -> tuple[list[Any], int]:
    referrer, referee = aliased(Member), aliased(Member)
    where = [Referral.account_id == account_id] + ([Referral.status == status] if status else [])
    total = int(session.scalar(select(func.count()).select_from(Referral).where(*where)) or 0)
    rows = session.execute(
        select(Referral, referrer.openid, referee.openid)
        .join(referrer, referrer.id == Referral.referrer_id)
        .join(referee, referee.id == Referral.referee_id)
        .where(*where)
        .order_by(Referral.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return [referral(r, up, down) for r, up, down in rows], total


def referral(r: Referral, referrer_openid: str, referee_openid: str) -> dict[str, Any]:
    return {
        "id": r.id,
        "referrer": referrer_openid,
        "referee": referee_openid,
        "scene": r.scene,
        "bound_at": outputs.iso(r.bound_at),
        "status": r.status,
        "reasons": list(r.reasons or []),
        "hold_until": outputs.iso(r.hold_until),
        "decided_at": outputs.iso(r.decided_at),
        "decided_by": r.decided_by,
        "reward_points": r.reward_points,
    }


@api.post("/referrals/<int:referral_id>/approve")
def approve_referral(referral_id: int) -> Response:
    return jsonify(_decide(referral_id, approve=True))


@api.post("/referrals/<int:referral_id>/reject")
def reject_referral(referral_id: int) -> Response:
    return jsonify(_decide(referral_id, approve=False))


def _decide(referral_id: int, approve: bool) -> dict[str, Any]:
    """Referrals held for review (bursts, friends who never interacted) are paid or voided."""

    def save(session: Session) -> dict[str, Any]:
        account_id = current_account().id
        try:
            r = referral_rewards.review(session, account_id, referral_id, approve, utcnow())
        except LookupError:
            raise ApiError(404, "unknown_referral", f"no referral {referral_id}") from None
        except referral_rewards.NotReviewable as exc:
            raise ApiError(409, "referral_decided", str(exc)) from None
        up, down = (session.get(Member, m) for m in (r.referrer_id, r.referee_id))
        assert up is not None and down is not None
        return referral(r, up.openid, down.openid)

    return write(save)


@api.get("/channels")
def list_channels() -> Response:
    """Every channel with its code and how many followers it brought."""
    return jsonify({"items": read(lambda s: _channels(s, current_account().id))})


def _channels(session: Session, account_id: int) -> list[dict[str, Any]]:
    brought = dict(
        (r.channel_id, r.n)
        for r in session.execute(
            select(Member.channel_id, func.count().label("n"))
            .where(Member.account_id == account_id, Member.channel_id.is_not(None))
            .group_by(Member.channel_id)
        )
    )
    rows = session.execute(
        select(Channel, QrCode)
        .outerjoin(QrCode, QrCode.channel_id == Channel.id)
        .where(Channel.account_id == account_id)
        .order_by(Channel.id)
    )
    return [channel(c, q, brought.get(c.id, 0)) for c, q in rows]


def channel(c: Channel, code: QrCode | None, followers: int = 0) -> dict[str, Any]:
    return {
        "code": c.code,
        "name": c.name,
        "kind": c.kind,
        "tag": c.tag,
        "permanent": c.permanent,
        "followers": followers,
        "qrcode": None
        if code is None or code.ticket is None
        else {
            "scene": code.scene,
            "ticket": code.ticket,
            "url": code.url,
            "image": showqrcode_url(tiefen().settings.wechat_api_base, code.ticket),
            "expires_at": outputs.iso(code.expires_at),
        },
    }


@api.post("/channels")
def create_channel() -> tuple[Response, int]:
    """A channel and its code, created through the WeChat API (permanent unless asked otherwise)."""
    body = inputs.json_object()
    inputs.fields(body, "invalid_channel", ("code", "name", "kind", "tag", "permanent"), ("code", "name"))
    account = current_account()
    if not account.secret:
        raise ApiError(409, "no_secret", "the account has no AppSecret: codes cannot be created")
    settings, runtime = tiefen().settings, tiefen().runtime
    wechat = client_for(account.appid, account.secret, settings.wechat_api_base, runtime.redis)

    def save(session: Session) -> dict[str, Any]:
        try:
            c = referral_codes.create_channel(
                session,
                account.id,
                body["code"],
                body["name"],
                body.get("kind") or "other",
                body.get("tag"),
                bool(body.get("permanent", True)),
            )
            code = referral_codes.channel_code(session, wechat.qrcode, c, utcnow())
        except (referral_codes.ChannelProblem, TypeError) as exc:
            raise ApiError(422, "invalid_channel", str(exc)) from None
        except referral_codes.PermanentCapReached as exc:
            raise ApiError(409, "permanent_cap", str(exc)) from None
        except WeChatClientException as exc:
            raise ApiError(502, "wechat_error", f"WeChat answered {exc.errcode}: {exc.errmsg}") from None
        return channel(c, code)

    return jsonify(write(save)), 201
