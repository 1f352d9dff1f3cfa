"""`python app.py demo`: a merchant sets up an account, a few hundred customers use it, a report.

Everything runs on the embedded default (a SQLite file, the in-process queue) with the
WeChat simulator; callbacks travel over real HTTP on loopback in safe (encrypted) mode.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app
from models import EventStatus, InboundEvent, Member, Scan, migrate
from simulator.api import create_api_app
from simulator.customer import WeChatServer
from simulator.server import serve_in_thread
from simulator.state import SimulatorState
from tasks.sweeper import sweep_outbox

APPID, SECRET, TOKEN = "wxdemo0000000001", "demosecret", "demotoken"
AES_KEY = "tiefenDemoKey0123456789abcdefghijklmnopqrst"
CUSTOMERS = 300
THREADS = 2  # customers at a time; SQLite takes one writer at a time anyway
SCENES = ("shop-counter", "poster-spring", "staff-xiaowang")


def main(argv: list[str], db_file: Path | None = None) -> int:
    """Run the demo with `argv[0]` customers (default 300) on a fresh SQLite file."""
    customers = int(argv[0]) if argv else CUSTOMERS
    db_file = db_file or Path(__file__).resolve().parent / "instance" / "demo.sqlite"
    db_file.parent.mkdir(exist_ok=True)
    for stale in db_file.parent.glob(f"{db_file.name}*"):
        stale.unlink()
    url = f"sqlite:///{db_file}"
    migrate.upgrade(url)
    sim_state = SimulatorState()
    with serve_in_thread(create_api_app(sim_state)) as sim:
        app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "WECHAT_API_BASE": sim.url})
        with serve_in_thread(app) as web:
            print(f"Tiefen on {web.url}, WeChat simulator on {sim.url}, database {db_file}\n")
            set_up_merchant(app)
            wechat = WeChatServer(f"{web.url}/wechat/{APPID}", TOKEN, APPID, AES_KEY, mode="safe")
            stats = run_customers(wechat, customers)
        swept = sweep_outbox(grace_seconds=0)
        with app.extensions["tiefen"].sessions() as session:
            report(session, stats, swept, sim_state)
    return 0


def set_up_merchant(app: Any) -> None:
    """The merchant's two commands: `account add`, then `menu push`."""
    cli = app.test_cli_runner()
    for args in (
        [
            "account",
            "add",
            "--appid",
            APPID,
            "--secret",
            SECRET,
            "--token",
            TOKEN,
            "--aes-key",
            AES_KEY,
            "--name",
            "铁粉咖啡",
            "--welcome",
            "欢迎来到铁粉咖啡!回复「签到」领积分。",
        ],
        ["menu", "push", "--appid", APPID],
    ):
        result = cli.invoke(args=args)
        print(f"$ flask --app app {' '.join(args[:2])} …\n  {result.output.strip()}")
        if result.exit_code != 0:
            raise SystemExit(f"set-up failed: {result.output}")
    print()


def journey(wechat: WeChatServer, i: int, rng: random.Random) -> list[tuple[float, bool]]:
    """One customer's day: follow (maybe by a QR code), talk, click, maybe leave and return."""
    openid = f"oDemo{i:05d}{rng.randrange(10**6):06d}"
    t = int(time.time()) - 600
    steps = [
        wechat.subscribe(openid, scene=rng.choice(SCENES) if rng.random() < 0.3 else None, create_time=t)
    ]
    if rng.random() < 0.6:
        steps.append(wechat.text(openid, rng.choice(["你好", "签到", "积分", "有优惠吗"]), create_time=t + 5))
    if rng.random() < 0.4:
        steps.append(wechat.click(openid, rng.choice(["MENU_CHECKIN", "MENU_MY_POINTS"]), create_time=t + 10))
    if rng.random() < 0.2:
        steps.append(wechat.view(openid, "http://127.0.0.1/h5/member", create_time=t + 15))
    if rng.random() < 0.15:
        steps.append(wechat.unsubscribe(openid, create_time=t + 20))
        if rng.random() < 0.5:
            steps.append(wechat.subscribe(openid, create_time=t + 30))
    timings = []
    for callback in steps:
        for retry in range(2 if rng.random() < 0.1 else 1):  # WeChat retries about one in ten
            started = time.perf_counter()
            delivery = wechat.send(callback)
            timings.append((time.perf_counter() - started, retry > 0))
            if not delivery.ok:
                raise SystemExit(f"webhook answered {delivery.status_code}: {delivery.text[:200]}")
    return timings


def run_customers(wechat: WeChatServer, customers: int) -> dict[str, Any]:
    print(f"{customers} customers follow, talk, click, some leave and come back ({THREADS} at a time) …")
    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        runs = list(pool.map(lambda i: journey(wechat, i, random.Random(i)), range(customers)))
    timings = [t for run in runs for t in run]
    latencies = sorted(t for t, _ in timings)
    return {
        "deliveries": len(timings),
        "retries": sum(1 for _, retry in timings if retry),
        "seconds": time.perf_counter() - started,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def report(session: Session, stats: dict[str, Any], swept: int, sim: SimulatorState) -> None:
    def scalar(stmt: Any) -> int:
        return int(session.scalar(stmt) or 0)

    members = scalar(select(func.count(Member.id)))
    following = scalar(select(func.count(Member.id)).where(Member.following.is_(True)))
    returned = scalar(select(func.count(Member.id)).where(Member.follow_count > 1))
    events = scalar(select(func.count(InboundEvent.id)))
    by_status = Counter(
        dict(session.execute(select(InboundEvent.status, func.count()).group_by(InboundEvent.status)).all())
    )
    scans = session.execute(select(Scan.scene, func.count()).group_by(Scan.scene).order_by(Scan.scene)).all()
    rows = [
        ("members", members),
        ("following now", following),
        ("unfollowed", members - following),
        ("came back after unfollowing", returned),
        ("callbacks delivered (with WeChat's retries)", stats["deliveries"]),
        ("events stored", events),
        ("duplicates rejected (same reply returned)", stats["deliveries"] - events),
        ("events processed by jobs", by_status[EventStatus.DONE]),
        ("events still pending", by_status[EventStatus.PENDING]),
        ("events the sweeper found waiting", swept),
        ("WeChat API calls (token, menu)", len(sim.calls())),
    ]
    print(f"done in {stats['seconds']:.1f} s; webhook p50 {stats['p50']:.1f} ms, p99 {stats['p99']:.1f} ms\n")
    print("Report")
    for label, value in rows:
        print(f"  {label:<46}{value:>6}")
    print("  follows through QR codes by scene:")
    for scene, n in scans:
        print(f"    {scene:<44}{n:>6}")
