"""What every bench's `main()` does around its run: settings from the environment, SIGTERM as
Ctrl-C (it unwinds through the context managers, which stop workers, servers and simulators), and
the same exit statuses everywhere:

0 a valid run (targets held, or not enforced); 1 a check or an enforced target failed, or one of
the bench's processes did (`failures`, said in one line); 2 a setting is wrong (ValueError from the
settings) or PostgreSQL or Redis does not answer; 130 interrupted.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Mapping
from types import FrameType
from typing import TypeVar

from bench import stack

C = TypeVar("C")


def main(
    name: str,
    configure: Callable[[dict[str, str]], C],
    run: Callable[[C], int],
    failures: tuple[type[Exception], ...] = (),
    stopped: str = "",
    cleanup: Callable[[C], None] | None = None,
) -> int:
    """Run the bench `name`; `stopped` says what an interruption stopped ("; servers stopped");
    `cleanup(cfg)` runs after the run however it ended (it must not raise)."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        cfg = configure(dict(os.environ))
    except ValueError as exc:
        return _said(name, exc, 2)
    try:
        try:
            return run(cfg)
        finally:
            if cleanup is not None:
                cleanup(cfg)
    except stack.Unavailable as exc:
        return _said(name, exc, 2)
    except failures as exc:
        return _said(name, exc, 1)
    except KeyboardInterrupt:
        return _said(name, f"interrupted{stopped}", 130)


def _said(name: str, what: object, status: int) -> int:
    print(f"{name}: {what}", file=sys.stderr)
    return status


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def env_int(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number from the environment, written as people do (1_000_000, 1,000,000)."""
    raw = (env.get(name) or "").replace("_", "").replace(",", "")
    return int(raw) if raw else default
