"""`python -m bench.console`: seed two accounts (a million members and ten million events; ten
thousand members and a hundredth of the events), then time the console's reads at both sizes,
signed in through Flask's test client, and print p50/p95 and the big/small ratio (target ≤ 3×).

Probes (each `BENCH_CONSOLE_SAMPLES` times after 3 warm-ups, rotating over members):
- baseline: a signed-in console page that reads nothing (a 404 rendered in the console's frame)
- dashboard: GET /console/?period=30d; and the service alone (services.segments.dashboard.series),
  both after the warm-ups have rolled the settled days up (dashboard_days), as in a running shop
- statement: a member's points statement (services.points.balances.statement)
- phone / tag: one member by phone, a page of members by tag (direct queries, the schema as it is)
- console routes when they exist: /console/members?q=<phone>, ?q=<nickname prefix>, ?tag=,
  /console/members/<id>

It owns the database `bench_console` (BENCH_CONSOLE_DATABASE_URL): it drops and recreates its public
schema. BENCH_CONSOLE_MEMBERS / BENCH_CONSOLE_EVENTS set the big account's size (the small one is a
hundredth). Exit status: 0 a valid run (ratios met or not enforced), 1 a probe failed or
(BENCH_ENFORCE_TARGETS=1) a ratio is over 3×, 2 PostgreSQL does not answer.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import quantiles
from typing import Any
from urllib.parse import quote

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench import entry, stack
from bench.console.seed import Size, seed, settle
from bench.report import write
from bench.webhook import git_commit
from config import parse_bool

RESULTS = Path(__file__).resolve().parent.parent / "results" / "console.json"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_console"
RATIO_TARGET = 3.0
APPIDS = {"big": "wxbenchconsolebig", "small": "wxbenchconsolesml"}
TOKEN, PASSWORD = "benchtoken", "bench-console-2026!"


@dataclass(frozen=True)
class Config:
    database_url: str
    members: int
    events: int
    samples: int
    enforce_targets: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        cfg = cls(
            database_url=env.get("BENCH_CONSOLE_DATABASE_URL") or DEFAULT_DATABASE_URL,
            members=entry.env_int(env, "BENCH_CONSOLE_MEMBERS", 1_000_000),
            events=entry.env_int(env, "BENCH_CONSOLE_EVENTS", 10_000_000),
            samples=entry.env_int(env, "BENCH_CONSOLE_SAMPLES", 40),
            enforce_targets=parse_bool(env.get("BENCH_ENFORCE_TARGETS")),
        )
        if make_url(cfg.database_url).database in {"test_b", "tiefen_bench"}:
            raise ValueError("BENCH_CONSOLE_DATABASE_URL: use a database of the bench's own")
        if cfg.members < 100 or cfg.samples < 5:
            raise ValueError("BENCH_CONSOLE_MEMBERS ≥ 100 and BENCH_CONSOLE_SAMPLES ≥ 5")
        return cfg


def p(values: list[float], q: int) -> float:
    return quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def timed(fn: Callable[[int], Any], samples: int) -> list[float]:
    for i in range(3):
        fn(i)
    out = []
    for i in range(samples):
        t = time.perf_counter()
        fn(i + 3)
        out.append((time.perf_counter() - t) * 1000)
    return out


def signed_in(app: Any, appid: str) -> Any:
    result = app.test_cli_runner().invoke(
        args=["staff", "add", "--appid", appid, "--name", "bench", "--role", "owner"]
    )
    assert result.exit_code == 0, result.output
    link = "/console/" + result.output.strip().split("/console/", 1)[1]
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get(link).text)
    assert csrf, "the sign-in page has no CSRF token"
    r = client.post(link, data={"csrf_token": csrf.group(1), "password": PASSWORD, "again": PASSWORD})
    assert r.status_code == 302, r.text
    return client


def probes(
    app: Any, sessions: Any, account: Any, client: Any, members: int
) -> dict[str, Callable[[int], Any]]:
    """What is timed for one account: name → fn(i)."""
    from models import utcnow
    from services.points.balances import statement
    from services.segments.dashboard import series

    with sessions() as s:
        first = s.scalar(text("SELECT min(id) FROM members WHERE account_id = :a"), {"a": account.id})
    step = 7919

    def openid(i: int) -> str:
        return f"o{account.id}x{1 + (i * step) % members}"

    def phone(i: int) -> str:
        return "13" + str(account.id * 100_000_000 + 1 + (i * step) % members).rjust(9, "0")

    def nickname(i: int) -> str:  # a member's nickname less its last digit: it and up to ten others
        g = 1 + (i * step) % members
        return quote(("小王", "阿强", "丽丽", "Lucy")[g % 4] + str(g)[:-1])

    def get(path: str) -> Callable[[int], Any]:
        def call(i: int) -> Any:
            r = client.get(path.format(phone=phone(i), nickname=nickname(i), id=first + (i * step) % members))
            assert r.status_code in (200, 404), (path, r.status_code)
            return r

        return call

    def in_session(fn: Callable[[Session, int], Any]) -> Callable[[int], Any]:
        def call(i: int) -> Any:
            with sessions.begin() as s:  # committed, as bot.db.read does: series writes its rollup
                return fn(s, i)

        return call

    out: dict[str, Callable[[int], Any]] = {
        "baseline: signed-in page, no reads": get("/console/bench-nothing-here"),
        "dashboard GET /console/?period=30d": get("/console/?period=30d"),
        "dashboard service (series)": in_session(
            lambda s, i: series(s, account.id, account.timezone, utcnow())
        ),
        "member statement (balances)": in_session(
            lambda s, i: statement(s, account.id, openid(i), [], "points", account.timezone, utcnow())
        ),
        "search by phone (query)": in_session(
            lambda s, i: s.execute(
                text("SELECT id, openid FROM members WHERE account_id = :a AND phone = :p"),
                {"a": account.id, "p": phone(i)},
            ).all()
        ),
        "search by tag (query, page of 20)": in_session(
            lambda s, i: s.execute(
                text(
                    "SELECT m.id, m.openid, m.phone FROM member_tags t JOIN members m ON m.id = t.member_id"
                    " WHERE t.account_id = :a AND t.tag = :tag AND t.removed_at IS NULL"
                    " ORDER BY t.member_id DESC LIMIT 20"
                ),
                {"a": account.id, "tag": "咖啡控" if i % 2 else "常客"},
            ).all()
        ),
    }
    if "console.members" in app.view_functions:  # the members helper's pages, once they are there
        out["console: members by phone"] = get("/console/members?q={phone}")
        out["console: members by tag"] = get("/console/members?tag=%E5%B8%B8%E5%AE%A2")
        out["console: members by nickname prefix"] = get("/console/members?q={nickname}")
        out["console: a member's page"] = get("/console/members/{id}")
    return out


def run(cfg: Config) -> int:
    from app import create_app
    from services.accounts.registry import save_account

    stack.prepare_database(cfg.database_url)
    conninfo = stack.libpq_url(make_url(cfg.database_url))
    app = create_app(
        {
            "DATABASE_URL": cfg.database_url,
            "REDIS_URL": "",
            "WECHAT_APPID": APPIDS["big"],
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_SECRET": "benchsecret",
            "TESTING": True,
        }
    )
    sessions = app.extensions["tiefen"].sessions
    sizes = {"big": Size(cfg.members, cfg.events), "small": Size(cfg.members // 100, cfg.events // 100)}
    accounts = {}
    with sessions.begin() as s:
        for key in ("big", "small"):
            accounts[key], _ = save_account(s, APPIDS[key], f"压测{key}", TOKEN)
    anchor = datetime.now(UTC) - timedelta(minutes=5)
    seeded = {}
    for key in ("small", "big"):
        print(f"seeding {key}: {sizes[key].members:,} members, {sizes[key].events:,} events", flush=True)
        seeded[key] = seed(conninfo, accounts[key].id, sizes[key], anchor)
    t = time.perf_counter()
    settle(conninfo)
    print(f"vacuum analyse: {time.perf_counter() - t:.1f} s", flush=True)

    times: dict[str, dict[str, list[float]]] = {}
    for key in ("small", "big"):
        client = signed_in(app, APPIDS[key])
        for name, fn in probes(app, sessions, accounts[key], client, sizes[key].members).items():
            times.setdefault(name, {})[key] = timed(fn, cfg.samples)

    rows = []
    for name, by in times.items():
        small95, big95 = p(by["small"], 95), p(by["big"], 95)
        rows.append(
            {
                "probe": name,
                "small_p50_ms": round(p(by["small"], 50), 2),
                "small_p95_ms": round(small95, 2),
                "big_p50_ms": round(p(by["big"], 50), 2),
                "big_p95_ms": round(big95, 2),
                "ratio_p95": round(big95 / small95, 2) if small95 else None,
            }
        )
    width = max(len(r["probe"]) for r in rows)
    print(
        f"\nsamples per probe: {cfg.samples}; small = {sizes['small'].members:,} members, "
        f"big = {sizes['big'].members:,} members / {sizes['big'].events:,} events"
    )
    print(
        f"{'probe':<{width}}  {'small p50':>9} {'p95':>8}  {'big p50':>9} {'p95':>8}  {'big/small p95':>13}"
    )
    for r in rows:
        ratio = r["ratio_p95"]
        mark = (
            ""
            if r["probe"].startswith("baseline")
            else ("  ok" if ratio is not None and ratio <= RATIO_TARGET else "  OVER 3×")
        )
        print(
            f"{r['probe']:<{width}}  {r['small_p50_ms']:>8.2f}ms {r['small_p95_ms']:>6.2f}ms"
            f"  {r['big_p50_ms']:>8.2f}ms {r['big_p95_ms']:>6.2f}ms  {ratio:>12.2f}×{mark}"
        )
    held = all(
        r["ratio_p95"] is not None and r["ratio_p95"] <= RATIO_TARGET
        for r in rows
        if not r["probe"].startswith("baseline")
    )
    print(
        f"\ntarget: every probe's p95 at the big account ≤ {RATIO_TARGET:.0f}× the small one's: "
        f"{'held' if held else 'missed'}"
    )
    write(
        {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": git_commit(),
            "members": cfg.members,
            "events": cfg.events,
            "samples": cfg.samples,
            "seed_seconds": {k: round(v, 1) for k, v in seeded.items()},
            "rows": rows,
            "held": held,
        },
        RESULTS,
    )
    print(f"results: {RESULTS}")
    app.extensions["tiefen"].runtime.dispose()
    return 0 if held or not cfg.enforce_targets else 1


def main() -> int:
    return entry.main("bench.console", Config.from_env, run, failures=(AssertionError,))


if __name__ == "__main__":
    sys.exit(main())
