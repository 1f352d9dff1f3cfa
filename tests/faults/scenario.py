"""One fault run: the customers' three acts and a campaign while the faults go on, then the faults
stop, WeChat's retries settle every callback, the outbox drains, and the verdicts are taken."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import Account, EventStatus, InboundEvent, Member, QrCode
from services.inbound import invariants
from tests.faults.chaos import Chaos
from tests.faults.driver import Driver
from tests.faults.expect import balance_mismatches, explain
from tests.faults.journeys import Customer, Journeys, cast
from tests.faults.merchant import Merchant, received
from tests.faults.stack import APPID, BIN, ROOT, Stack


@dataclass
class Outcome:
    customers: int = 0
    callbacks: int = 0
    deliveries: Counter[str] = field(default_factory=Counter)  # HTTP status (or "no answer") → count
    unanswered: int = 0  # callbacks never answered 200, even after the faults stopped
    stopped: int = 0  # members who stopped when a callback found no 200 during the faults
    faults: Counter[str] = field(default_factory=Counter)
    fault_errors: list[str] = field(default_factory=list)
    restarts: dict[str, int] = field(default_factory=dict)
    supervisor: list[str] = field(default_factory=list)
    codes: str = ""  # referrers who got their code
    resends: int = 0  # times the merchant pressed send again: the campaign stayed a draft
    campaign: str = ""
    received: int = 0  # campaign messages WeChat took
    notices: int = 0  # tier notices WeChat took
    verdict: invariants.Verdict = field(default_factory=invariants.Verdict)
    mismatches: list[str] = field(default_factory=list)
    explained: list[str] = field(default_factory=list)  # the first mismatches, with their rows
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds each step took

    def mark(self, phase: str, since: float) -> float:
        now = time.monotonic()
        self.phases[phase] = round(now - since, 1)
        return now

    def lines(self) -> list[str]:
        return [
            f"{self.customers} customers, {self.callbacks} callbacks in {self.seconds:.1f} s; "
            f"deliveries by answer: {dict(self.deliveries)}; never answered 200: {self.unanswered}; "
            f"members who stopped at a failed callback: {self.stopped}",
            f"faults: {dict(self.faults)}"
            + (f"; could not make: {self.fault_errors}" if self.fault_errors else ""),
            f"restarted by the supervisor: {self.restarts or 'nothing'}"
            + (f"; supervisor: {self.supervisor}" if self.supervisor else ""),
            f"codes made: {self.codes}; campaign {self.campaign} (send pressed again {self.resends}×), "
            f"{self.received} messages received; "
            f"tier notices received: {self.notices}; phases (s): {self.phases}",
            *self.verdict.lines(),
            f"balances off the rules: {len(self.mismatches)} {self.mismatches[:10]}",
            *self.explained,
        ]


def run(stack: Stack, engine: Engine, customers: int, period: float, seed: int = 7) -> Outcome:
    started, out = time.monotonic(), Outcome(customers=customers)
    driver = Driver(stack.url, stack.state, 0, seed)
    assert driver.wechat().verify_url("hello").text == "hello"  # the account is in the table now
    driver.account_id = _account_id(engine)
    merchant = Merchant(stack.url)
    merchant.set_up()
    t = out.mark("set-up", started)
    with Chaos(stack, period, seed) as chaos:
        campaign_id = _play(stack, engine, driver, merchant, out, chaos, cast(customers, seed))
    t = time.monotonic()
    driver.flush_late()
    out.unanswered = len(driver.settle())
    t = out.mark("settle", t)
    sweep(stack)
    drain(stack, engine, timeout=180)
    driver.close()
    out.mark("sweep, drain", t)
    out.faults, out.fault_errors = chaos.done, chaos.errors
    out.restarts, out.supervisor = stack.restarts, stack.failures
    _judge(stack, engine, driver, merchant, campaign_id, out)
    out.seconds = time.monotonic() - started
    return out


def _play(
    stack: Stack,
    engine: Engine,
    driver: Driver,
    merchant: Merchant,
    out: Outcome,
    chaos: Chaos,
    people: list[Customer],
) -> int:
    """The three acts and the campaign, while the chaos goes on. Returns the campaign's id."""
    acts, t = Journeys(driver), time.monotonic()
    # the codes are made through one round of API faults and backend terminations only: a Redis
    # outage kills RQ's scheduler (retries then wait for a worker's 10-minute maintenance) and
    # loses the poster jobs queued in it (nothing sweeps them), which a short run cannot wait out
    chaos.only = {"postgres backends terminated"}
    chaos.make("api", chaos.api)
    acts.founders(people)
    tickets = wait_for_codes(stack, engine, people, acts.ask_again)
    chaos.unleash()
    out.codes = f"{len(tickets)}/{sum(c.role == 'referrer' for c in people)}"
    t = out.mark("act 1: codes", t)
    acts.crowd([c for c in people if c.role != "friend" or c.referrer in tickets], tickets)
    driver.flush_late()
    t = out.mark("act 2: the crowd", t)
    drain(stack, engine)
    t = out.mark("drain", t)
    acts.friends([c for c in people if c.referrer in tickets])
    out.stopped = len(acts.stopped)
    campaign_id = merchant.campaign()
    out.resends = started_sending(merchant, campaign_id)
    t = out.mark("act 3: friends, campaign", t)
    deadline = time.monotonic() + 20 * chaos.period
    while min(chaos.done[k] for k, _ in chaos.kinds) == 0 and time.monotonic() < deadline:
        time.sleep(0.5)  # every kind of fault at least once
    out.mark("faults to go", t)
    return campaign_id


def _judge(
    stack: Stack, engine: Engine, driver: Driver, merchant: Merchant, campaign_id: int, out: Outcome
) -> None:
    """The invariant checker with what the driver saw accepted and WeChat received; the balances."""
    out.campaign = f"{campaign_id} {merchant.status(campaign_id)}"
    got = received(stack.state, campaign_id)
    notified = [t.touser for t in stack.state.template_messages(APPID)]
    out.received, out.notices = len(got), len(notified)
    out.callbacks, out.deliveries = len(driver.sent), driver.statuses()
    with Session(engine) as session:
        out.verdict = invariants.check(session, accepted=driver.accepted(), received=got, notified=notified)
        out.mismatches = balance_mismatches(session, driver.account_id, driver.sent)
        out.explained = [
            explain(session, driver.account_id, m.split(":")[0], driver.sent) for m in out.mismatches[:5]
        ]


def started_sending(merchant: Merchant, campaign_id: int, patience: float = 20) -> int:
    """Wait for a sender to take the campaign up; press send again while it stays a draft (its
    senders lost with Redis's data, or retried only when RQ's scheduler comes back). Returns
    how many times send was pressed again."""
    again, since = 0, time.monotonic()
    while merchant.status(campaign_id) == "draft":
        if time.monotonic() - since > patience:
            merchant.call("POST", f"/campaigns/{campaign_id}/send", 202)
            again, since = again + 1, time.monotonic()
        time.sleep(1)
    return again


def _account_id(engine: Engine) -> int:
    with Session(engine) as session:
        found = session.scalar(select(Account.id).where(Account.appid == APPID))
    assert found is not None, "the environment's account is not in the table"
    return int(found)


def nudge(stack: Stack) -> None:
    """Start a drain, as the sweeper does (it waits its 60 s grace; a test cannot)."""
    try:
        with Redis.from_url(stack.redis_url, socket_timeout=2) as conn:
            Queue("events", connection=conn).enqueue("tasks.inbound.drain", result_ttl=60)
    except RedisError:
        pass  # Redis is down for a moment: the next nudge


def pending(engine: Engine) -> int:
    with Session(engine) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(InboundEvent).where(InboundEvent.status != EventStatus.DONE)
            )
            or 0
        )


def drain(stack: Stack, engine: Engine, timeout: float = 90) -> None:
    """Wait until every stored callback is done, starting a drain every few seconds."""
    deadline = time.monotonic() + timeout
    while (left := _quietly(pending, engine)) != 0:
        assert time.monotonic() < deadline, f"{left} callbacks still waiting after {timeout:.0f} s"
        nudge(stack)
        time.sleep(2)


def _quietly(read: object, engine: Engine) -> int | None:
    """A read that may meet a backend the chaos just terminated: None then."""
    try:
        return read(engine)  # type: ignore[operator,no-any-return]
    except Exception:
        return None


def wait_for_codes(
    stack: Stack,
    engine: Engine,
    people: list[Customer],
    ask_again: Callable[[list[Customer]], None],
    timeout: float | None = None,
) -> dict[str, str]:
    """The referrers' tickets, once the poster jobs made them (through faults and RQ's retries).
    A referrer still without a poster after a while asks again, as a customer would (a job lost
    with Redis's data is not swept: only callbacks and tier notices are)."""
    referrers = [c for c in people if c.role == "referrer"]
    wanted = {c.openid for c in referrers}
    timeout = 60 + 0.25 * len(referrers) if timeout is None else timeout
    deadline, tickets, asked = time.monotonic() + timeout, {}, time.monotonic()
    while time.monotonic() < deadline:
        if time.monotonic() - asked > 10:
            ask_again([c for c in referrers if c.openid not in tickets])
            asked = time.monotonic()
        try:
            with Session(engine) as session:
                rows = session.execute(
                    select(Member.openid, QrCode.ticket)
                    .join(QrCode, QrCode.member_id == Member.id)
                    .where(Member.openid.in_(wanted), QrCode.ticket.is_not(None))
                ).all()
            tickets = {o: str(t) for o, t in rows}
        except Exception:
            time.sleep(1)
            continue
        if len(tickets) == len(wanted):
            break
        nudge(stack)
        time.sleep(1)
    return tickets


def sweep(stack: Stack) -> str:
    """`flask outbox sweep --grace 0`: what the operator runs after an outage."""
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "app", "outbox", "sweep", "--grace", "0"],
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()
