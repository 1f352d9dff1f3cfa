"""Campaign delivery on the `campaigns` queue: plan once, then send in claimed batches at a rate
shared by every worker. Safe to run twice at once and to resume after a killed worker.

Customer-service messages go one per member (a news card with the member's signed landing
link), CAMPAIGN_CONCURRENCY calls in flight per sender (threads: each call waits tens of ms on
WeChat), each started at its slot of the shared rate; mass sends go as openid lists of up to
10,000 with a clientmsgid, so WeChat drops a retried one. Errors (wechat.errors.classify):
RETRY_LATER codes and connections never made put the delivery back for a later batch (failed
after five tries); a call WeChat may have taken (a read timeout) is sent, unconfirmed, never twice;
any other code closes it as failed with the code; wechatpy refreshes the shared access token on
40001/42001 and repeats the call itself.
"""

from __future__ import annotations

import logging
import time as clock
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import requests
from rq import Retry
from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatClientException

import metrics
from metrics import counted
from models import Account, Campaign, utcnow
from rules.campaigns.lifecycle import DeliveryStatus
from rules.campaigns.planner import Rules
from services.accounts import member_tokens
from services.campaigns import covers, delivery, grants, lifecycle, recurring
from services.campaigns import links as campaign_links
from services.campaigns.delivery import Claimed, MassBatch
from tasks.ratelimit import TokenBucket
from tasks.runtime import Runtime, current
from wechat.client import client_for
from wechat.errors import DUPLICATE_MASS, Outcome, classify, reached_wechat

log = logging.getLogger(__name__)

KF_BATCH = 100
MASS_BATCH = 10_000  # openids per mass send: WeChat's limit
MAX_ATTEMPTS = 5


SENDERS = 2  # jobs per campaign: they share the batches (SKIP LOCKED) and the rate
SEND_TIMEOUT = 4 * 3600  # a 100,000-member campaign at 200 messages/s takes over 8 minutes


# a sender that fails before its claim (the database restarting) would leave a sent campaign a
# draft, which nothing sweeps (resume_stalled looks at sending ones): RQ tries it again
SENDER_RETRY = Retry(max=3, interval=[5, 30, 120])


def queue_senders(queue: Any, campaign_id: int) -> None:
    for _ in range(SENDERS):
        queue.enqueue(
            send_campaign, campaign_id, job_timeout=SEND_TIMEOUT, result_ttl=3600, retry=SENDER_RETRY
        )


@counted
def resume_stalled() -> int:
    """Campaigns still sending whose deliveries wait (a worker died, a job timed out): queue their
    senders again; a sender finding nothing to do returns at once. Returns campaigns queued."""
    runtime = current()
    with runtime.job_sessions() as session:
        stalled = lifecycle.stalled(session, utcnow())
    for campaign_id in stalled:
        queue_senders(runtime.queue("campaigns"), campaign_id)
    return len(stalled)


@counted
def run_recurring() -> int:
    """Make the occurrences of recurring campaigns that are due and queue their senders (and
    those of occurrences a dead worker made but never queued). Returns occurrences queued."""
    runtime = current()
    now = utcnow()
    with runtime.job_sessions.begin() as session:
        lost = recurring.lost_occurrences(session, now)
        made = recurring.make_due(session, now)
    for campaign_id in lost + made:
        queue_senders(runtime.queue("campaigns"), campaign_id)
    return len(lost) + len(made)


@counted
def send_campaign(campaign_id: int) -> dict[str, int]:
    """Plan the campaign (once), then send what is planned; returns deliveries by status."""
    runtime = current()
    now = utcnow()
    with runtime.job_sessions.begin() as session:
        claim = lifecycle.claim(session, campaign_id, now, Rules())
    if claim is None:
        return {}
    if claim.later is not None:
        runtime.queue("campaigns").enqueue_at(claim.later, send_campaign, campaign_id)
        return {"scheduled": 1}
    with Sender(runtime, claim.account, claim.campaign) as sender:
        sender.resend_stale_mass(now)
        while sender.kf_batch() or sender.mass_batch():
            if not _still_sending(runtime, campaign_id):
                break
    return _finish(runtime, campaign_id)


def _still_sending(runtime: Runtime, campaign_id: int) -> bool:
    with runtime.job_sessions() as session:
        return lifecycle.still_sending(session, campaign_id)


def _finish(runtime: Runtime, campaign_id: int) -> dict[str, int]:
    with runtime.job_sessions.begin() as session:
        return lifecycle.close(session, campaign_id, utcnow())


class Sender:
    def __init__(self, runtime: Runtime, account: Account, campaign: Campaign) -> None:
        settings = runtime.settings
        self.runtime, self.campaign_id, self.appid = runtime, campaign.id, account.appid
        self.account_id = account.id
        self.journey = campaign.kind == "journey"  # its reward, if any, goes to whom it reached
        self.variants = {v["code"]: v for v in campaign.variants}
        self.client = client_for(account.appid, account.secret or "", settings.wechat_api_base, runtime.redis)
        self.bucket = TokenBucket(runtime.redis, f"wechat:{account.appid}", settings.campaign_rate)
        self.secret, self.base = settings.secret_key, settings.public_base_url
        with runtime.job_sessions() as session:  # WeChat fetches the news card's picture from here
            self.cover = covers.absolute(self.base, covers.cover_path(session, campaign.cover_image_id))
        self.pool = ThreadPoolExecutor(max(1, settings.campaign_concurrency), thread_name_prefix="kf")

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown()

    def kf_batch(self) -> bool:
        """Send one batch of customer-service messages; False when none were left."""
        with self.runtime.job_sessions.begin() as session:
            claimed = delivery.claim(session, self.campaign_id, "kf", KF_BATCH, utcnow())
        if not claimed:
            return False
        start = clock.monotonic() + self.bucket.reserve(len(claimed))  # one Redis call per batch
        outcomes = self._send_all(claimed, start)
        results = [(c.delivery_id, *outcome) for c, outcome in zip(claimed, outcomes, strict=True)]
        sent = [c for c, outcome in zip(claimed, outcomes, strict=True) if outcome[0] is DeliveryStatus.SENT]
        with self.runtime.job_sessions.begin() as session:
            delivery.close(session, results, utcnow())
            delivery.spend_windows(session, sent)
            self._grant(session, sent)
        return True

    def _grant(self, session: Session, reached: list[Claimed]) -> None:
        """A journey's reward to the members its message reached, with their deliveries' commit."""
        if self.journey and reached:
            grants.grant_for_sent(session, self.campaign_id, [c.member_id for c in reached], utcnow())

    def _send_all(self, claimed: list[Claimed], start: float) -> list[tuple[DeliveryStatus, str | None]]:
        """Send the batch on the pool, message i starting at its slot, start + i/rate."""

        def at_its_slot(i: int, c: Claimed) -> tuple[DeliveryStatus, str | None]:
            pause = start + i / self.bucket.rate - clock.monotonic()  # spread over the reservation
            if pause > 0:
                clock.sleep(pause)
            return self._send_kf(c)

        return list(self.pool.map(at_its_slot, range(len(claimed)), claimed))

    def _send_kf(self, c: Claimed) -> tuple[DeliveryStatus, str | None]:
        status, reason = self._try_kf(c)
        metrics.CAMPAIGN_SENDS.labels(status.value).inc()
        return status, reason

    def _try_kf(self, c: Claimed) -> tuple[DeliveryStatus, str | None]:
        v = self.variants[c.variant]
        token = member_tokens.sign_member(self.secret, self.account_id, c.openid)
        article = {
            "title": v["title"],
            "description": v["summary"],
            "url": campaign_links.landing_url(self.base, self.appid, self.campaign_id, c.variant, token),
            "image": self.cover or "",
        }
        try:
            self.client.message.send_articles(c.openid, [article])
        except WeChatClientException as exc:
            return self._after_error(c, exc.errcode, exc.errmsg)
        except requests.RequestException as exc:
            if reached_wechat(exc):  # it may have gone through: a second copy is worse than none
                log.info("campaign %s delivery %s unconfirmed: %r", self.campaign_id, c.delivery_id, exc)
                return DeliveryStatus.SENT, f"unconfirmed: {type(exc).__name__}"
            return self._after_error(c, -1, type(exc).__name__)
        return DeliveryStatus.SENT, None

    def _after_error(self, c: Claimed, code: Any, message: str) -> tuple[DeliveryStatus, str | None]:
        with self.runtime.job_sessions() as session:
            attempts = delivery.attempts(session, c.delivery_id)
        if classify(code) is Outcome.RETRY_LATER and attempts < MAX_ATTEMPTS:
            return DeliveryStatus.PLANNED, f"retry {code}"
        log.info("campaign %s delivery %s failed: %s %s", self.campaign_id, c.delivery_id, code, message)
        return DeliveryStatus.FAILED, str(code)

    def mass_batch(self) -> bool:
        """Send one mass send (one variant's next openids); False when none were left."""
        for code in self.variants:
            with self.runtime.job_sessions.begin() as session:
                campaign = session.get(Campaign, self.campaign_id)
                assert campaign is not None
                batch = delivery.claim_mass(session, campaign, code, MASS_BATCH, utcnow())
            if batch is None:
                continue
            if batch.claimed:  # empty: a lone delivery was held
                self._send_mass(batch)
            return True
        return False

    def _send_mass(self, batch: MassBatch) -> None:
        v = self.variants[batch.variant]
        link = campaign_links.landing_url(self.base, self.appid, self.campaign_id, batch.variant, None)
        content = f'{v["title"]}\n{v["summary"]}\n<a href="{link}">查看详情</a>'
        self.bucket.take(len(batch.claimed))
        status, reason, msg_id = DeliveryStatus.SENT, None, None
        try:
            answer = self.client.message.send_mass_text(
                [c.openid for c in batch.claimed], content, client_msg_id=batch.clientmsgid
            )
            msg_id = answer.get("msg_id")
        except WeChatClientException as exc:
            if exc.errcode == DUPLICATE_MASS:
                status = DeliveryStatus.SENT  # the first try went through: that send stands
            elif classify(exc.errcode) is Outcome.RETRY_LATER:
                status, reason = DeliveryStatus.PLANNED, f"retry {exc.errcode}"
            else:
                status, reason = DeliveryStatus.FAILED, str(exc.errcode)
        except requests.RequestException as exc:
            status, reason = (
                DeliveryStatus.PLANNED,
                f"retry {type(exc).__name__}",
            )  # the clientmsgid makes it safe
        metrics.CAMPAIGN_SENDS.labels(status.value).inc(len(batch.claimed))
        with self.runtime.job_sessions.begin() as session:
            delivery.close_mass(
                session, batch, status, reason, None if msg_id is None else int(msg_id), utcnow()
            )
            if status is DeliveryStatus.SENT:
                self._grant(session, batch.claimed)

    def resend_stale_mass(self, now: datetime) -> None:
        """Mass sends a killed worker left unanswered go again under the same clientmsgid."""
        with self.runtime.job_sessions() as session:
            again = delivery.stale_mass(session, self.campaign_id, now)
        for batch in again:  # outside the read: sending writes
            self._send_mass(batch)
