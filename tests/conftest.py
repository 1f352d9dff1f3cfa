"""Fixtures: the database (SQLite or PostgreSQL), Redis (in-process or real), the app, workers.

`TIEFEN_TEST_BACKEND=embedded` (the default) runs on a SQLite file and the in-process queue;
`TIEFEN_TEST_BACKEND=real` on TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL with real RQ
workers. `make test` runs both when the servers are there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app import create_app
from models import Base, make_engine, migrate
from tasks import runtime as task_runtime
from tasks.runtime import QUEUES

BACKEND = os.environ.get("TIEFEN_TEST_BACKEND", "embedded")
REAL = BACKEND == "real"
APPID, TOKEN, SECRET = "wxtest0000000001", "tiefentoken", "testsecret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

real_only = pytest.mark.skipif(
    not REAL, reason="needs PostgreSQL, Redis and RQ workers (TIEFEN_TEST_BACKEND=real)"
)


def pytest_report_header() -> str:
    return f"tiefen backend: {BACKEND}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at the latest schema, built through the migrations."""
    if REAL:
        url = os.environ["TEST_DATABASE_URL"]
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'tiefen.sqlite'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def hot_engine(database_url: str) -> Iterator[Engine]:
    """An autocommit engine like the webhook's (a short pool timeout: a drained pool fails fast)."""
    engine = make_engine(database_url, isolation_level="AUTOCOMMIT", pool_timeout=2)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests commit for real (the webhook does); empty every table afterwards."""
    yield
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def redis_url() -> Iterator[str | None]:
    """TEST_REDIS_URL, flushed before and after; None in the embedded run."""
    if not REAL:
        yield None
        return
    url = os.environ["TEST_REDIS_URL"]
    conn = task_runtime.connect_redis(url)
    conn.flushdb()
    yield url
    conn.flushdb()
    conn.close()


@pytest.fixture
def config(database_url: str, redis_url: str | None, engine: Engine, simulator: Any) -> dict[str, Any]:
    """What `create_app` gets; tests add keys (a simulator's URL, safe mode) before using `app`."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url or "",
        "WECHAT_APPID": APPID,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_SECRET": SECRET,
        "WECHAT_AES_KEY": AES_KEY,
        # compatible: both the simulator's plaintext pushes and safe-mode envelopes are taken
        # (tests/bot/test_message_modes.py holds safe and plaintext mode to their rules)
        "WECHAT_MESSAGE_MODE": "compatible",
        "WECHAT_API_BASE": simulator.url,
        "DRAIN_LINGER": 0.0,  # burst workers: a drain stops as soon as nothing is pending
        # suites, fuzzers and walks send thousands of requests from one address: limits are held
        # to in tests/bot/test_limits.py
        "H5_RATE_LIMIT": "100000 per minute",
        "API_RATE_LIMIT": "100000 per minute",
        "API_TOKEN_RATE_LIMIT": "100000 per minute",
        "TESTING": True,
    }


@pytest.fixture
def app(config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(config)
    yield app
    app.extensions["tiefen"].runtime.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for looking at rows (and arranging them), committed by the test if it writes."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def run_jobs(app: Flask) -> Callable[[], int]:
    """Run every queued job to completion; the embedded mode already ran them. Returns jobs run."""
    from rq import SimpleWorker

    class CountingWorker(SimpleWorker):
        ran = 0

        def perform_job(self, *args: Any, **kwargs: Any) -> bool:
            self.ran += 1
            return bool(super().perform_job(*args, **kwargs))

    def run() -> int:
        runtime = app.extensions["tiefen"].runtime
        if runtime.embedded:
            return 0
        worker = CountingWorker([runtime.queue(q) for q in QUEUES], connection=runtime.redis)
        worker.work(burst=True)
        return worker.ran

    return run


@pytest.fixture(scope="session")
def _simulator_server() -> Iterator[Any]:
    from simulator.api import create_api_app
    from simulator.server import serve_in_thread
    from simulator.state import SimulatorState

    state = SimulatorState()
    server = serve_in_thread(create_api_app(state))
    server.state = state
    yield server
    server.shutdown()


@pytest.fixture
def simulator(_simulator_server: Any) -> Any:
    """The WeChat API simulator over HTTP on loopback, emptied for each test (`.state`, `.url`)."""
    _simulator_server.state.reset()
    return _simulator_server


@pytest.fixture
def live_app(app: Flask) -> Iterator[Any]:
    """The app served over HTTP on a loopback port (a werkzeug thread)."""
    from dataclasses import replace

    from simulator.server import serve_in_thread

    server = serve_in_thread(app)
    # the links it signs and sends (OAuth's return address, message links) are on its own address,
    # as PUBLIC_BASE_URL makes them in production
    context = app.extensions["tiefen"]
    context.settings = context.runtime.settings = replace(context.settings, public_base_url=server.url)
    yield server
    server.shutdown()


@pytest.fixture
def wechat(live_app: Any, simulator: Any) -> Any:
    """WeChat's server side for the test account, pushing plaintext callbacks to /wechat; what
    members do is told to the simulator's API side too (who follows, the reply window, scans)."""
    from simulator.customer import WeChatServer

    return WeChatServer(
        f"{live_app.url}/wechat",
        TOKEN,
        APPID,
        AES_KEY,
        mode="plain",
        timeout=10,
        retries=0,
        state=simulator.state,
    )
