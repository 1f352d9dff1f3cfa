"""/healthz, /readyz and /metrics: what an operator's probes and Prometheus read."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

from redis import Redis

from models import InboundEvent, utcnow
from tests.conftest import APPID, SECRET


def sample(text: str, name: str, **labels: str) -> float:
    """One sample's value from the Prometheus text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = (
        rf"^{re.escape(name)}{{{re.escape(wanted)}}} (\S+)$" if labels else rf"^{re.escape(name)} (\S+)$"
    )
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else 0.0


def test_healthz_answers_without_touching_a_store(app, client, monkeypatch):
    monkeypatch.setattr(app.extensions["tiefen"].runtime, "redis", Redis.from_url("redis://127.0.0.1:1/0"))
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


def test_readyz_names_each_check_and_is_503_when_redis_is_down(app, client, monkeypatch):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "redis": "ok", "outbox": "ok"}
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr(app.extensions["tiefen"].runtime, "redis", dead)
    down = client.get("/readyz")
    assert down.status_code == 503 and down.get_json()["checks"]["redis"].startswith("down: ")


def test_readyz_is_503_when_the_outbox_falls_behind(app, client, session):
    account = app.extensions["tiefen"].accounts.get(None)
    session.add(
        InboundEvent(
            account_id=account.id,
            dedup_key="late-1",
            openid="oLate",
            msg_type="text",
            create_time=utcnow(),
            payload="<xml/>",
            status="pending",
            attempts=0,
            received_at=utcnow() - timedelta(minutes=10),
        )
    )
    session.commit()
    r = client.get("/readyz")
    assert r.status_code == 503 and r.get_json()["checks"]["outbox"].startswith("behind: oldest waiting")
    assert sample(client.get("/metrics").text, "tiefen_outbox_lag_seconds") >= 600


def test_metrics_count_callbacks_reply_time_jobs_and_refusals(client, wechat, run_jobs):
    before = client.get("/metrics").text
    wechat.send(wechat.text("oMetrics1", "签到"))
    wechat.send(wechat.subscribe("oMetrics2"))
    out = wechat.prepare(wechat.text("oMetrics3", "你好"))
    wechat.send_raw(out.body, {**out.params, "signature": "0" * 40})
    run_jobs()
    after = client.get("/metrics")
    assert after.status_code == 200 and after.mimetype == "text/plain"

    def grew(name: str, **labels: str) -> float:
        return sample(after.text, name, **labels) - sample(before, name, **labels)

    assert grew("tiefen_callbacks_total", type="text", outcome="stored") == 1
    assert grew("tiefen_callbacks_total", type="subscribe", outcome="stored") == 1
    assert grew("tiefen_callbacks_total", type="refused", outcome="403") == 1
    assert grew("tiefen_reply_seconds_count") == 2  # the answered ones: a refusal is counted, not timed
    assert grew("tiefen_jobs_total", job="drain", outcome="ok") >= 1


def test_wechat_api_errors_are_counted_by_code(app, client, simulator):
    from wechat.client import client_for, nickname_of

    before = sample(client.get("/metrics").text, "tiefen_wechat_api_errors_total", code="45009")
    simulator.state.inject("/cgi-bin/user/info", errcode=45009)
    wechat = client_for(APPID, SECRET, simulator.url, app.extensions["tiefen"].runtime.redis)
    assert nickname_of(wechat, "oBusy1") == ""
    after = sample(client.get("/metrics").text, "tiefen_wechat_api_errors_total", code="45009")
    assert after - before == 1


def test_a_request_id_is_echoed_and_carried_into_the_jobs_the_request_enqueues(app, client):
    from logs import REQUEST_ID, JsonLines, new_request_id

    before = REQUEST_ID.get()
    sane = client.get("/healthz", headers={"X-Request-Id": "till-42.a"})
    assert sane.headers["X-Request-Id"] == "till-42.a"
    assert REQUEST_ID.get() == before  # the serving thread forgets it after the request
    made = client.get("/healthz", headers={"X-Request-Id": "bad id {}"}).headers["X-Request-Id"]
    assert made != "bad id {}" and len(made) == 16 and new_request_id(None) != new_request_id(None)

    runtime = app.extensions["tiefen"].runtime
    token = REQUEST_ID.set("req-7")
    try:
        job = runtime.queue("scheduled").create_job("tasks.sweeper.sweep_outbox")
        line = JsonLines().format(
            logging.LogRecord("tiefen", logging.WARNING, __file__, 1, "上游 %s", ("忙",), None)
        )
    finally:
        REQUEST_ID.reset(token)
    assert job.meta == {"request_id": "req-7"}
    assert json.loads(line) | {"time": "t"} == {
        "time": "t",
        "level": "warning",
        "logger": "tiefen",
        "message": "上游 忙",
        "request_id": "req-7",
    }
