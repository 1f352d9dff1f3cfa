"""Campaign delivery on the `campaigns` queue: plan once, then send in claimed batches at a rate
shared by every worker. Safe to run twice at once and to resume after a killed worker.

Customer-service messages go one per member (a news card with the member's signed landing
link), CAMPAIGN_CONCURRENCY calls in flight per sender (threads: each call waits tens of ms on
WeChat), each started at its slot of the shared rate; mass sends go as openid lists of up to
10,000 with a clientmsgid, so WeChat drops a retried one. Errors: 45009, -1 and timeouts put
the delivery back for a later batch (failed after five tries); 43004, 45015, 45047 and 40003
close it as failed with the code; wechatpy refreshes the shared access token on 40001/42001 and
repeats the call itself.
"""

from __future__ import annotations

import logging
import time as clock
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from models import Account, Campaign, Delivery, MassSend, Member, utcnow
from rules.campaigns.planner import Rules, in_quiet_hours
from services.accounts import member_tokens
from services.campaigns import delivery, recurring
from services.campaigns import links as campaign_links
from services.campaigns.delivery import Claimed
from tasks.ratelimit import TokenBucket
from tasks.runtime import Runtime, current
from wechat.client import client_for

log = logging.getLogger(__name__)

KF_BATCH = 100
MASS_BATCH = 10_000  # openids per mass send: WeChat's limit
MAX_ATTEMPTS = 5
RETRY = {45009, -1}  # rate limited, system busy: again later
GIVE_UP = {40003, 43004, 45015, 45047}  # bad openid, unfollowed, window closed, window quota used
DUPLICATE_MASS = 45065  # the clientmsgid was sent before: that send stands


SENDERS = 2  # jobs per campaign: they share the batches (SKIP LOCKED) and the rate
SEND_TIMEOUT = 4 * 3600  # a 100,000-member campaign at 200 messages/s takes over 8 minutes


def queue_senders(queue: Any, campaign_id: int) -> None:
    for _ in range(SENDERS):
        queue.enqueue(send_campaign, campaign_id, job_timeout=SEND_TIMEOUT, result_ttl=3600)


def resume_stalled() -> int:
    """Campaigns still sending whose deliveries wait (a worker died, a job timed out): queue their
    senders again; a sender finding nothing to do returns at once. Returns campaigns queued."""
    runtime = current()
    cutoff = utcnow() - delivery.STALE
    with runtime.job_sessions() as session:
        stalled = session.scalars(
            select(Campaign.id)
            .where(Campaign.status == "sending", Campaign.kind == "campaign", Campaign.started_at < cutoff)
            .where(
                select(Delivery.id)
                .where(Delivery.campaign_id == Campaign.id, Delivery.status.in_(("planned", "sending")))
                .exists()
            )
        ).all()
    for campaign_id in stalled:
        queue_senders(runtime.queue("campaigns"), campaign_id)
    return len(stalled)


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


def send_campaign(campaign_id: int) -> dict[str, int]:
    """Plan the campaign (once), then send what is planned; returns deliveries by status."""
    runtime = current()
    now = utcnow()
    with runtime.job_sessions.begin() as session:
        campaign = session.get(Campaign, campaign_id, with_for_update=True)
        if campaign is None or campaign.status in ("done", "cancelled", "paused"):
            return {}
        account = session.get(Account, campaign.account_id)
        assert account is not None
        later = _not_yet(campaign, account.timezone, now)
        if later is not None:
            campaign.status = "scheduled"
            runtime.queue("campaigns").enqueue_at(later, send_campaign, campaign_id)
            return {"scheduled": 1}
        if campaign.started_at is None:  # planned once: a resumed or repeated run sends what is left
            delivery.materialize(session, campaign, account.timezone, now, Rules())
            campaign.started_at = now
        campaign.status = "sending"
        delivery.rescue_stale(session, campaign_id, now)
    with Sender(runtime, account, campaign) as sender:
        sender.resend_stale_mass(now)
        while sender.kf_batch() or sender.mass_batch():
            if not _still_sending(runtime, campaign_id):
                break
    return _finish(runtime, campaign_id)


def _not_yet(campaign: Campaign, tz: str, now: datetime) -> datetime | None:
    """When to come back: the scheduled time, or the end of quiet hours; None to send now."""
    if campaign.send_at is not None and campaign.send_at > now:
        return campaign.send_at
    local = now.astimezone(ZoneInfo(tz))
    if not in_quiet_hours(local, campaign.quiet_start, campaign.quiet_end):
        return None
    end = datetime.combine(
        local.date(), time(campaign.quiet_end // 60, campaign.quiet_end % 60), local.tzinfo
    )
    return end if end > local else end + timedelta(days=1)


def _still_sending(runtime: Runtime, campaign_id: int) -> bool:
    with runtime.job_sessions() as session:
        return session.scalar(select(Campaign.status).where(Campaign.id == campaign_id)) == "sending"


def _finish(runtime: Runtime, campaign_id: int) -> dict[str, int]:
    with runtime.job_sessions.begin() as session:
        counts = delivery.counts(session, campaign_id)
        campaign = session.get(Campaign, campaign_id)
        if (
            campaign
            and campaign.status == "sending"
            and not counts.get("planned")
            and not counts.get("sending")
        ):
            campaign.status, campaign.finished_at = "done", utcnow()
    return counts


class Sender:
    def __init__(self, runtime: Runtime, account: Account, campaign: Campaign) -> None:
        settings = runtime.settings
        self.runtime, self.campaign_id, self.appid = runtime, campaign.id, account.appid
        self.account_id = account.id
        self.variants = {v["code"]: v for v in campaign.variants}
        self.client = client_for(account.appid, account.secret or "", settings.wechat_api_base, runtime.redis)
        self.bucket = TokenBucket(runtime.redis, f"wechat:{account.appid}", settings.campaign_rate)
        self.secret, self.base = settings.secret_key, settings.public_base_url
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
        sent = [c for c, outcome in zip(claimed, outcomes, strict=True) if outcome[0] == "sent"]
        with self.runtime.job_sessions.begin() as session:
            delivery.close(session, results, utcnow())
            delivery.spend_windows(session, sent)
        return True

    def _send_all(self, claimed: list[Claimed], start: float) -> list[tuple[str, str | None]]:
        """Send the batch on the pool, message i starting at its slot, start + i/rate."""

        def at_its_slot(i: int, c: Claimed) -> tuple[str, str | None]:
            pause = start + i / self.bucket.rate - clock.monotonic()  # spread over the reservation
            if pause > 0:
                clock.sleep(pause)
            return self._send_kf(c)

        return list(self.pool.map(at_its_slot, range(len(claimed)), claimed))

    def _send_kf(self, c: Claimed) -> tuple[str, str | None]:
        v = self.variants[c.variant]
        token = member_tokens.sign_member(self.secret, self.account_id, c.openid)
        article = {
            "title": v["title"],
            "description": v["summary"],
            "url": campaign_links.landing_url(self.base, self.appid, self.campaign_id, c.variant, token),
            "image": v.get("cover_url") or "",
        }
        try:
            self.client.message.send_articles(c.openid, [article])
        except WeChatClientException as exc:
            return self._after_error(c, exc.errcode, exc.errmsg)
        except requests.RequestException as exc:
            return self._after_error(c, -1, type(exc).__name__)
        return "sent", None

    def _after_error(self, c: Claimed, code: Any, message: str) -> tuple[str, str | None]:
        with self.runtime.job_sessions() as session:
            attempts = session.scalar(select(Delivery.attempts).where(Delivery.id == c.delivery_id)) or 0
        if code in RETRY and attempts < MAX_ATTEMPTS:
            return "planned", f"retry {code}"
        log.info("campaign %s delivery %s failed: %s %s", self.campaign_id, c.delivery_id, code, message)
        return "failed", str(code)

    def mass_batch(self) -> bool:
        """Send one mass send (one variant's next openids); False when none were left."""
        for code in self.variants:
            with self.runtime.job_sessions.begin() as session:
                claimed = delivery.claim(
                    session, self.campaign_id, "mass", MASS_BATCH, utcnow(), variant=code
                )
                if not claimed:
                    continue
                if len(claimed) < 2:  # WeChat's list mass send takes two openids at least
                    delivery.close(session, [(claimed[0].delivery_id, "held", "mass_needs_two")], utcnow())
                    return True
                campaign = session.get(Campaign, self.campaign_id)
                assert campaign is not None
                clientmsgid = f"tf{self.campaign_id}-{code}-{claimed[0].delivery_id}"
                mass = delivery.record_mass(session, campaign, clientmsgid, claimed, utcnow())
                mass_id = mass.id
            self._send_mass(mass_id, clientmsgid, code, claimed)
            return True
        return False

    def _send_mass(self, mass_id: int, clientmsgid: str, code: str, claimed: list[Claimed]) -> None:
        v = self.variants[code]
        link = campaign_links.landing_url(self.base, self.appid, self.campaign_id, code, None)
        content = f'{v["title"]}\n{v["summary"]}\n<a href="{link}">查看详情</a>'
        self.bucket.take(len(claimed))
        status, reason, msg_id = "sent", None, None
        try:
            answer = self.client.message.send_mass_text(
                [c.openid for c in claimed], content, client_msg_id=clientmsgid
            )
            msg_id = answer.get("msg_id")
        except WeChatClientException as exc:
            if exc.errcode == DUPLICATE_MASS:
                status = "sent"  # the first try went through: that send stands
            elif exc.errcode in RETRY:
                status, reason = "planned", f"retry {exc.errcode}"
            else:
                status, reason = "failed", str(exc.errcode)
        except requests.RequestException as exc:
            status, reason = "planned", f"retry {type(exc).__name__}"  # the clientmsgid makes it safe
        with self.runtime.job_sessions.begin() as session:
            delivery.close(session, [(c.delivery_id, status, reason) for c in claimed], utcnow())
            mass = session.get(MassSend, mass_id)
            assert mass is not None
            mass.status = {"sent": "submitted", "planned": "sending"}.get(status, "failed")
            if msg_id is not None:
                mass.msg_id = int(msg_id)

    def resend_stale_mass(self, now: datetime) -> None:
        """Mass sends a killed worker left unanswered go again under the same clientmsgid."""
        with self.runtime.job_sessions() as session:
            stale = session.execute(
                select(MassSend.id, MassSend.clientmsgid).where(
                    MassSend.campaign_id == self.campaign_id,
                    MassSend.status == "sending",
                    MassSend.created_at < now - delivery.STALE,
                )
            ).all()
            again = []
            for mass_id, clientmsgid in stale:
                rows = session.execute(
                    select(Delivery.id, Delivery.member_id, Member.openid, Delivery.variant)
                    .join(Member, Member.id == Delivery.member_id)
                    .where(Delivery.mass_id == mass_id, Delivery.status.in_(("sending", "planned")))
                    .order_by(Delivery.id)
                ).all()
                if rows:
                    again.append((mass_id, clientmsgid, [Claimed(d, m, o, v, None) for d, m, o, v in rows]))
        for mass_id, clientmsgid, claimed in again:  # outside the read: sending writes
            self._send_mass(mass_id, clientmsgid, claimed[0].variant, claimed)
