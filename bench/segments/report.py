"""The printed figures and verdicts (the JSON holds the same and more)."""

from __future__ import annotations

from typing import Any

from bench.report import verdict

MB = 1024 * 1024


def render(rep: dict[str, Any]) -> str:
    n, shape, b = rep["rows"], rep["shape"], rep["baseline"]
    split = ", ".join(f"{t} {n[t]:,}" for t in rep["events"])
    secs = rep["seed_seconds"]
    seed = ", ".join(
        f"{k} {v:.1f}" + (f" + {secs[k + '_indexes']:.1f} indexes" if k + "_indexes" in secs else "")
        for k, v in secs.items()
        if k != "total" and not k.endswith("_indexes")
    )
    lines = [
        "",
        f"scoring job at {rep['commit'] or '?'}: {n['members']:,} members, one account, "
        f"scale {rep['scale']:g}",
        f"  activity rows {sum(n[t] for t in rep['events']):,}: {split}",
        f"  reads through a share {shape['shared_reads']:,}, marked followed {shape['followed_reads']:,} "
        f"(+{shape['reads_to_mark']:,} for the job to mark); referrals counted {shape['live_referrals']:,}; "
        f"members with check-ins {shape['checkin_members']:,}",
        f"  orders {n['orders']:,} from {shape['buyers']:,} buyers ({shape['refunded']:,} refunded in full, "
        f"{shape['part_refunded']:,} in part)",
        f"  seeded in SQL in {rep['seed_seconds']['total']:.1f} s, check-ins on a second connection "
        f"meanwhile ({seed} s)",
        "",
        "  baseline: SELECT member_id, count(*) FROM (the member column of the six activity tables,",
        f"  UNION ALL) GROUP BY member_id: {b['groups']:,} groups, median of {rep['baseline_repeat']} "
        "after a warm-up",
        f"  {'':30}{'work_mem ' + b['server_work_mem']:>18}{'256MB':>10}{'ratio':>8}",
    ]
    for label, key in (("as configured (parallel)", ""), ("serial (as an INSERT … SELECT)", "_serial")):
        low, high = b["default" + key]["median_s"], b["256MB" + key]["median_s"]
        lines.append(f"  {label:30}{low:>16.2f} s{high:>8.2f} s{low / high:>8.1f}")
    lines += ["", *run_lines("full rebuild, cold (no scores or tags yet)", rep["full"], b)]
    if "full_fallback" in rep:
        lines += [
            "",
            *run_lines("full rebuild again, nested loops off (only to go on)", rep["full_fallback"], b),
        ]
    for key, title in (
        ("incremental", "incremental run after the new events"),
        ("full_again", "full rebuild, warm"),
        ("incremental_next", "for information: an incremental run after another (10,000 more events each)"),
    ):
        if key in rep:
            lines += ["", *run_lines(title, rep[key], b)]
    if "new_events" in rep:
        w = rep["new_events"]["written"]
        lines.append(
            f"  new events before it: {w['events']:,} inbound ({w['orders']:,} orders, "
            f"{w['checkins']:,} check-ins; the rest had checked in today)"
        )
    if "scope" in rep:
        s = rep["scope"]
        lines.append(
            f"  scope: {s['new_event_members']:,} members with new events → {s['expected']:,} to rescore "
            "(recent sharers, referrers, their referrers when the second-degree sum moved); "
            f"scored {s['scored']:,}; for information: untouched rows "
            f"whose R/F/M moved by the full rebuild {s['untouched_rfm_moved']:,}, stage "
            f"{s['untouched_stage_moved']:,}; touched rows whose recency_days moved {s['recency_moved']:,}"
        )
    bud = rep["budgets"]
    full = rep["full"]
    lines += [
        "",
        f"  full rebuild: {_seconds(full)}: budget {bud['full_s']:g} s {verdict(rep['full_holds'])}",
        f"  peak RSS of the job process (highest of the full rebuilds): {_rss(rep)}: "
        f"budget {bud['rss_bytes'] // MB:,} MB "
        f"{verdict(rep['rss_holds'])}",
        f"  incremental run: {_seconds(rep.get('incremental', {}))}: budget {bud['incremental_s']:g} s "
        f"{verdict(rep['incremental_holds'])}",
        "  checks:",
        *checks_lines(rep.get("checks", [])),
    ]
    return "\n".join(lines)


def run_lines(title: str, r: dict[str, Any], b: dict[str, Any]) -> list[str]:
    base = b["default_serial"]["median_s"]
    head = f"  {title}: {_seconds(r)}"
    if "seconds" in r:
        head += f" ({r['seconds'] / base:.1f} × the serial baseline), process {r['wall_s']:.1f} s"
        if r.get("backend_cpu_s") is not None:
            head += f", PostgreSQL backend CPU {r['backend_cpu_s']:.1f} s"
    lines = [head]
    for name, s in r.get("steps", {}).items():
        lines.append(f"    {name:58}{s:>9.2f} s")
    if "error" in r:
        lines.append(f"    stopped: {r['error']}; it was in: {r['reached'] or 'start-up'}")
    totals = r.get("totals", {})
    lines.append(
        f"    scored {totals.get('scored', 0):,}, KOL candidates {totals.get('candidates', 0)}; "
        f"peak RSS {_rss(r)}"
        + (f" (at start {r['rss_start_bytes'] / MB:.0f} MB)" if "rss_start_bytes" in r else "")
        + "; PostgreSQL temp files "
        f"{r['temp_files']} ({r['temp_bytes'] / MB:,.0f} MB); "
        f"load average {r['load_avg'][0]}→{r['load_avg'][1]}"
    )
    return lines


def _seconds(r: dict[str, Any]) -> str:
    return f"{r['seconds']:.2f} s" if "seconds" in r else f"did not finish ({r.get('error', 'not run')})"


def _rss(r: dict[str, Any]) -> str:
    return f"{r['rss_peak_bytes'] / MB:,.0f} MB" if r.get("rss_peak_bytes") else "n/a"


def checks_lines(checks: list[dict[str, Any]]) -> list[str]:
    lines = []
    for c in checks:
        lines.append(f"    {verdict(c['holds'])}  {c['name']}: {c['actual']} (expected {c['expected']})")
        if "detail" in c:
            lines.append(f"          {c['detail']}")
    return lines
