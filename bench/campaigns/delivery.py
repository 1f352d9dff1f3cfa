"""One delivery run: a campaign created through `services.campaigns.audience.create`, `send_campaign` enqueued
once per worker (the API enqueues it once; a second job shares the work through SKIP LOCKED, as the
task's docstring allows), the workers' memory sampled, their meters read, and the outcome checked
in the database and in the simulator.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime
from typing import Any

from redis import Redis
from rq import Queue

from bench.campaigns import audience, workers
from bench.campaigns.config import Config
from bench.campaigns.seed import APPID
from bench.campaigns.sim import Sim, get
from bench.campaigns.worker import SENDS_ENV, STATS_KEY
from bench.points import db
from bench.points.cpu import MachineTicks, process_seconds
from bench.referrals.checks import check


def openid(member_id: int) -> str:
    return f"oCmp{member_id:09d}"


def run(
    cfg: Config, sim: Sim, redis: Redis, account_id: int, label: str, tag: str, rate: float, expected: int,
    channel: str, now: datetime, limited: bool = False,
) -> dict[str, Any]:  # fmt: skip
    with db.sessions(cfg.database_url) as sessions:
        cid = audience.create_campaign(sessions, account_id, label, {"tags": [tag]}, now)
    env = {
        "DATABASE_URL": cfg.database_url,
        "REDIS_URL": cfg.redis_url,
        "WECHAT_API_BASE": sim.url,
        "CAMPAIGN_RATE": str(rate),
        "CAMPAIGN_CONCURRENCY": str(cfg.concurrency),
        SENDS_ENV: "1" if limited else "0",
    }
    with (
        workers.pool(cfg.workers, env, redis, f"c{cid}") as running,
        workers.Memory([*running.pids, *sim.pids]) as memory,
    ):
        time.sleep(1.0)  # a few samples of the idle workers
        sim_cpu, cpu, machine = sim.cpu(), process_seconds(running.pids), MachineTicks.now()
        queue = Queue("campaigns", connection=redis)
        enqueued = time.time()
        jobs = [f"bench-{cid}-{k}" for k in range(cfg.workers)]
        for job_id in jobs:
            queue.enqueue(
                "tasks.campaigns.send_campaign",
                cid,
                job_id=job_id,
                job_timeout=cfg.job_timeout,
                result_ttl=3600,
            )
        stats = wait_for(redis, jobs, running, cfg.job_timeout + 60)
        busy = MachineTicks.now().busy_pct_since(machine)
        cpu_used = {"workers_s": process_seconds(running.pids) - cpu, "simulator_s": sim.cpu() - sim_cpu}
        time.sleep(1.0)
    out = figures(stats, enqueued, rate)
    out.update(label=label, campaign_id=cid, channel=channel, rate_setting=rate, concurrency=cfg.concurrency)
    elapsed = max(s["ended_at"] for s in stats) - enqueued
    out["cpu"] = {
        **{k: round(v, 1) for k, v in cpu_used.items()},
        "machine_busy_pct": busy,
        "other_s": round(busy / 100 * 2 * elapsed - sum(cpu_used.values()), 1),
        "simulator_ms_per_message": round(1000 * cpu_used["simulator_s"] / max(1, out["messages"]), 3),
    }
    out["memory"] = {
        f"worker {k}": memory.of(s["pid"], s["started_at"] + s["before_first_claim_s"], s["ended_at"])
        for k, s in enumerate(stats)
    }
    out["memory"]["simulator"] = memory.of(sim.pids[0], enqueued, max(s["ended_at"] for s in stats))
    out["checks"] = checks(cfg, sim, cid, expected, channel)
    return out


def wait_for(redis: Redis, jobs: list[str], running: workers.Pool, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        found = [redis.get(STATS_KEY + j) for j in jobs]
        if all(found):
            return [json.loads(f) for f in found if f]
        running.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"send_campaign did not finish in {timeout:.0f} s")
        time.sleep(0.2)


def figures(stats: list[dict[str, Any]], enqueued: float, rate: float) -> dict[str, Any]:
    n = sum(s["kf_messages"] + s["mass_messages"] for s in stats)
    end = max(s["ended_at"] for s in stats)
    first_claim = min(s["started_at"] + s["before_first_claim_s"] for s in stats)
    wall: Counter[str] = Counter()
    for s in stats:
        wall.update(s["stage_wall_s"])
    cpu: Counter[str] = Counter()
    for s in stats:
        cpu.update(s["stage_cpu_s"])
    loop = sum(s["wall_s"] - s["before_first_claim_s"] for s in stats)
    slept = sum(s["slept_s"] for s in stats)
    outside = loop - wall["send_phase"] - slept  # the main thread, outside the kf send phases
    in_phase = cpu["send_kf_pool"] - cpu["client_pool"]  # each message's own work on the pool
    client_cpu = cpu["client"] + cpu["client_pool"]
    per = {k: round(1000 * v / max(1, n), 4) for k, v in sorted(wall.items())}
    out: dict[str, Any] = {
        "messages": n,
        "kf_messages": sum(s["kf_messages"] for s in stats),
        "mass_messages": sum(s["mass_messages"] for s in stats),
        "outcomes": dict(sum((Counter(s["outcomes"]) for s in stats), Counter())),
        "kf_calls": sum(s["calls"].get("send_kf", 0) + s["calls"].get("send_kf_pool", 0) for s in stats),
        "mass_calls": sum(s["calls"].get("send_mass", 0) for s in stats),
        "total_s": round(end - enqueued, 2),
        "per_s": round(n / (end - enqueued), 1),
        "planning_s": round(wall["materialize"], 2),
        "sending_s": round(end - first_claim, 2),
        "sending_per_s": round(n / (end - first_claim), 1),
        # the engine: the send loops' wall time outside the batches' send phases (calls in flight
        # together on the sender's threads) and the limiter's sleeps, plus, inside the phases, each
        # message's own work outside wechatpy's call (its thread's CPU: threads overlap in wall time)
        "engine_ms_per_message": round(1000 * (outside - wall["client"] + in_phase) / max(1, n), 3),
        # … and counting wechatpy + requests' own work as the engine's too (the socket exchange out)
        "engine_and_client_ms_per_message": round(
            1000 * (outside - wall["http"] + cpu["send_kf_pool"] - cpu["http_pool"]) / max(1, n), 3
        ),
        "engine_cpu_ms_per_message": round(
            1000 * (sum(s["cpu_s"] for s in stats) - client_cpu) / max(1, n), 3
        ),
        "client_cpu_ms_per_message": round(1000 * client_cpu / max(1, n), 3),
        "slept_s": round(slept, 2),
        "slept_in_phase_s": round(sum(s.get("slept_in_phase_s", 0.0) for s in stats), 2),
        "stage_ms_per_message": per,
        "workers": [
            {
                "messages": s["kf_messages"] + s["mass_messages"],
                "wall_s": round(s["wall_s"], 2),
                "waited_for_plan_s": round(
                    s["before_first_claim_s"] - s["stage_wall_s"].get("materialize", 0), 2
                ),
                "cpu_s": round(s["cpu_s"], 2),
                "ok": s["ok"],
            }
            for s in stats
        ],
    }
    if any(s["sends"] for s in stats):
        out["limiter"] = limiter(stats, rate)
    return out


def limiter(stats: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    """The messages the workers sent against the bucket's promise: by any moment, at most its burst
    plus `rate` per second since it was first asked (each send counted when its call began)."""
    sends = sorted((t, n) for s in stats for t, n in s["sends"])
    t0 = min(s["first_ask"] for s in stats if s["first_ask"])
    burst, total, worst = max(1, int(rate)), 0, float("-inf")
    for t, n in sends:
        total += n
        worst = max(worst, total - burst - rate * (t - t0))
    span = sends[-1][0] - t0
    return {
        "calls": len(sends),
        "messages": total,
        "span_s": round(span, 2),
        "beyond_burst_per_s": round((total - burst) / span, 1) if span else None,
        "most_over_promise": round(worst, 1),
        "holds": worst <= 0.01 * rate,  # 10 ms of tokens: the clocks of two processes and Redis
    }


def checks(cfg: Config, sim: Sim, cid: int, expected: int, channel: str) -> list[dict[str, Any]]:
    with db.connect(cfg.database_url) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT member_id), count(*) FILTER (WHERE status = 'sent'), "
            "count(*) FILTER (WHERE channel = %s), count(*) FILTER (WHERE member_id <= %s), "
            "count(*) FILTER (WHERE attempts = 1) FROM deliveries WHERE campaign_id = %s",
            [channel, expected, cid],
        ).fetchone()
        status = db.one(conn, "SELECT status FROM campaigns WHERE id = %s", [cid])
        titles = {
            f"{v['title']}" for v in db.one(conn, "SELECT variants FROM campaigns WHERE id = %s", [cid])
        }
    want = set(range(1, expected + 1))
    out = [
        check(
            "delivery rows, distinct members, sent, by the channel, in the audience, first try",
            [expected] * 6,
            list(row or []),
        ),
        check("campaign status", "done", status),
    ]
    if channel == "kf":
        got = Counter(
            m["touser"]
            for m in get(sim.url, f"/_sim/custom-messages?appid={APPID}")["messages"]
            if m["content"]["articles"][0]["title"] in titles
        )
    else:
        jobs = [
            j
            for j in get(sim.url, f"/_sim/mass-sends?appid={APPID}")["mass_sends"]
            if j["clientmsgid"].startswith(f"tf{cid}-")
        ]
        got = Counter(o for j in jobs for o in j["recipients"])
        out.append(
            check(
                "mass sends: nobody filtered out by the simulator", 0, sum(len(j["filtered"]) for j in jobs)
            )
        )
    out += [
        check("simulator: members who received it", expected, len(got)),
        check("simulator: members who received it more than once", 0, sum(1 for n in got.values() if n > 1)),
        check("simulator: recipients = the audience's openids", True, set(got) == {openid(m) for m in want}),
    ]
    return out


def pass_a_week(cfg: Config, campaign_id: int, close_windows: bool) -> None:
    """Between runs over the same members: the last campaign moves 8 days into the past (out of the
    daily and weekly caps, still in the month's mass count) and, before the mass runs, the members'
    customer-service windows close (they opened 3 days earlier), so the planner picks mass sends."""
    with db.connect(cfg.database_url) as conn:
        conn.execute(
            "UPDATE deliveries SET planned_at = planned_at - interval '8 days', "
            "claimed_at = claimed_at - interval '8 days', sent_at = sent_at - interval '8 days' "
            "WHERE campaign_id = %s",
            [campaign_id],
        )
        if close_windows:
            conn.execute(
                "UPDATE contact_windows SET message_at = message_at - interval '3 days' "
                "WHERE member_id <= %s",
                [cfg.recipients],
            )
        db.analyze(conn, ["deliveries", "contact_windows"])
