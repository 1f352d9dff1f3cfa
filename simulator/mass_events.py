"""MASSSENDJOBFINISH (事件推送群发结果): WeChat's server telling an account's webhook a mass send finished.

`schedule` finishes a job `state.mass.event_delay` seconds after it was submitted, on a background
thread: message/mass/get stops answering SENDING, and when the account registered a webhook
(`state.webhooks`) the event is pushed there, signed (and encrypted) by the customer side's
`WeChatServer`. A push the webhook does not answer (timeout, refused connection, HTTP 5xx) is resent,
identical, up to `event_retries` more times `retry_interval` seconds apart. `replay` pushes a finished
job's event again, as WeChat's own duplicate pushes do.

The event's fields follow the documentation's sample: MsgID, Status, TotalCount, FilterCount (members
left after filtering), SentCount, ErrorCount, and for mpnews sends CopyrightCheckResult and
ArticleUrlResult.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any

import requests

from simulator.callbacks import Callback, CallbackBuilder, XmlFragment, cdata
from simulator.customer import WeChatServer
from simulator.delivery import Delivery
from simulator.mass import SUCCESS, MassJob
from simulator.state import SimulatorState
from simulator.webhooks import WebhookConfig

EVENT = "MASSSENDJOBFINISH"
log = logging.getLogger(__name__)


class NothingToReplay(LookupError):
    """The job has not finished yet, or its account has no webhook."""


class _Builder(CallbackBuilder):
    """Build callbacks for one account without a webhook to send them to."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id


def schedule(state: SimulatorState, job: MassJob) -> threading.Timer:
    """Finish a job after the configured delay, on a daemon thread."""
    timer = threading.Timer(state.mass.event_delay, _finish_safely, args=(state, job))
    timer.name = f"mass-{job.msg_id}"
    timer.daemon = True
    timer.start()
    return timer


def finish(state: SimulatorState, job: MassJob) -> None:
    """Mark a job finished and push its event to the account's webhook, if it has one."""
    config = state.webhooks.get(job.appid)
    job.callback = finish_callback(config.account_id if config else "gh_sim", job)
    job.finished = True
    if config is not None:
        _push(state, config, job, replay=False)


def replay(state: SimulatorState, msg_id: int) -> dict[str, Any]:
    """Push a finished job's event again (same XML, fresh signature); return the delivery's record."""
    job = state.mass.get(msg_id)
    config = state.webhooks.get(job.appid) if job is not None else None
    if job is None or not job.finished or config is None:
        raise NothingToReplay(f"mass send {msg_id} has no finished event to replay to a webhook")
    return _push(state, config, job, replay=True)


def finish_callback(account_id: str, job: MassJob, create_time: int | None = None) -> Callback:
    """The MASSSENDJOBFINISH callback for a job."""
    builder = _Builder(account_id)
    fields: dict[str, str | int | float] = {"MsgID": job.msg_id, "Status": job.status, **job.counts()}
    if job.msgtype == "mpnews":
        fields["CopyrightCheckResult"] = XmlFragment(
            "<Count>0</Count><ResultList></ResultList><CheckState>1</CheckState>"
        )
        fields["ArticleUrlResult"] = _article_urls(job)
    return builder.event(sender_openid(job.appid), EVENT, create_time=create_time, **fields)


def sender_openid(appid: str) -> str:
    """The FromUserName of an account's MASSSENDJOBFINISH events: a stable openid-like value."""
    return "o" + hashlib.sha1(f"mass-sender:{appid}".encode()).hexdigest()[:27]


def _article_urls(job: MassJob) -> XmlFragment:
    """ArticleUrlResult: the sent article's link (one article; the simulator keeps no drafts)."""
    if job.status != SUCCESS:
        return XmlFragment("<Count>0</Count><ResultList></ResultList>")
    url = f"http://mp.weixin.qq.com/s?__biz=sim&mid={job.msg_data_id}&idx=1"
    item = f"<item><ArticleIdx>1</ArticleIdx><ArticleUrl>{cdata(url)}</ArticleUrl></item>"
    return XmlFragment(f"<Count>1</Count><ResultList>{item}</ResultList>")


def _push(state: SimulatorState, config: WebhookConfig, job: MassJob, replay: bool) -> dict[str, Any]:
    """Push the job's event, resending on no answer; log and return the delivery's record."""
    assert job.callback is not None
    book = state.mass
    server = WeChatServer(
        config.url,
        config.token,
        config.appid,
        config.aes_key,
        config.mode,
        config.account_id,
        timeout=book.event_timeout,
        retries=0,
    )
    outgoing = server.prepare(job.callback)
    attempts = 1 + max(book.event_retries, 0)
    for attempt in range(1, attempts + 1):
        delivery = _send(server, outgoing.body, outgoing.params)
        if not _unanswered(delivery) or attempt == attempts:
            break
        time.sleep(book.retry_interval)
    record = {
        "at": time.time(),
        "replay": replay,
        "url": config.url,
        "attempts": attempt,
        "status_code": delivery.status_code,
        "ok": delivery.ok,
        "error": delivery.error,
    }
    job.events.append(record)
    return record


def _send(server: WeChatServer, body: bytes, params: dict[str, str]) -> Delivery:
    """One POST to the webhook; a request that cannot be made is an unanswered delivery."""
    try:
        return server.send_raw(body, params)
    except requests.RequestException as exc:
        return Delivery(None, 1, "", error=f"{type(exc).__name__}: {exc}")


def _unanswered(delivery: Delivery) -> bool:
    """Tell whether WeChat would push again: no HTTP answer, or a server error."""
    return delivery.status_code is None or delivery.status_code >= 500


def _finish_safely(state: SimulatorState, job: MassJob) -> None:
    """Finish a job on the timer thread; an unexpected error is logged, not raised into the thread."""
    try:
        finish(state, job)
    except Exception:
        log.exception("finishing mass send %s failed", job.msg_id)
