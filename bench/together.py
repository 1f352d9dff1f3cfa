"""Processes that start at one signal: each gets its share of the work, says it is ready (its pid),
waits for the start, then puts its result (or its traceback, a str) on the results queue.

    with Together(send, shares, "a baseline sender") as gang:
        gang.ready()
        ...                     # read the clocks
        gang.go()
        rows = gang.results(timeout=900)

Leaving the block joins them; after an error or Ctrl-C the ones still working are stopped.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any


class Together:
    def __init__(self, target: Callable[..., None], shares: Sequence[Any], what: str) -> None:
        ctx = mp.get_context("spawn")
        self.what = what
        self._ready, self._results, self._start = ctx.Queue(), ctx.Queue(), ctx.Event()
        self.procs = [
            ctx.Process(target=target, args=(share, self._ready, self._start, self._results))
            for share in shares
        ]

    def __enter__(self) -> Together:
        for proc in self.procs:
            proc.start()
        return self

    def ready(self, timeout: float = 60) -> None:
        for _ in self.procs:
            got = self._ready.get(timeout=timeout)
            if not isinstance(got, int):
                raise RuntimeError(f"{self.what} failed while starting:\n{got}")

    def go(self) -> None:
        self._start.set()

    def results(self, timeout: float) -> list[Any]:
        out = []
        for _ in self.procs:
            got = self._results.get(timeout=timeout)
            if isinstance(got, str):
                raise RuntimeError(f"{self.what} failed:\n{got}")
            out.append(got)
        return out

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            for proc in self.procs:
                proc.join(timeout=10)
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
                proc.join()
