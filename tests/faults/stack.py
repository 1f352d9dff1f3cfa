"""The whole pipeline as processes a fault run may hurt: its own redis-server, gunicorn (2 workers),
`rq worker-pool`, `rq cron` and the WeChat simulator's API side (a thread of this process).

The Redis is a private one on a free port (stopping it must not touch anyone else's); PostgreSQL is
shared, so it is hurt by terminating this database's backends, never by a restart, unless
TIEFEN_FAULTS_PG_RESTART names a command that restarts a server this run owns (see README).
A supervisor plays systemd's `Restart=always`: a process of the pool, cron or Redis that exited is
started again and counted.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench.servers import children
from simulator.api import create_api_app
from simulator.server import serve_in_thread
from simulator.state import SimulatorState
from tasks.runtime import QUEUES
from tests.integration.test_pipeline import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
APPID, TOKEN, SECRET = "wxfaults00000001", "faultstoken", "faultssecret"
AES_KEY = "faultsKey0123456789abcdefghijklmnopqrstuvwx"
ADMIN_TOKEN = "faults-admin-" + "a" * 32
TERMINATE = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


@dataclass
class Stack:
    database_url: str
    workdir: Path
    workers: int = 2  # RQ workers in the pool
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # what the supervisor found wrong
    redis_port: int = 0
    url: str = ""
    sim: Any = None
    _watching: threading.Event = field(default_factory=threading.Event)
    state: SimulatorState = field(default_factory=SimulatorState)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "WECHAT_APPID": APPID,
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_SECRET": SECRET,
            "WECHAT_AES_KEY": AES_KEY,
            "WECHAT_API_BASE": self.sim.url,
            "SECRET_KEY": "faults-" + "k" * 40,
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "PUBLIC_BASE_URL": self.url,
            "API_RATE_LIMIT": "100000 per minute",
            "API_TOKEN_RATE_LIMIT": "100000 per minute",
            "H5_RATE_LIMIT": "100000 per minute",
            "BIND": self.url.removeprefix("http://"),
            "WEB_CONCURRENCY": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "metrics"),
            "LOG_FORMAT": "text",
        }

    # starting and stopping ------------------------------------------------------------------------

    def start(self) -> Stack:
        self.sim = serve_in_thread(create_api_app(self.state))
        self.redis_port = free_port()
        self.url = f"http://127.0.0.1:{free_port()}"
        (self.workdir / "metrics").mkdir(parents=True, exist_ok=True)
        self.start_redis()
        conf = str(ROOT / "deploy" / "gunicorn.conf.py")
        self._spawn("gunicorn", [str(BIN / "gunicorn"), "-c", conf, "app:create_app()"])
        wait_until(self._answers, timeout=60, what="gunicorn")
        self.start_pool()
        self.start_cron()
        self._watching = threading.Event()
        threading.Thread(target=self._watch, name="supervisor", daemon=True).start()
        return self

    def start_redis(self) -> None:
        data = self.workdir / "redis"
        data.mkdir(exist_ok=True)
        args = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(data)]
        self._spawn("redis", args)
        wait_until(self._redis_answers, timeout=15, what="redis-server")

    def start_pool(self) -> None:
        args = ["worker-pool", "-n", str(self.workers), "-w", "rq.worker.SimpleWorker", "-u", self.redis_url]
        self._spawn("pool", [str(BIN / "rq"), *args, *QUEUES])

    def start_cron(self) -> None:
        self._spawn("cron", [str(BIN / "rq"), "cron", "-u", self.redis_url, "tasks/cron.py"])

    def stop(self) -> None:
        self._watching.set()
        for name in ("cron", "pool", "gunicorn", "redis"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # its own session: only ours
                proc.wait()
        if self.sim is not None:
            self.sim.shutdown()

    def _spawn(self, name: str, args: list[str]) -> None:
        with (self.workdir / f"{name}.log").open("ab") as out:
            self.procs[name] = subprocess.Popen(
                args, cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def _answers(self) -> bool:
        assert self.procs["gunicorn"].poll() is None, self.log_tail("gunicorn")
        try:
            return requests.get(f"{self.url}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def _redis_answers(self) -> bool:
        try:
            out = subprocess.run(
                ["redis-cli", "-p", str(self.redis_port), "ping"], capture_output=True, text=True, timeout=5
            )
        except subprocess.TimeoutExpired:
            return False
        return out.stdout.strip() == "PONG"

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    # the supervisor -------------------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._watching.wait(0.5):
            try:
                self.supervise()
            except Exception as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}")
                return

    def supervise(self) -> None:
        """Start again what exited (systemd's Restart=always); gunicorn's master must never exit."""
        assert self.procs["gunicorn"].poll() is None, "gunicorn's master exited:\n" + self.log_tail(
            "gunicorn"
        )
        for name, restart in (("pool", self.start_pool), ("cron", self.start_cron)):
            if self.procs[name].poll() is not None:
                self.restarts[name] = self.restarts.get(name, 0) + 1
                restart()

    # the faults -----------------------------------------------------------------------------------

    def kill_rq_worker(self) -> tuple[int | None, bool]:
        """SIGKILL one worker of the pool, a busy one when there is one (mid-job): (pid, was busy)."""
        pids = children(self.procs["pool"].pid)
        busy = [p for p in pids if p in self._busy_workers()]
        chosen = busy or pids
        return _kill(chosen[0] if chosen else None), bool(busy)

    def _busy_workers(self) -> set[int]:
        """The pids of the workers running a job now, as they registered it in Redis."""
        try:
            with Redis.from_url(self.redis_url, socket_timeout=2) as conn:
                return {int(w.pid) for w in Worker.all(connection=conn) if w.get_state() == "busy" and w.pid}
        except RedisError:
            return set()

    def kill_web_worker(self) -> int | None:
        """SIGKILL one gunicorn worker (it holds requests whenever the driver is sending)."""
        pids = children(self.procs["gunicorn"].pid)
        return _kill(pids[0] if pids else None)

    def bounce_redis(self, down: float = 2.0, lose_data: bool = False) -> None:
        """Stop the private redis-server and start it again after `down` seconds: stopped as an
        operator does (SIGTERM: its append-only file keeps every key), or crashed with its disk lost
        (SIGKILL and the files removed: every queued job, scheduled retry and lock gone)."""
        proc = self.procs["redis"]
        if lose_data:
            proc.kill()
            proc.wait()
            shutil.rmtree(self.workdir / "redis", ignore_errors=True)
        else:
            proc.terminate()
            proc.wait(timeout=30)
        time.sleep(down)
        self.start_redis()
        self.restarts["redis"] = self.restarts.get("redis", 0) + 1

    def terminate_backends(self) -> int:
        """Terminate every PostgreSQL backend of this database but the one asking."""
        engine = create_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(TERMINATE)).scalar() or 0)
        finally:
            engine.dispose()

    def restart_postgres(self) -> bool:
        """Opt-in: run TIEFEN_FAULTS_PG_RESTART (a command restarting a PostgreSQL server this run owns).
        Never set it on a shared machine: every other user of that server is hurt too."""
        command = os.environ.get("TIEFEN_FAULTS_PG_RESTART")
        if not command:
            return False
        subprocess.run(command, shell=True, check=True, timeout=120)
        return True

    # looking at it --------------------------------------------------------------------------------

    def roles(self) -> dict[str, list[int]]:
        """Each role's processes now (pids change as workers are killed and replaced)."""
        web, pool = self.procs["gunicorn"].pid, self.procs["pool"].pid
        return {
            "gunicorn master": [web],
            "gunicorn workers": children(web),
            "rq pool": [pool],
            "rq workers": children(pool),
            "rq cron": [self.procs["cron"].pid],
            "redis": [self.procs["redis"].pid],
            "driver+simulator": [os.getpid()],
        }

    def rss_kb(self) -> dict[str, int]:
        """Resident memory of each role (kB, summed over its processes), from /proc/<pid>/status."""
        return {role: sum(_rss(p) for p in pids) for role, pids in self.roles().items()}


def _kill(pid: int | None) -> int | None:
    if pid is None:
        return None
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return pid


def _rss(pid: int) -> int:
    with suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
