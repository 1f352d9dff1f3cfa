"""`python app.py demo`: a merchant sets up an account, a few hundred customers use it for ten days.

Everything runs on the embedded default (a SQLite file, the in-process queue) with the WeChat
simulator; callbacks travel over real HTTP on loopback in safe (encrypted) mode, the shop
posts orders to the merchant API, and members redeem rewards on the H5 pages.
"""

from __future__ import annotations

import secrets
import socket
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from app import create_app
from demo import campaign, customers, profiles, referrals, report, shop
from models import Account, Campaign, migrate, utcnow
from services.campaigns import journeys
from services.inbound import invariants
from simulator.api import create_api_app
from simulator.customer import WeChatServer
from simulator.server import serve_in_thread
from simulator.state import SimulatorState
from tasks.journeys import run_journeys
from tasks.referrals import settle_referrals
from tasks.segments import score_members
from tasks.sweeper import sweep_outbox

APPID, SECRET, TOKEN = "wxdemo0000000001", "demosecret", "demotoken"
AES_KEY = "tiefenDemoKey0123456789abcdefghijklmnopqrst"
CUSTOMERS = 300
ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str], db_file: Path | None = None) -> int:
    """Run the demo with `argv[0]` customers (default 300) on a fresh SQLite file."""
    count = int(argv[0]) if argv else CUSTOMERS
    db_file = db_file or ROOT / "instance" / "demo.sqlite"
    url = fresh_database(db_file)
    sim_state = SimulatorState()
    with serve_in_thread(create_api_app(sim_state)) as sim:
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        app = create_app(
            {
                "DATABASE_URL": url,
                "REDIS_URL": "",
                "WECHAT_API_BASE": sim.url,
                "PUBLIC_BASE_URL": public,
                "SECRET_KEY": secrets.token_urlsafe(48),  # this run's: its links die with it
                "LOG_FORMAT": "text",
                # hundreds of customers' phones, all on this one address: per-address limits off
                "H5_RATE_LIMIT": "1000000 per minute",
                "API_RATE_LIMIT": "1000000 per minute",
                "API_TOKEN_RATE_LIMIT": "1000000 per minute",
            }
        )
        with serve_in_thread(app, port=port) as web:
            print(f"Tiefen on {web.url}, WeChat simulator on {sim.url}, database {db_file}\n")
            api_token = set_up_merchant(app)
            set_up_channels(app, api_token)
            wechat = WeChatServer(
                f"{web.url}/wechat/{APPID}", TOKEN, APPID, AES_KEY, mode="safe", state=sim_state
            )
            started = time.perf_counter()
            stats = customers.run(wechat, count)
            chains = referrals.run(app, wechat, [customers.customer(i) for i in range(count)], stats)
            shop_stats = shop.run(web.url, sim.url, api_token, APPID, stats.openids + chains.friends)
            shop_stats["customers who bound a phone (H5 profile page)"] = profiles.run(
                web.url, sim.url, APPID, stats.openids
            )
            stats.seconds = time.perf_counter() - started
            swept = sweep_outbox(grace_seconds=0)
            settled = settle_referrals()
            scored = score_members(full=True)
            quiet_hours_off_for_journeys(app)
            journeyed = run_journeys()
            sent = campaign.run(web.url, sim.url, api_token, sim_state, wechat, (APPID, TOKEN, AES_KEY))
        with app.extensions["tiefen"].sessions() as session:
            report.print_report(session, stats, shop_stats, swept, sim_state)
            report.print_referrals(session, chains, settled)
            report.print_segments(session, scored)
            report.print_campaign(session, sent, journeyed)
            print("\n" + "\n".join(invariants.check(session).lines()))
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database(db_file: Path) -> str:
    db_file.parent.mkdir(exist_ok=True)
    for stale in db_file.parent.glob(f"{db_file.name}*"):
        stale.unlink()
    url = f"sqlite:///{db_file}"
    migrate.upgrade(url)
    return url


def quiet_hours_off_for_journeys(app: Any) -> None:
    """The demo runs whenever you run it: its journeys keep no quiet hours (real ones keep 22–08)."""
    with app.extensions["tiefen"].sessions.begin() as session:
        account_id = session.scalar(select(Account.id).where(Account.appid == APPID))
        journeys.ensure_defaults(session, account_id)
        session.execute(update(Campaign).where(Campaign.kind == "journey").values(quiet_start=0, quiet_end=0))


def set_up_channels(app: Any, api_token: str) -> None:
    """The merchant's channels: a counter, a spring poster and a staff member, each with a code."""
    client = app.test_client()
    for code, name, kind in customers.CHANNELS:
        made = client.post(
            "/api/v1/channels",
            json={"code": code, "name": name, "kind": kind},
            headers={"Authorization": f"Bearer {api_token}"},
        )
        if made.status_code != 201:
            raise SystemExit(f"channel {code}: {made.get_data(as_text=True)}")
    codes = ", ".join(code for code, _, _ in customers.CHANNELS)
    print(f"POST /api/v1/channels ×{len(customers.CHANNELS)}: permanent codes for {codes}\n")


def set_up_merchant(app: Any) -> str:
    """The merchant's set-up: `account add`, `menu push`, and a token for the shop's API calls."""
    cli = app.test_cli_runner()
    add = [
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
    ]
    token = ""
    for args in (add, ["menu", "push", "--appid", APPID], ["account", "token", "--appid", APPID]):
        result = cli.invoke(args=args)
        if result.exit_code != 0:
            raise SystemExit(f"set-up failed: {result.output}")
        if args[1] == "token":
            token = result.stdout.strip()
            print(f"$ flask --app app account token …\n  {token[:8]}… (the shop's API token)")
        else:
            print(f"$ flask --app app {' '.join(args[:2])} …\n  {result.stdout.strip()}")
    with app.extensions["tiefen"].sessions.begin() as session:  # the story starts ten days ago
        session.execute(
            Account.__table__.update()
            .where(Account.appid == APPID)
            .values(created_at=utcnow() - timedelta(days=customers.DAYS))
        )
    print()
    return token
