"""The printed figures and verdicts of each part (the JSON holds the same and more)."""

from __future__ import annotations

from typing import Any

from bench.points.watch import GROUPS
from bench.report import verdict


def checks_lines(checks: list[dict[str, Any]]) -> list[str]:
    return [
        f"    {verdict(c['holds'])}  {c['name']}: {c['actual']} (expected {c['expected']})" for c in checks
    ]


def jobs_line(jobs: dict[str, dict[str, float]]) -> str:
    done = ", ".join(f"{v['jobs']:.0f} × {k} ({v['seconds']:.1f} s)" for k, v in jobs.items())
    return f"  jobs the workers ran: {done or 'none'}"


def award(a: dict[str, Any]) -> str:
    shares = ", ".join(f"{GROUPS[k]} {v:.1f} %" for k, v in a["backend_shares_pct"].items())
    lines = [
        "",
        f"(a) award stage: {a['events']} stored events from {a['members']} members, "
        f"{a['workers']} RQ workers (SimpleWorker, DRAIN_LINGER=0, batches of 500)",
        f"  loaded in {a['load_seconds']:.1f} s (COPY); "
        f"drained in {a['seconds']:.1f} s (enqueue → none pending)",
        f"  events/s: {a['events_per_s']:.0f}",
        f"  awards/s: {a['awards_per_s']:.0f}  ({a['ledger_rows']} ledger rows; target ≥ "
        f"{a['target_awards_per_s']:.0f}: {verdict(a['target_holds'])})",
        f"  tier changes: {a['tier_changes']} (a notice job each, on the same `events` queue)",
        jobs_line(a["jobs"]),
        f"  failed jobs {a['failed_jobs']}, drains re-queued after a stall {a['kicks']}, "
        f"deadlocks logged {a['deadlocks_logged']}",
        f"  the workers' database sessions, sampled every 20 ms: {shares}",
        "  checks:",
        *checks_lines(a["checks"]),
    ]
    if "profile" in a:
        lines += profile(a["profile"])
    return "\n".join(lines)


def profile(p: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"  profile: one process, {p['batches']} batches of 500 in a row (claim + apply_batch + commit, "
        "same data, fresh copy)",
        f"    {p['ms_per_batch']:.0f} ms a batch → {p['awards_per_s_one_process']:.0f} awards/s; of which "
        f"{p['db_ms_per_batch']:.0f} ms in statements and commit "
        f"({p['round_trips_per_batch']:.0f} round trips), the rest Python",
        f"    {'stage (wall, database included)':44}{'ms/batch':>9}",
    ]
    for name, ms in p["stages_ms_per_batch"].items():
        indent = "  " if name.startswith("ledger.") else ""
        lines.append(f"    {indent + name:44}{ms:>9.1f}")
    lines.append(f"    {'statement':52}{'calls':>6}{'rows':>8}{'ms/batch':>10}")
    for s in p["statements"][:14]:
        cells = f"{s['calls_per_batch']:>6.1f}{s['rows_per_batch']:>8.0f}{s['ms_per_batch']:>10.1f}"
        lines.append(f"    {s['statement'][:52]:52}{cells}")
    lines.append("    Python, own time under cProfile (ms/batch, inflated by the profiler):")
    lines += [f"      {f['own_ms_per_batch']:>7.1f}  {f['function']}" for f in p["python_top"]]
    return lines


def e2e(b: dict[str, Any]) -> str:
    load = b["load"]
    return "\n".join(
        [
            "",
            f"(b) end to end: {load['seconds']:.1f} s of signed callbacks (half 签到 texts, half subscribes, "
            f"each from a new openid), {b['connections']} connections, {load['generator']}; "
            "gunicorn -w 2 + 2 RQ workers (default DRAIN_LINGER)",
            f"  requests {load['requests']}, {load['rps']:.1f} req/s, p50 {load['p50_ms']:.1f} ms, "
            f"p99 {load['p99_ms']:.1f} ms, errors {load['errors']}",
            f"  reply → ledger (processed_at − received_at over {b['done_events']} events): "
            f"p50 {b['lag_p50_ms']:.0f} ms, p99 {b['lag_p99_ms']:.0f} ms, max {b['lag_max_ms']:.0f} ms",
            f"  last event done {b['last_done_after_stop_s']:.2f} s after the load stopped",
            f"  during the load: machine CPU {b['machine_busy_pct_during_load']:.0f} % busy; the two workers "
            f"used {b['workers_cpu_s_during_load']:.1f} CPU-s of {2 * load['seconds']:.0f}",
            jobs_line(b["jobs"]),
            f"  ledger rows {b['ledger_rows']}, check-ins {b['checkin_rows']}",
            "  checks:",
            *checks_lines(b["checks"]),
        ]
    )


def recompute(c: dict[str, Any]) -> str:
    steps = ", ".join(f"{k} {v:.0f} s" for k, v in c["load_seconds"].items())
    rows = [
        ("baseline: count(*), sum(balance) over the GROUP BY", "baseline_s", None),
        ("  (the same GROUP BY, all rows fetched: for information)", "baseline_fetch_all_s", None),
        (f"rebuild_balances, audit ({c['audit_fixed']} fixed)", "audit_s", "audit_holds"),
        (f"rebuild_balances, full repair ({c['repair_fixed']} fixed)", "repair_s", "repair_holds"),
        (
            f"expire_due, full pass ({c['due_lots']} lots, {c['expire_due_batches']} batches)",
            "expire_due_s",
            None,
        ),
        ("  one set-based statement, same work (rolled back)", "set_expiry_s", None),
        (
            f"rebuild_balances after expiry ({c['audit_after_expiry_fixed']} fixed)",
            "audit_after_expiry_s",
            None,
        ),
    ]
    base = c["baseline_s"]
    lines = [
        "",
        f"(c) recompute over {c['ledger_rows']} ledger rows for {c['members']} members "
        "(work_mem at its default)",
        f"  generated in SQL: {steps}",
        f"  {'':58}{'seconds':>9}{'× baseline':>12}",
    ]
    for label, key, holds in rows:
        mark = f"  target ≤ {c['target_ratio']:g}×: {verdict(c[holds])}" if holds else ""
        lines.append(f"  {label:58}{c[key]:>9.2f}{c[key] / base:>12.2f}{mark}")
    lines.append(f"  expire_due takes {c['expire_due_vs_set_based']}× the set-based statement's time")
    return "\n".join([*lines, "  checks:", *checks_lines(c["checks"])])
