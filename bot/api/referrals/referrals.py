"""Referrals (代言) for the merchant: the bind log with reasons, the review queue, and channels."""

from __future__ import annotations

from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatClientException

from bot.api.auth import current_account
from bot.api.errors import ApiError
from bot.api.outputs import local
from bot.api.referrals.schemas import (
    Channel,
    ChannelCode,
    Channels,
    NewChannel,
    Referral,
    ReferralPage,
    ReferralQuery,
)
from bot.api.routes import operation
from bot.context import tiefen
from bot.db import read, write
from models import Channel as ChannelRow
from models import QrCode, utcnow
from models import Referral as ReferralRow
from rules.accounts.roles import Area
from services.referrals import codes as referral_codes
from services.referrals import graph as referral_graph
from services.referrals import rewards as referral_rewards
from wechat.client import client_for, showqrcode_url


@operation("GET", "/referrals", tag="referrals", answer=ReferralPage, query=ReferralQuery)
def list_referrals(query: ReferralQuery) -> ReferralPage:
    """List referrals (who brought whom), newest first, with the reasons behind each decision"""
    rows, total = read(
        lambda s: referral_graph.referrals_page(
            s, current_account().id, query.status, query.page, query.per_page
        )
    )
    items = [referral(r, up, down) for r, up, down in rows]
    return ReferralPage(items=items, page=query.page, per_page=query.per_page, total=total)


def referral(r: ReferralRow, referrer_openid: str, referee_openid: str) -> Referral:
    return Referral.model_validate(
        {
            "id": r.id,
            "referrer": referrer_openid,
            "referee": referee_openid,
            "scene": r.scene,
            "bound_at": local(r.bound_at),
            "status": r.status,
            "reasons": list(r.reasons or []),
            "hold_until": local(r.hold_until),
            "decided_at": local(r.decided_at),
            "decided_by": r.decided_by,
            "reward_points": r.reward_points,
        }
    )


@operation(
    "POST",
    "/referrals/<id:referral_id>/approve",
    area=Area.REFERRALS,
    tag="referrals",
    answer=Referral,
    errors=(409,),
)
def approve_referral(referral_id: int) -> Referral:
    """Approve a referral held for review: pay the referrer and the friend"""
    return _decide(referral_id, approve=True)


@operation(
    "POST",
    "/referrals/<id:referral_id>/reject",
    area=Area.REFERRALS,
    tag="referrals",
    answer=Referral,
    errors=(409,),
)
def reject_referral(referral_id: int) -> Referral:
    """Reject a referral held for review"""
    return _decide(referral_id, approve=False)


def _decide(referral_id: int, approve: bool) -> Referral:
    """Referrals held for review (bursts, friends who never interacted) are paid or voided."""

    def save(session: Session) -> Referral:
        account_id = current_account().id
        try:
            r = referral_rewards.review(session, account_id, referral_id, approve, utcnow())
        except LookupError:
            raise ApiError(404, "unknown_referral", f"no referral {referral_id}") from None
        except referral_rewards.NotReviewable as exc:
            raise ApiError(409, "referral_decided", str(exc)) from None
        up, down = referral_graph.openids_of(session, r)
        return referral(r, up, down)

    return write(save)


@operation("GET", "/channels", tag="referrals", answer=Channels)
def list_channels() -> Channels:
    """Channels, their codes and the followers they brought"""
    rows = read(lambda s: referral_codes.channels_of(s, current_account().id))
    return Channels(items=[channel(c, q, n) for c, q, n in rows])


def channel(c: ChannelRow, code: QrCode | None, followers: int = 0) -> Channel:
    qrcode = None
    if code is not None and code.ticket is not None:
        image = showqrcode_url(tiefen().settings.wechat_api_base, code.ticket)
        qrcode = ChannelCode(
            scene=code.scene, ticket=code.ticket, url=code.url, image=image, expires_at=local(code.expires_at)
        )
    return Channel.model_validate(
        {
            "code": c.code,
            "name": c.name,
            "kind": c.kind,
            "tag": c.tag,
            "permanent": c.permanent,
            "followers": followers,
            "qrcode": qrcode,
        }
    )


@operation(
    "POST",
    "/channels",
    area=Area.REFERRALS,
    tag="referrals",
    answer=Channel,
    status=201,
    body=NewChannel,
    invalid="invalid_channel",
    errors=(409, 502),
)
def create_channel(body: NewChannel) -> Channel:
    """Create a channel and its code through the WeChat API (permanent unless asked otherwise)"""
    account = current_account()
    if not account.secret:
        raise ApiError(409, "no_secret", "the account has no AppSecret: codes cannot be created")
    settings, runtime = tiefen().settings, tiefen().runtime
    wechat = client_for(account.appid, account.secret, settings.wechat_api_base, runtime.redis)

    def save(session: Session) -> Channel:
        try:
            c = referral_codes.create_channel(
                session, account.id, body.code, body.name, body.kind, body.tag, body.permanent
            )
            code = referral_codes.channel_code(session, wechat.qrcode, c, utcnow())
        except referral_codes.ChannelProblem as exc:
            raise ApiError(422, "invalid_channel", "the channel does not hold", [str(exc)]) from None
        except referral_codes.PermanentCapReached as exc:
            raise ApiError(409, "permanent_cap", str(exc)) from None
        except WeChatClientException as exc:
            raise ApiError(502, "wechat_error", f"WeChat answered {exc.errcode}: {exc.errmsg}") from None
        return channel(c, code)

    return write(save)
