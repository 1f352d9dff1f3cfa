"""For the operator: /healthz (the process answers), /readyz (it can do its work), /metrics."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.orm import Session

import metrics
from bot.context import tiefen
from models import utcnow
from services.inbound import outbox
from tasks.runtime import QUEUES

ops = Blueprint("ops", __name__)


@ops.get("/healthz")
def healthz() -> Response:
    """Alive: the process serves requests. Touches no store (a load balancer asks every second)."""
    return jsonify(status="ok")


@ops.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready: the database and Redis answer and the outbox keeps up (its oldest waiting callback
    younger than READY_MAX_LAG seconds). 503 with each failing check named."""
    checks: dict[str, str] = {}
    lag: float | None = None
    try:
        with tiefen().sessions() as session:
            session.execute(text("SELECT 1"))
            lag = _lag(session)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        tiefen().runtime.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"down: {type(exc).__name__}"
    limit = tiefen().settings.ready_max_lag
    if lag is not None:
        checks["outbox"] = "ok" if lag <= limit else f"behind: oldest waiting {lag:.0f} s (limit {limit} s)"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks, outbox_lag_seconds=lag), (
        200 if ready else 503
    )


@ops.get("/metrics")
def prometheus() -> Response:
    return Response(metrics.exposition(metrics.Lag(_read_lag)), mimetype="text/plain; version=0.0.4")


def _lag(session: Session) -> float:
    oldest = outbox.oldest_pending(session)
    return 0.0 if oldest is None else max((utcnow() - oldest).total_seconds(), 0.0)


def _read_lag() -> tuple[float, dict[str, int]]:
    with tiefen().sessions() as session:
        lag = _lag(session)
    runtime = tiefen().runtime
    queues = {} if runtime.embedded else {name: runtime.queue(name).count for name in QUEUES}
    return lag, queues
