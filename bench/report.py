"""The figures: a JSON-ready report, the printed table, and the verdicts on the targets."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.load import LoadResult

RATIO_TARGET_PCT = 35.0
P99_TARGET_MS = 30.0
ROWS = (
    ("(a) Tiefen full path", "full"),
    ("(b) bare baseline", "baseline"),
    ("(c) floor: (b) + INSERT", "floor"),
)


@dataclass(frozen=True)
class StoreCheck:
    """What the measured run left behind: one stored event per request."""

    stored: int  # inbound events the measured run added
    ok: int  # its 200 responses
    cut_off: int  # requests sent but unanswered when the generator stopped (wrk only)
    total_stored: int  # warm-up included
    queued_jobs: int  # in RQ's `events` queue, for information: no worker runs during the bench

    @property
    def holds(self) -> bool:
        return self.stored == self.ok + self.cut_off


@dataclass(frozen=True)
class Pair:
    """The same load against both servers."""

    connections: int
    full: LoadResult
    baseline: LoadResult

    @property
    def ratio_pct(self) -> float:
        return 100 * self.full.rps / self.baseline.rps if self.baseline.rps else 0.0


def build(
    settings: dict[str, Any],
    main: Pair,
    check: StoreCheck,
    service: Pair | None,
    floor: tuple[LoadResult, bool] | None = None,
) -> dict[str, Any]:
    ratio = main.ratio_pct
    floor_figures = floor and {
        **figures(floor[0]),
        "stored_one_per_answer": floor[1],
        "full_pct": round(100 * main.full.rps / floor[0].rps, 1) if floor[0].rps else 0.0,
    }
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **settings,
        "connections": main.connections,
        "cpus": os.cpu_count(),
        "full": figures(main.full),
        "baseline": figures(main.baseline),
        "floor": floor_figures,
        "ratio_pct": round(ratio, 1),
        "targets": {
            "ratio_min_pct": RATIO_TARGET_PCT,
            "ratio_holds": ratio >= RATIO_TARGET_PCT,
            "p99_max_ms": P99_TARGET_MS,
            "p99_holds": main.full.p99_ms <= P99_TARGET_MS,
        },
        "store_check": {**asdict(check), "holds": check.holds},
        "service_time": service and pair_figures(service),
    }


def figures(result: LoadResult) -> dict[str, Any]:
    raw = {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(result).items()}
    return {**raw, "rps": round(result.rps, 1), "errors": result.errors}


def pair_figures(pair: Pair) -> dict[str, Any]:
    ratio = round(pair.ratio_pct, 1)
    return {
        "connections": pair.connections,
        "full": figures(pair.full),
        "baseline": figures(pair.baseline),
        "ratio_pct": ratio,
    }


def render(rep: dict[str, Any]) -> str:
    head = (
        f"webhook at {rep['commit'] or '?'}: {rep['connections']} connections, {rep['seconds']:g} s each, "
        f"generator {rep['generator']}"
    )
    lines = ["", head, *table(rep), *verdicts(rep)]
    service = rep["service_time"]
    if service:
        lines += ["", f"service time: {service['connections']} connections (one per worker, no queueing)"]
        lines += [*table(service), f"full / baseline: {service['ratio_pct']:.1f} %"]
    return "\n".join(lines)


def table(rep: dict[str, Any]) -> list[str]:
    lines = [f"{'':24}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"]
    for label, key in ROWS:
        f = rep.get(key)
        if not f:
            continue
        cells = f"{f['requests']:>10}{f['rps']:>10.1f}{f['p50_ms']:>9.1f}{f['p99_ms']:>9.1f}{f['errors']:>8}"
        lines.append(f"{label:24}{cells}")
    return lines


def verdicts(rep: dict[str, Any]) -> list[str]:
    t, c = rep["targets"], rep["store_check"]
    needed = rep["connections"] / t["p99_max_ms"] * 1000  # Little's law: mean latency = connections / rate
    return [
        f"full / baseline: {rep['ratio_pct']:.1f} %  "
        f"(target ≥ {t['ratio_min_pct']:g} %: {verdict(t['ratio_holds'])})",
        f"full-path p99: {rep['full']['p99_ms']:.1f} ms  (target ≤ {t['p99_max_ms']:g} ms: "
        f"{verdict(t['p99_holds'])}; with {rep['connections']} connections even the mean stays under it "
        f"only above {needed:.0f} req/s)",
        *floor_lines(rep),
        f"stored inbound events: {c['stored']} = {c['ok']} answered 200 + {c['cut_off']} cut off in flight "
        f"at the stop: {verdict(c['holds'])}",
        f"RQ jobs waiting in `events`: {c['queued_jobs']} "
        f"for {c['total_stored']} stored events (warm-up included; no worker runs)",
    ]


def floor_lines(rep: dict[str, Any]) -> list[str]:
    floor = rep.get("floor")
    if not floor:
        return []
    return [
        f"full / floor: {floor['full_pct']:.1f} %  (the floor stores each callback and does nothing else; "
        f"its p99 {floor['p99_ms']:.1f} ms is the least a durable webhook can show on this machine now)"
    ]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def valid(rep: dict[str, Any]) -> bool:
    """No errors on either server, and every answered request stored."""
    floor = rep.get("floor")
    floor_ok = not floor or (floor["errors"] == 0 and floor["stored_one_per_answer"])
    servers_ok = rep["full"]["errors"] == 0 and rep["baseline"]["errors"] == 0
    return servers_ok and rep["store_check"]["holds"] and floor_ok


def targets_hold(rep: dict[str, Any]) -> bool:
    return bool(rep["targets"]["ratio_holds"] and rep["targets"]["p99_holds"])


def write(rep: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(rep, indent=2, ensure_ascii=False) + "\n")
    return path
