"""Referral jobs: settle held rewards after the hold, scan the graph for rings, send posters."""

from __future__ import annotations

import logging
from functools import partial

import requests
from rq import Retry
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

import logs
from metrics import counted
from models import Account, InboundEvent, Member, utcnow
from services.points import programme
from services.referrals import graph as referral_graph
from services.referrals import invitations as invites
from services.referrals import poster_requests
from services.referrals import rewards as referral_rewards
from tasks.points import announce
from tasks.runtime import Runtime, current
from wechat.client import client_for, nickname_of, qrcode_image
from wechat.errors import Outcome, classify, reached_wechat

log = logging.getLogger(__name__)

SETTLE_BATCH = 1000


@counted
def settle_referrals() -> dict[str, int]:
    """Pay, void or send for review every held referral whose hold ran out; a batch per transaction."""
    sessions, totals = current().job_sessions, referral_rewards.SettleOutcome()
    while True:
        with sessions.begin() as session:
            outcome = referral_rewards.settle_due(session, utcnow(), SETTLE_BATCH)
        announce(outcome.tier_changes)  # committed: the notice jobs will find them
        totals.decided.update(outcome.decided)
        totals.points += outcome.points
        if sum(outcome.decided.values()) < SETTLE_BATCH:
            log.info("referrals settled: %s, %d points", dict(totals.decided), totals.points)
            return {**totals.decided, "points": totals.points}


POSTER_RETRY = Retry(max=3, interval=[5, 30, 120])
IMAGE_REPLY = "<MsgType><![CDATA[image]]></MsgType>"


def queue_posters(event_ids: list[int]) -> None:
    """After the commit: make and send the poster of each member who asked for it."""
    if event_ids:
        queue = current().queue("campaigns")  # outbound messages
        for event_id in event_ids:
            queue.enqueue(send_poster, event_id, retry=POSTER_RETRY, result_ttl=600)


@counted
def send_poster(event_id: int) -> str:
    """Make (or reuse) the member's poster, upload it and send it as a customer-service image.

    The request is claimed first and settled after (services.referrals.poster_requests): a second
    job for it (the sweeper's, a duplicate) sends nothing; a temporary failure lets it go for
    RQ's retry. Nothing is sent when the reply already carried the image.
    """
    runtime = current()
    with runtime.job_sessions.begin() as session:
        asked = session.get(InboundEvent, event_id)
        if asked is None:
            return "no such event"
        poster_requests.record(session, [(event_id, asked.account_id)], utcnow())  # queued before 0032
        if not poster_requests.claim(session, event_id, utcnow()):
            return "settled, or another job is sending it"
    with logs.bound(asked.request_id):  # its lines are found with the 推广码 message's request
        try:
            outcome = _make_and_send(runtime, asked)
        except Exception:
            with runtime.job_sessions.begin() as session:
                poster_requests.release(session, event_id)
            raise  # -1, 45009, a timeout, the database: RQ retries
    with runtime.job_sessions.begin() as session:
        poster_requests.settle(session, event_id, utcnow(), outcome)
    return outcome


def _make_and_send(runtime: Runtime, asked: InboundEvent) -> str:
    if IMAGE_REPLY in (asked.reply or ""):
        return "the reply carried the poster"
    event_id = asked.id
    with runtime.job_sessions.begin() as session:
        account = session.get(Account, asked.account_id)
        assert account is not None
        if not account.secret:
            return "no AppSecret: cannot create codes"
        wechat = client_for(account.appid, account.secret, runtime.settings.wechat_api_base, runtime.redis)
        member = session.scalar(
            select(Member).where(Member.account_id == account.id, Member.openid == asked.openid)
        )
        assert member is not None
        prog = programme.load(session, account.id)
        media_id = invites.poster_media(
            session,
            wechat,
            runtime.redis,
            partial(qrcode_image, runtime.settings.wechat_api_base),
            prog,
            member,
            member.nickname or nickname_of(wechat, asked.openid),
            utcnow(),
        )
    try:
        wechat.message.send_image(asked.openid, media_id)
    except WeChatClientException as exc:
        if classify(exc.errcode) is Outcome.FINAL:  # bad openid, unfollowed, window closed…
            log.info("poster for event %s not sent: %s %s", event_id, exc.errcode, exc.errmsg)
            return f"not sent: {exc.errcode}"
        raise
    except requests.RequestException as exc:
        if not reached_wechat(exc):
            raise  # a connection never made: RQ retries
        log.info("poster for event %s unconfirmed: %r", event_id, exc)  # a second copy is worse than none
        return f"sent, unconfirmed: {type(exc).__name__}"
    return "sent"


@counted
def scan_rings() -> dict[str, int]:
    """The anti-fraud scan over every account's whole referral graph: referrals on rings that
    are not paid yet go to the merchant's review with the reason 'ring'."""
    runtime, totals = current(), {"rings": 0, "marked": 0, "paid_on_rings": 0}
    with runtime.job_sessions() as session:
        account_ids = list(session.scalars(select(Account.id)))
    for account_id in account_ids:
        with runtime.job_sessions.begin() as session:
            report = referral_graph.ring_scan(session, account_id)
            marked = referral_graph.mark_rings(session, account_id, report)
        totals["rings"] += len(report.rings)
        totals["marked"] += marked.marked
        totals["paid_on_rings"] += len(marked.left_paid)
        if report.rings:
            log.warning(
                "account %s: %d referral rings, %d referrals sent to review",
                account_id,
                len(report.rings),
                marked.marked,
            )
    return totals
