"""The figures: a JSON-ready report, the printed table, and the verdicts on the targets."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

from bench.load import LoadResult

RATIO_TARGET_PCT = 35.0
P99_TARGET_MS = 30.0
ROWS = (
    ("(a) Tiefen full path", "full"),
    ("(b) bare baseline", "baseline"),
    ("(c) floor: (b) + INSERT", "floor"),
)
SERVERS = tuple(key for _, key in ROWS)


@dataclass(frozen=True)
class Pair:
    """The same load against (a) and (b)."""

    connections: int
    full: LoadResult
    baseline: LoadResult

    @property
    def ratio_pct(self) -> float:
        return pct(self.full.rps, self.baseline.rps)


@dataclass(frozen=True)
class Round:
    """One measured run of each server, back to back, and the rows (a) and (c) left."""

    full: LoadResult
    baseline: LoadResult
    floor: LoadResult
    stored: int  # inbound events (a)'s run added: its 200s (none are cut off in flight)
    floor_stored: int  # rows (c)'s run added
    steal_pct: tuple[float, float, float]  # CPU time the hypervisor took during (a), (b), (c)

    @property
    def ratio_pct(self) -> float:
        return pct(self.full.rps, self.baseline.rps)

    @property
    def floor_pct(self) -> float:
        return pct(self.full.rps, self.floor.rps)

    @property
    def stored_holds(self) -> bool:
        return self.stored == answered(self.full) and self.floor_stored == answered(self.floor)


@dataclass(frozen=True)
class Totals:
    stored: int  # inbound events in the database, warm-up included
    queued_jobs: int  # in RQ's `events` queue, for information: no worker runs during the bench


def answered(result: LoadResult) -> int:
    return result.ok + result.cut_off


def pct(a: float, b: float) -> float:
    return 100 * a / b if b else 0.0


def build(
    settings: dict[str, Any], connections: int, rounds: list[Round], service: Pair | None, totals: Totals
) -> dict[str, Any]:
    ratio, p99 = median(r.ratio_pct for r in rounds), median(r.full.p99_ms for r in rounds)
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **settings,
        "connections": connections,
        "cpus": os.cpu_count(),
        "median": {
            **{key: medians([getattr(r, key) for r in rounds]) for key in SERVERS},
            "ratio_pct": round(ratio, 1),
            "floor_pct": round(median(r.floor_pct for r in rounds), 1),
        },
        "rounds": [round_figures(r) for r in rounds],
        "targets": {
            "ratio_min_pct": RATIO_TARGET_PCT,
            "ratio_holds": ratio >= RATIO_TARGET_PCT,
            "ratio_rounds_holding": sum(r.ratio_pct >= RATIO_TARGET_PCT for r in rounds),
            "p99_max_ms": P99_TARGET_MS,
            "p99_holds": p99 <= P99_TARGET_MS,
            "p99_rounds_holding": sum(r.full.p99_ms <= P99_TARGET_MS for r in rounds),
            "floor_p99_rounds_holding": sum(r.floor.p99_ms <= P99_TARGET_MS for r in rounds),
        },
        "store_check": {
            "holds": all(r.stored_holds for r in rounds),
            "total_stored": totals.stored,
            "queued_jobs": totals.queued_jobs,
        },
        "service_time": service and pair_figures(service),
    }


def figures(result: LoadResult) -> dict[str, Any]:
    raw = {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(result).items()}
    return {**raw, "rps": round(result.rps, 1), "errors": result.errors}


def medians(results: list[LoadResult]) -> dict[str, Any]:
    """Each figure's median over the rounds; errors are summed."""
    keys = ("rps", "p50_ms", "p90_ms", "p99_ms", "mean_ms")
    return {
        "requests": sum(r.requests for r in results),
        **{k: round(median(getattr(r, k) for r in results), 3) for k in keys},
        "errors": sum(r.errors for r in results),
    }


def round_figures(r: Round) -> dict[str, Any]:
    steal = dict(zip(SERVERS, r.steal_pct, strict=True))
    return {
        **{key: {**figures(getattr(r, key)), "steal_pct": steal[key]} for key in SERVERS},
        "ratio_pct": round(r.ratio_pct, 1),
        "floor_pct": round(r.floor_pct, 1),
        "stored": r.stored,
        "floor_stored": r.floor_stored,
        "stored_holds": r.stored_holds,
    }


def pair_figures(pair: Pair) -> dict[str, Any]:
    return {
        "connections": pair.connections,
        "full": figures(pair.full),
        "baseline": figures(pair.baseline),
        "ratio_pct": round(pair.ratio_pct, 1),
    }


def render(rep: dict[str, Any]) -> str:
    head = (
        f"webhook at {rep['commit'] or '?'}: {rep['connections']} connections, {rep['rounds_run']} rounds of "
        f"{rep['seconds']:g} s a server, interleaved, generator {rep['generator']}"
    )
    lines = ["", head]
    for n, r in enumerate(rep["rounds"], 1):
        lines += table(f"round {n}", r)
        lines.append(f"{'':24}full / baseline {r['ratio_pct']:.1f} %, full / floor {r['floor_pct']:.1f} %")
    lines += [*table(f"median of {rep['rounds_run']}", rep["median"]), *verdicts(rep)]
    service = rep["service_time"]
    if service:
        lines += ["", f"service time: {service['connections']} connections (one per worker, no queueing)"]
        lines += [*table("", service), f"full / baseline: {service['ratio_pct']:.1f} %"]
    return "\n".join(lines)


def table(title: str, figs: dict[str, Any]) -> list[str]:
    stolen = f"{'stolen':>8}" if any("steal_pct" in (figs.get(key) or {}) for key in SERVERS) else ""
    lines = [f"{title:24}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{stolen}"]
    for label, key in ROWS:
        if f := figs.get(key):
            cells = f"{f['requests']:>10}{f['rps']:>10.1f}{f['p50_ms']:>9.1f}{f['p99_ms']:>9.1f}"
            steal = f"{f['steal_pct']:>7.1f}%" if "steal_pct" in f else ""
            lines.append(f"{label:24}{cells}{f['errors']:>8}{steal}")
    return lines


def verdicts(rep: dict[str, Any]) -> list[str]:
    t, c, m, n = rep["targets"], rep["store_check"], rep["median"], rep["rounds_run"]
    needed = rep["connections"] / t["p99_max_ms"] * 1000  # Little's law: mean latency = connections / rate
    return [
        f"full / baseline: {m['ratio_pct']:.1f} % (median; target ≥ {t['ratio_min_pct']:g} %: "
        f"{verdict(t['ratio_holds'])}; held in {t['ratio_rounds_holding']} of {n} rounds)",
        f"full-path p99: {m['full']['p99_ms']:.1f} ms (median; target ≤ {t['p99_max_ms']:g} ms: "
        f"{verdict(t['p99_holds'])}; held in {t['p99_rounds_holding']} of {n} rounds; with "
        f"{rep['connections']} connections even the mean stays under it only above {needed:.0f} req/s)",
        f"full / floor: {m['floor_pct']:.1f} % (median). The floor stores each callback and does nothing "
        f"else: its p99 {m['floor']['p99_ms']:.1f} ms (median; ≤ {t['p99_max_ms']:g} ms in "
        f"{t['floor_p99_rounds_holding']} of {n} rounds) is the least a durable webhook shows here now",
        f"stored rows: every round's (a) and (c) runs stored one per answer (200s plus those cut off in "
        f"flight at the stop): {verdict(c['holds'])}",
        f"CPU time the hypervisor stole during the runs (`stolen`; /proc/stat): up to "
        f"{max(max(r[key]['steal_pct'] for key in SERVERS) for r in rep['rounds']):.1f} %. A round with "
        "much stolen time measured a slower machine than its neighbours",
        f"RQ jobs waiting in `events`: {c['queued_jobs']} "
        f"for {c['total_stored']} stored events (warm-up included; no worker runs)",
    ]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def valid(rep: dict[str, Any]) -> bool:
    """No errors on any server in any round, and every answered request stored."""
    errors = sum(rep["median"][key]["errors"] for key in SERVERS)
    service = rep["service_time"]
    service_errors = service["full"]["errors"] + service["baseline"]["errors"] if service else 0
    return errors == 0 and service_errors == 0 and rep["store_check"]["holds"]


def targets_hold(rep: dict[str, Any]) -> bool:
    return bool(rep["targets"]["ratio_holds"] and rep["targets"]["p99_holds"])


def write(rep: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(rep, indent=2, ensure_ascii=False) + "\n")
    return path
