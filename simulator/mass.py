"""Mass sends (群发): the jobs an account submitted, who each reached, clientmsgids and monthly quotas.

What WeChat documents and the simulator keeps:
- A member of a service account receives at most 4 mass sends a calendar month (Beijing time); a send
  skips members over it ("用户接收已超4条的过滤"), as it skips openids that do not follow the account.
  Neither is an error: the job's FilterCount (the members left after filtering) is simply smaller.
- A clientmsgid seen within 24 hours refuses the send with 45065 and the earlier job's msg_id, so a
  retry never sends twice. Without a clientmsgid WeChat uses a digest of the audience and content.
- A clientmsgid is at most 64 bytes (45067).

Which openids a send aims at and whether its content is valid is the endpoint's business; this store
decides who receives it, atomically with the clientmsgid check, and changes nothing for a duplicate.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from simulator.callbacks import Callback
from simulator.errors import ApiError

MONTHLY_QUOTA = 4  # mass sends a member receives a calendar month
DEDUPE_WINDOW = 24 * 3600  # seconds a clientmsgid is remembered
CLIENTMSGID_MAX_BYTES = 64
BEIJING = ZoneInfo("Asia/Shanghai")
SUCCESS = "send success"
# WeChat's errmsg for the mass-send errors (the shared table in simulator.errors lacks them)
ERRMSG = {
    40059: "invalid msg id",
    40130: "invalid openid list size, at least two openid",
    40152: "invalid group id",
    45065: "clientmsgid exist",
    45067: "clientmsgid size out of limit",
}


def refuse(errcode: int, message: str | None = None) -> ApiError:
    """The ApiError for a mass-send errcode, with WeChat's message."""
    return ApiError(errcode, message or ERRMSG.get(errcode))


@dataclass
class MassJob:
    """One mass send: what was sent, to whom it was aimed, who received it, and its events."""

    msg_id: int
    msg_data_id: int | None  # only mpnews sends have one
    appid: str
    clientmsgid: str
    audience: dict[str, Any]  # {"touser": [...]} or {"is_to_all": true} or {"tag_id": n}
    msgtype: str
    content: dict[str, Any]
    targets: list[str]  # TotalCount: the openids aimed at
    filtered: dict[str, str]  # openid -> why it was skipped: "unfollowed" or "monthly_quota"
    recipients: list[str]  # who received it (empty when the job failed)
    status: str = SUCCESS  # the event's Status: "send success", "send fail" or "err(num)"
    created_at: float = field(default_factory=time.time)
    finished: bool = False
    callback: Callback | None = None  # the MASSSENDJOBFINISH pushed when the job finished
    events: list[dict[str, Any]] = field(default_factory=list)  # each delivery of it, replays too

    @property
    def msg_status(self) -> str:
        """What message/mass/get answers: SENDING until the job finished, then its outcome."""
        if not self.finished:
            return "SENDING"
        return "SEND_SUCCESS" if self.status == SUCCESS else "SEND_FAIL"

    def counts(self) -> dict[str, int]:
        """TotalCount, FilterCount (left after filtering), SentCount and ErrorCount for the event."""
        if self.status.startswith("err("):  # refused by review: nothing was prepared or sent
            return {"TotalCount": 0, "FilterCount": 0, "SentCount": 0, "ErrorCount": 0}
        prepared = len(self.targets) - len(self.filtered)
        sent = len(self.recipients)
        return {
            "TotalCount": len(self.targets),
            "FilterCount": prepared,
            "SentCount": sent,
            "ErrorCount": prepared - sent,
        }

    def to_dict(self) -> dict[str, Any]:
        """Return the job as the control API lists it."""
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "callback"}
        return {**shown, "events": list(self.events), "msg_status": self.msg_status, "counts": self.counts()}


class MassBook:
    """Hold every account's mass sends, clientmsgids and members' receipts behind one lock.

    `monthly_quota`, `dedupe_window` and `clock` (seconds since the epoch) may be changed by tests; the
    event settings (`event_delay`, `event_retries`, `retry_interval`, `event_timeout`) are read by
    simulator.mass_events when a job finishes.
    """

    def __init__(self, monthly_quota: int = MONTHLY_QUOTA, dedupe_window: float = DEDUPE_WINDOW) -> None:
        self.monthly_quota = monthly_quota
        self.dedupe_window = dedupe_window
        self.clock: Callable[[], float] = time.time
        self.event_delay = 0.2
        self.event_retries = 3
        self.retry_interval = 1.0
        self.event_timeout = 5.0
        self._lock = threading.Lock()
        self._jobs: dict[int, MassJob] = {}
        self._clientmsgids: dict[tuple[str, str], tuple[int, float]] = {}
        self._receipts: dict[tuple[str, str], list[float]] = {}
        self._outcomes: list[str] = []
        self._msg_ids = itertools.count(3_147_483_649)
        self._data_ids = itertools.count(2_247_483_649)

    def submit(
        self,
        appid: str,
        clientmsgid: str,
        audience: dict[str, Any],
        msgtype: str,
        content: dict[str, Any],
        targets: Iterable[str],
        follows: Callable[[str], bool],
    ) -> MassJob:
        """Record a send to `targets` (deduplicated, in order) and decide who receives it.

        Raises 45065 (carrying the earlier msg_id) when the account used `clientmsgid` within the
        dedupe window; nothing changes then.
        """
        aimed = list(dict.fromkeys(targets))
        with self._lock:
            now = self.clock()
            earlier = self._clientmsgids.get((appid, clientmsgid))
            if earlier is not None and now < earlier[1] + self.dedupe_window:
                raise DuplicateClientMsgId(earlier[0])
            status = self._outcomes.pop(0) if self._outcomes else SUCCESS
            filtered: dict[str, str] = {}
            for openid in aimed:
                if not follows(openid):
                    filtered[openid] = "unfollowed"
                elif self._received_this_month(appid, openid, now) >= self.monthly_quota:
                    filtered[openid] = "monthly_quota"
            recipients = [o for o in aimed if o not in filtered] if status == SUCCESS else []
            for openid in recipients:
                self._receipts.setdefault((appid, openid), []).append(now)
            job = MassJob(
                next(self._msg_ids),
                next(self._data_ids) if msgtype == "mpnews" else None,
                appid,
                clientmsgid,
                audience,
                msgtype,
                content,
                aimed,
                filtered,
                recipients,
                status,
                now,
            )
            self._jobs[job.msg_id] = job
            self._clientmsgids[(appid, clientmsgid)] = (job.msg_id, now)
            return job

    def fail_next(self, status: str, times: int = 1) -> None:
        """Make the next `times` jobs end with `status` ("send fail" or "err(num)"): nobody receives them."""
        if (status != "send fail" and not re.fullmatch(r"err\(\d+\)", status)) or times < 1:
            raise ValueError('status must be "send fail" or "err(num)", and times >= 1')
        with self._lock:
            self._outcomes.extend([status] * times)

    def job(self, appid: str, msg_id: Any) -> MassJob:
        """An account's job by msg_id (an int or a string of digits); 40059 when there is none."""
        if isinstance(msg_id, str) and msg_id.isdigit():
            msg_id = int(msg_id)
        with self._lock:
            job = self._jobs.get(msg_id) if isinstance(msg_id, int) else None
        if job is None or job.appid != appid:
            raise refuse(40059)
        return job

    def get(self, msg_id: int) -> MassJob | None:
        """Any account's job by msg_id."""
        with self._lock:
            return self._jobs.get(msg_id)

    def jobs(self, appid: str | None = None) -> list[MassJob]:
        """The jobs submitted, oldest first, optionally only one account's."""
        with self._lock:
            return [j for j in self._jobs.values() if appid is None or j.appid == appid]

    def received_this_month(self, appid: str, openid: str) -> int:
        """How many mass sends a member received this calendar month (Beijing time)."""
        with self._lock:
            return self._received_this_month(appid, openid, self.clock())

    def clear(self) -> None:
        """Forget jobs, clientmsgids, receipts and queued outcomes; keep the settings."""
        with self._lock:
            self._jobs.clear()
            self._clientmsgids.clear()
            self._receipts.clear()
            self._outcomes.clear()

    def _received_this_month(self, appid: str, openid: str, now: float) -> int:
        month = _month(now)
        return sum(1 for at in self._receipts.get((appid, openid), ()) if _month(at) == month)


class DuplicateClientMsgId(ApiError):
    """45065: the account used this clientmsgid within 24 hours; WeChat answers the earlier msg_id."""

    def __init__(self, msg_id: int) -> None:
        super().__init__(45065, ERRMSG[45065])
        self.msg_id = msg_id

    def body(self) -> dict[str, int | str]:
        """Return WeChat's answer: the error and the earlier job's msg_id."""
        return {**super().body(), "msg_id": self.msg_id}


def _month(at: float) -> tuple[int, int]:
    """The calendar month (Beijing time) a moment falls in."""
    moment = datetime.fromtimestamp(at, BEIJING)
    return moment.year, moment.month
