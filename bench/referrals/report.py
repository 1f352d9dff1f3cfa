"""The printed figures and verdicts (the JSON holds the same and more)."""

from __future__ import annotations

from typing import Any

from bench.points.report import checks_lines
from bench.report import verdict


def render(g: dict[str, Any]) -> str:
    n = g["counts"]
    seed = ", ".join(f"{k} {v:.1f} s" for k, v in g["seed_seconds"].items())
    rows = [
        ("baseline: SELECT referrer_id, count(*) … GROUP BY referrer_id (rows fetched)", g["baseline"]),
        ("  the same GROUP BY counted on the server (for information)", g["baseline_server"]),
        (f"top_referrers(limit={g['top_limit']})", g["top"]),
        (f"tree(the leader, depth=3): cascade {g['leader']['cascade']} (for information)", g["tree"]),
        (
            f"ring_scan: {n['rings_found']} rings ({n['loops_found']} loops), {n['ring_edges']} edges",
            g["ring_scan"],
        ),
    ]
    lines = [
        "",
        f"referral graph: {n['members']:,} members, {n['edges']:,} edges ({n['live_edges']:,} not refused), "
        f"one account",
        f"  seeded in SQL: {seed}",
        f"  {'':78}{'median s':>9}{'max s':>8}{'× base':>8}",
    ]
    base = g["baseline"]["median_s"]
    for label, t in rows:
        lines.append(f"  {label:78}{t['median_s']:>9.3f}{t['max_s']:>8.3f}{t['median_s'] / base:>8.2f}")
    mark = f"mark_rings: {n['marked']} moved to review, {n['left_paid']} paid left paid (once)"
    lines.append(f"  {mark:78}{g['mark_rings_s']:>9.3f}{'':>8}{g['mark_rings_s'] / base:>8.2f}")
    rings_s = g["ring_scan"]["max_s"] + g["mark_rings_s"]
    lines += [
        f"  top_referrers, slowest run {g['top']['max_s']:.2f} s: budget {g['top_budget_s']:g} s "
        f"{verdict(g['top_holds'])}",
        f"  ring_scan (slowest) + mark_rings {rings_s:.2f} s: budget {g['ring_budget_s']:g} s "
        f"{verdict(g['rings_holds'])}",
        "  checks:",
        *checks_lines(g["checks"]),
    ]
    return "\n".join(lines)
