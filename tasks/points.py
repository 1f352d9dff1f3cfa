"""Points jobs: expiry, the periodic tier review, birthday awards, announcing tier changes."""

from __future__ import annotations

import logging

import requests
from rq import Retry
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from metrics import counted
from models import Account, utcnow
from services.accounts import member_tokens
from services.points import birthdays, expiry, programme, tiers
from services.points import tier_notices as notices
from tasks.runtime import Runtime, current
from wechat.client import client_for
from wechat.errors import Outcome, classify, reached_wechat

log = logging.getLogger(__name__)

NOTICE_RETRY = Retry(max=3, interval=[5, 30, 120])


@counted
def expire_points() -> int:
    """Expire every lot past its date (as of the start), a batch per transaction, in id order.
    Returns points expired."""
    total, sessions, now, after = 0, current().job_sessions, utcnow(), 0
    while True:
        with sessions.begin() as session:
            points, last = expiry.expire_due(session, now, after=after)
        total += points
        if last is None:
            return total
        after = last


@counted
def review_tiers() -> int:
    """Start grace periods and downgrade members whose grace ran out, for every account."""
    runtime, changes = current(), []
    with runtime.job_sessions() as session:
        account_ids = list(session.scalars(select(Account.id)))
    for account_id in account_ids:
        with runtime.job_sessions.begin() as session:
            changes += tiers.review(session, programme.load(session, account_id), utcnow())
    announce(changes)
    return len(changes)


def award_birthdays() -> int:
    """Award the birthday task to every member whose birthday month it is (in their account's time
    zone) and who had no birthday award this year, a batch per transaction. Safe to run twice.
    Returns members awarded."""
    runtime, total, changes = current(), 0, []
    with runtime.job_sessions() as session:
        account_ids = list(session.scalars(select(Account.id).order_by(Account.id)))
    for account_id in account_ids:
        after: int | None = 0
        while after is not None:
            with runtime.job_sessions.begin() as session:
                done = birthdays.award_due(session, programme.load(session, account_id), utcnow(), after)
            total, after = total + len(done.member_ids), done.last
            changes += done.tier_changes
    announce(changes)
    return total


def announce(change_ids: list[int]) -> None:
    """Queue the template message for each tier change (after the commit that made them)."""
    if change_ids:
        queue = current().queue("campaigns")  # outbound messages: after the drains, never before them
        for change_id in change_ids:
            queue.enqueue(notify_tier_change, change_id, retry=NOTICE_RETRY, result_ttl=600)


@counted
def notify_tier_change(change_id: int) -> str:
    """Send one tier change's service notice through the WeChat API, once: the job claims it first
    (a second job for it sends nothing) and lets it go on a temporary failure, for RQ's retry."""
    runtime = current()
    with runtime.job_sessions.begin() as session:
        notice = notices.pending_notice(session, change_id)
        if notice is None or not notices.claim(session, change_id, utcnow()):
            return "nothing to send"
    if not notice.template_id or not notice.secret:
        return _settle(change_id, False, "no template configured")
    try:
        return _send(runtime, notice)
    except Exception:
        with runtime.job_sessions.begin() as session:
            notices.release(session, change_id)
        raise


def _send(runtime: Runtime, notice: notices.Notice) -> str:
    change_id = notice.change_id
    client = client_for(notice.appid, notice.secret or "", runtime.settings.wechat_api_base, runtime.redis)
    token = member_tokens.sign_member(runtime.settings.secret_key, notice.account_id, notice.openid)
    url = f"{runtime.settings.public_base_url.rstrip('/')}/h5/{notice.appid}/member?t={token}"
    try:
        client.message.send_template(notice.openid, notice.template_id, notice.data, url=url)
    except WeChatClientException as exc:
        if classify(exc.errcode) is Outcome.FINAL:  # bad openid, bad template, blocked…: never retried
            return _settle(change_id, False, f"{exc.errcode} {exc.errmsg}")
        raise  # temporary (-1, 45009): RQ retries
    except requests.RequestException as exc:
        if not reached_wechat(exc):
            raise  # a connection never made: RQ retries
        log.info("tier notice %s unconfirmed: %r", change_id, exc)  # a second copy is worse than none
        return _settle(change_id, True, f"unconfirmed: {type(exc).__name__}")
    return _settle(change_id, True)


def _settle(change_id: int, sent: bool, note: str | None = None) -> str:
    """Record the notice sent (`note`: why unconfirmed) or refused (`note`: why); the job's result."""
    with current().job_sessions.begin() as session:
        notices.mark(session, change_id, utcnow(), note, sent=sent)
    return ("sent" + (f", {note}" if note else "")) if sent else str(note)
