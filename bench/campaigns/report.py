"""The printed figures and the verdicts on the issue's targets (the JSON holds the same and more)."""

from __future__ import annotations

from typing import Any

from bench.campaigns.config import ENGINE_BUDGET_MS, RATE_TARGET
from bench.campaigns.workers import SAMPLE_EVERY
from bench.points.report import checks_lines
from bench.report import verdict

FLAT_MB = 4.0  # a worker's growth over its sending (2nd half's peak − 1st half's) still "flat"


def seeded(rep: dict[str, Any]) -> str:
    s, r = rep["seed"], rep["registration"]
    rows = ", ".join(f"{k} {v:,}" for k, v in s["rows"].items())
    steps = ", ".join(f"{k} {v:.1f}" for k, v in s["seconds"].items())
    return (
        f"seeded in SQL: {rows}\n  seconds: {steps}\n"
        f"simulator: {r['members']:,} members made known followers with a window open through "
        f"/_sim/interactions in {r['seconds']} s ({r['per_s']:,}/s, alongside the seeding)"
    )


def preview(p: dict[str, Any]) -> str:
    lines = [
        "",
        "audience resolution and preview (median / slowest of the timed runs, s; × the GROUP BY baseline)",
    ]
    for label, key in (("baseline: count(*) of the account's members", "baseline_count"),
                       ("baseline: members ⟕ member_scores GROUP BY stage", "baseline_group")):  # fmt: skip
        t = p[key]
        lines.append(f"  {label:62}{t['median_s']:>8.3f}{t['max_s']:>8.3f}")
    for label, a in p["audiences"].items():
        res = a["result"]
        for what in ("preview", "planned_count"):
            t = a[what]
            name = f"{what.replace('_', ' ')}: {label}"
            lines.append(f"  {name:62}{t['median_s']:>8.3f}{t['max_s']:>8.3f}{t['x_group_baseline']:>7.1f}×")
        lines.append(
            f"    audience {res['audience']:,}: kf {res['by_channel']['kf']:,}, "
            f"mass {res['by_channel']['mass']:,}, "
            f"held {res['held']}, by variant {res['by_variant']}"
        )
    lines += [
        f"  slowest {p['slowest_s']:.2f} s: budget {p['budget_s']:g} s {verdict(p['holds'])}",
        "  EXPLAIN ANALYZE of the first preview, highlights:",
        *(f"    {h}" for h in p["explain"]["highlights"]),
        "  checks:",
        *checks_lines(p["checks"]),
    ]
    return "\n".join(lines)


def baselines(b: dict[str, Any]) -> str:
    lines = ["", "baseline: the same wechatpy client and simulator, nothing of the engine around it"]
    for key, x in b.items():
        lines.append(
            f"  {key:5} {x['processes']} processes × {x.get('concurrency', 1)} in flight, "
            f"{x['messages']:,} messages in {x['calls']:,} calls: "
            f"{x['seconds']} s, {x['per_s']:,.0f}/s; per message: client CPU "
            f"{x['client_cpu_ms_per_message']} ms, "
            f"inside requests' send {x['http_send_ms_per_message']} ms, simulator CPU "
            f"{x['simulator_cpu_ms_per_message']} ms; machine {x['machine_busy_pct']} % busy"
        )
    return "\n".join(lines)


def delivery(r: dict[str, Any], base: dict[str, Any] | None) -> str:
    ratio = f" = {100 * r['per_s'] / base['per_s']:.0f} % of the baseline's" if base else ""
    cpu = r["cpu"]
    stages = "  ".join(f"{k} {v:.3f}" for k, v in r["stage_ms_per_message"].items() if v >= 0.001)
    lines = [
        "",
        f"{r['label']} (campaign {r['campaign_id']}, campaign_rate {r['rate_setting']:g}/s, "
        f"{r['concurrency']} calls in flight per sender): "
        f"{r['messages']:,} messages ({r['kf_calls']:,} customer-service calls, "
        f"{r['mass_calls']} mass sends)",
        f"  {r['total_s']} s from enqueue to done: {r['per_s']:,.0f} messages/s{ratio}; planning "
        f"{r['planning_s']} s, sending {r['sending_s']} s ({r['sending_per_s']:,.0f}/s)",
        f"  engine per message: {r['engine_ms_per_message']} ms outside wechatpy's call (wall; "
        f"its threads' CPU inside the send phases) "
        f"({r['engine_and_client_ms_per_message']} ms counting wechatpy + requests too), CPU "
        f"{r['engine_cpu_ms_per_message']} ms (+ {r['client_cpu_ms_per_message']} ms in the client); "
        f"asleep (limiter, pacing) {r['slept_s']} s, pacing in the send phases {r['slept_in_phase_s']} s",
        f"  ms per message by stage (wall, nested): {stages}",
        f"  CPU s: workers {cpu['workers_s']}, simulator {cpu['simulator_s']} "
        f"({cpu['simulator_ms_per_message']} ms a message), the rest {cpu['other_s']}; machine "
        f"{cpu['machine_busy_pct']} % busy",
        "  workers: "
        + "; ".join(
            f"{w['messages']:,} messages in {w['wall_s']} s "
            f"({w['waited_for_plan_s']} s waiting for the plan), "
            f"CPU {w['cpu_s']} s"
            for w in r["workers"]
        ),
        "  memory (MB): "
        + "; ".join(
            f"{name}: idle {m.get('idle_mb')}, {m.get('start_mb')} → peak {m.get('peak_mb')} "
            f"→ {m.get('end_mb')}, "
            f"growth {m.get('growth_mb')}, drift {m.get('drift_mb')}"
            for name, m in r["memory"].items()
        ),
    ]
    for name, m in r["memory"].items():
        if name.startswith("worker"):
            lines.append(
                f"    {name}, every {SAMPLE_EVERY * max(1, m['samples'] // 12):g} s: {m.get('series_mb')}"
            )
    if "limiter" in r:
        lim = r["limiter"]
        lines.append(
            f"  limiter: {lim['messages']:,} messages in {lim['calls']} calls over {lim['span_s']} s, "
            f"{lim['beyond_burst_per_s']}/s beyond the burst; most over the promise "
            f"{lim['most_over_promise']} messages: {verdict(lim['holds'])}"
        )
    if r["outcomes"]:
        lines.append(f"  customer-service outcomes: {r['outcomes']}")
    lines += ["  checks:", *checks_lines(r["checks"])]
    return "\n".join(lines)


def verdicts(rep: dict[str, Any]) -> list[dict[str, Any]]:
    p, runs = rep["preview"], rep["runs"]
    out = [
        _v(
            f"audience resolution + preview, {rep['members']:,} members, slowest",
            p["slowest_s"],
            f"≤ {p['budget_s']:g} s",
            p["holds"],
        )
    ]
    for key in ("kf", "mass"):
        r = runs[key]
        out.append(
            _v(
                f"{key}: messages/s, enqueue to done",
                r["per_s"],
                f"≥ {RATE_TARGET:g}",
                r["per_s"] >= RATE_TARGET,
            )
        )
        e = r["engine_ms_per_message"]
        out.append(
            _v(
                f"{key}: engine ms per message (HTTP call excluded)",
                e,
                f"≤ {ENGINE_BUDGET_MS}",
                e <= ENGINE_BUDGET_MS,
            )
        )
        for name, m in r["memory"].items():
            if name.startswith("worker") and m["samples"] >= 8:  # shorter runs: too few samples to tell
                grew = m.get("growth_mb", 0.0)
                out.append(
                    _v(
                        f"{key}: {name} memory growth over the run, MB",
                        grew,
                        f"≤ {FLAT_MB:g}",
                        grew <= FLAT_MB,
                    )
                )
    lim = runs["limited"].get("limiter")
    if lim:
        out.append(_v(f"limiter at {runs['limited']['rate_setting']:g}/s: most messages over its promise",
                      lim["most_over_promise"], "≤ 1 % of a second's", lim["holds"]))  # fmt: skip
    return out


def _v(name: str, value: Any, target: str, holds: bool) -> dict[str, Any]:
    return {"name": name, "value": value, "target": target, "holds": bool(holds)}


def summary(rep: dict[str, Any]) -> str:
    lines = ["", "targets:"]
    lines += [
        f"  {verdict(v['holds'])}  {v['name']}: {v['value']} (target {v['target']})" for v in rep["verdicts"]
    ]
    return "\n".join(lines)
