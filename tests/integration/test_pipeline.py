"""The whole pipeline as production runs it: gunicorn, `rq worker-pool`, `rq cron`, the simulator.

Callbacks travel over real HTTP from the simulator's customer side; jobs run in worker
processes against PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from models import EventStatus, InboundEvent, Member, utcnow
from simulator.customer import WeChatServer
from tasks.runtime import QUEUES
from tests.conftest import AES_KEY, APPID, SECRET, TOKEN, real_only
from tests.factories import count, member

pytestmark = [pytest.mark.integration, real_only]
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def env(database_url: str, redis_url: str, simulator) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WECHAT_APPID": APPID,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_SECRET": SECRET,
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_API_BASE": simulator.url,
        "SECRET_KEY": "integration-" + "s" * 40,
    }


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()


@pytest.fixture
def gunicorn(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port, log = free_port(), tmp_path / "gunicorn.log"
    proc = start([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "app:create_app()"], env, log)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert proc.poll() is None, log.read_text()
        try:
            return requests.get(f"{url}/wechat", timeout=5).status_code == 403
        except requests.RequestException:
            return False

    try:
        wait_until(answers, what="gunicorn")
        yield url
    finally:
        stop([proc])


@pytest.fixture
def workers(env: dict[str, str], tmp_path: Path) -> Iterator[None]:
    args = ["worker-pool", "-n", "2", "-w", "rq.worker.SimpleWorker", "-u", env["REDIS_URL"], *QUEUES]
    pool = start([str(BIN / "rq"), *args], env, tmp_path / "workers.log")
    yield
    stop([pool])


def all_done(session) -> Callable[[], bool]:
    return lambda: count(session, InboundEvent, InboundEvent.status != EventStatus.DONE) == 0


def test_customers_follow_talk_leave_and_return_through_the_real_stack(gunicorn, workers, session):
    wechat = WeChatServer(f"{gunicorn}/wechat", TOKEN, APPID, AES_KEY, mode="safe", timeout=5)
    openids = [f"oInteg{i:04d}" for i in range(40)]
    t = int(time.time()) - 100

    def journey(openid: str) -> list[str | None]:
        follow = wechat.subscribe(openid, create_time=t)
        replies = [wechat.send(follow).content, wechat.send(follow).content]  # a WeChat retry
        replies.append(wechat.send(wechat.text(openid, "你好", create_time=t + 1)).content)
        if openid.endswith(("0", "5")):
            wechat.send(wechat.unsubscribe(openid, create_time=t + 2))
            replies.append(wechat.send(wechat.subscribe(openid, create_time=t + 3)).content)
        return replies

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(journey, openids))
    for replies in results:
        assert replies[0] == replies[1] and replies[0].startswith("欢迎关注")
        assert "没听懂" in replies[2]
        if len(replies) == 4:
            assert replies[3] == replies[0]
    wait_until(all_done(session), what="workers to process every event")
    assert count(session, Member) == 40
    assert count(session, Member, Member.following.is_(True)) == 40
    assert count(session, InboundEvent) == 40 * 2 + 8 * 2
    returned = member(session, "oInteg0010")
    assert returned.follow_count == 2 and returned.unfollowed_at is not None


def test_rq_cron_sweeps_an_event_that_was_stored_but_never_enqueued(env, workers, session, app, tmp_path):
    """A web process died between commit and enqueue: the row is there, no job is."""
    lost = InboundEvent(
        account_id=app.extensions["tiefen"].accounts.get(None).id,
        dedup_key="msg:1",
        openid="oLost1",
        msg_type="text",
        content="在吗",
        msg_id=1,
        create_time=utcnow(),
        payload="<xml/>",
        received_at=utcnow() - timedelta(minutes=5),
    )
    session.add(lost)
    session.commit()
    cron = start(
        [str(BIN / "rq"), "cron", "-u", env["REDIS_URL"], "tasks/cron.py"], env, tmp_path / "cron.log"
    )
    try:
        wait_until(all_done(session), what="rq cron → sweeper → worker")
    finally:
        stop([cron])
    assert member(session, "oLost1").last_message_at is not None
