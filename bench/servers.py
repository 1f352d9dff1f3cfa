"""Gunicorn servers as child processes: started, awaited until they answer, always stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.bodies import wechat_server

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


@dataclass(frozen=True)
class ServerSpec:
    name: str
    target: str  # gunicorn's APP_MODULE, like 'app:create_app()'
    env: Mapping[str, str]
    workers: int = WORKERS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(spec: ServerSpec, log_dir: Path) -> Iterator[str]:
    """Run `spec` under gunicorn (sync workers) on a free loopback port; yield its base URL."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{spec.name}.gunicorn.log"
    args = [sys.executable, "-m", "gunicorn", "-w", str(spec.workers), "-k", "sync"]
    args += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", spec.target]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=dict(spec.env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(url, proc, log)
        yield url
    finally:
        stop(proc)


def wait_until_answering(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Wait for the signed GET (URL verification) to echo back; fail if gunicorn dies or stalls."""
    query = urlencode({**wechat_server(url).sign_params(), "echostr": "ready"})
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/wechat?{query}", timeout=5) as response:
                if response.status == 200 and response.read() == b"ready":
                    return
        except urllib.error.HTTPError as exc:  # it answers, wrongly: waiting will not help
            raise RuntimeError(f"{url}/wechat answered {exc.code}; see {log}:\n{tail(log)}") from None
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn at {url} did not answer in {START_TIMEOUT:.0f} s; see {log}")


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the master (it stops its workers); kill its own process group if it lingers."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group start_new_session gave it: only ours
        proc.wait()


@contextmanager
def simulator_process(threads: int, log: Path, env: Mapping[str, str]) -> Iterator[tuple[str, list[int]]]:
    """The WeChat simulator under gunicorn: ONE worker (its state lives in memory), `threads`
    threads, on a free port. Yields its URL and the worker's pids (whose CPU is the simulator's)."""
    port = free_port()
    log.parent.mkdir(exist_ok=True)
    args = [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", str(threads)]
    args += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "simulator.api:create_api_app()"]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the simulator exited with {proc.returncode}:\n{tail(log)}")
            try:
                with urllib.request.urlopen(f"{url}/_sim/webhooks", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the simulator did not answer in {START_TIMEOUT:.0f} s; see {log}"
                    ) from None
                time.sleep(0.1)
        yield url, children(proc.pid)
    finally:
        stop(proc)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers), read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found
