"""Logs an operator can search: one JSON object a line, each carrying the request id of the web
request it belongs to, or of the request that caused the job it comes from.

The id is the caller's `X-Request-Id` when it is a sane one, else a fresh one; it is echoed in the
response header, put into the meta of every job enqueued while handling the request, and set again
while a worker runs that job (metrics.counted reads it). A callback's id is stored with it in the
outbox: the drain's line about a failed event, and the poster job for an event, carry it.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

REQUEST_ID: ContextVar[str | None] = ContextVar("tiefen_request_id", default=None)
SANE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def new_request_id(offered: str | None) -> str:
    return offered if offered and SANE.match(offered) else secrets.token_hex(8)


@contextmanager
def bound(request_id: str | None) -> Iterator[None]:
    """Log (and enqueue) under `request_id` inside the block: a job working on one stored callback
    speaks under the id of the request that stored it. None leaves the current id."""
    if not request_id:
        yield
        return
    token = REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class WithRequestId(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = REQUEST_ID.get()
        return f"{text} [request {request_id}]" if request_id else text


class ToStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a line is written (not when the handler was made), so
    a process that swaps stderr (a test's capture, a daemon's redirect) loses no line and breaks none."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure(log_format: str, level: str = "INFO") -> None:
    """Route the root logger to stderr in `json` or `text`, once per process."""
    root = logging.getLogger()
    if getattr(root, "_tiefen_configured", False):
        return
    handler = ToStderr()
    handler.setFormatter(
        JsonLines()
        if log_format == "json"
        else WithRequestId("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level.upper())
    root._tiefen_configured = True  # type: ignore[attr-defined]
