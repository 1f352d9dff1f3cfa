# ruff: noqa: F811  (the API fixtures, imported, are parameters of the tests)
"""Settings take effect at once: a change made through one web process is used by every other
process on its next call (a version per account in Redis), not 30 s later."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app import create_app
from services.points import programme as programmes
from tests.api.conftest import api  # noqa: F401
from tests.console.test_programme import settings_form


@pytest.fixture
def second_app(app: Flask, config: dict[str, Any]) -> Iterator[Flask]:
    """Another web process on the same database and Redis (embedded: the first app's Redis stand-in,
    as two processes share one Redis server)."""
    other = create_app(config)
    if app.extensions["tiefen"].runtime.embedded:
        other.extensions["tiefen"].programmes.redis = app.extensions["tiefen"].runtime.redis
    yield other
    other.extensions["tiefen"].runtime.dispose()


def test_a_change_in_one_process_is_used_by_the_next_call_in_another(
    app, second_app, sign_in, api, monkeypatch
):
    account_id = api.account.id
    elsewhere = second_app.extensions["tiefen"].programmes
    assert elsewhere.get(account_id).review_approval is False  # cached in the other process
    loads = []
    real_load = programmes.load
    monkeypatch.setattr(programmes, "load", lambda s, a: loads.append(a) or real_load(s, a))
    assert elsewhere.get(account_id).review_approval is False and loads == []  # unchanged: its copy serves

    owner = sign_in("owner")
    form = settings_form(owner) | {"review_approval": "on", "streak-1-a": "", "streak-1-b": ""}
    assert owner.post("/console/programme/settings", form).status_code == 302
    assert elsewhere.get(account_id).review_approval is True  # the next call, not 30 s later
    assert elsewhere.get(account_id).streak_bonuses == ((7, 50),) and loads == [account_id]  # loaded once

    assert api.put("/point-tasks/checkin", {"points": 42}).status_code == 200  # the API's change, too
    assert elsewhere.get(account_id).tasks["checkin"].points == 42


def test_without_a_change_the_copy_serves_and_costs_one_redis_read(app, api, monkeypatch):
    cache = app.extensions["tiefen"].programmes
    cache.get(api.account.id)
    reads = []
    redis = cache.redis
    real_get = redis.get
    monkeypatch.setattr(redis, "get", lambda key: reads.append(key) or real_get(key))
    for _ in range(3):
        cache.get(api.account.id)
    assert len(reads) == 3  # one GET per call, no database


def test_without_redis_the_copy_serves_for_its_time(app, api, session):
    from redis.exceptions import ConnectionError as RedisDown

    class Down:
        def get(self, key: str) -> None:
            raise RedisDown("down")

        def incr(self, key: str) -> None:
            raise RedisDown("down")

    cache = app.extensions["tiefen"].programmes
    cache.redis = Down()
    assert cache.get(api.account.id).review_approval is False
    assert api.patch("/programme", {"review_approval": True}).status_code == 200  # no error for Redis
    assert cache.get(api.account.id).review_approval is True  # this process dropped its own copy
