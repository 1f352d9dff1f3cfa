"""Caches a request can fill from its URL stay bounded, and an unknown appid is forgotten soon."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from bot import accounts
from bot import cache as caches
from bot.cache import Bounded
from bot.context import tiefen


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The caches' clock, moved by the test (no sleeping: a loaded machine cannot make it flaky)."""
    now = [time.monotonic()]
    monkeypatch.setattr(caches, "time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


def test_entries_past_the_bound_leave_least_recently_used_first():
    cache: Bounded[str, int] = Bounded(3)
    for n, key in enumerate("abc"):
        cache.put(key, n, 60)
    assert cache.get("a") == (True, 0)  # a is now the most recent
    cache.put("d", 3, 60)
    assert len(cache) == 3 and cache.get("b") == (False, None) and cache.get("a") == (True, 0)


def test_an_entry_expires_after_its_own_seconds(clock):
    cache: Bounded[str, int | None] = Bounded(10)
    cache.put("miss", None, 5)
    cache.put("hit", 1, 60)
    clock[0] += 4.9
    assert cache.get("miss") == (True, None)
    clock[0] += 0.2
    assert cache.get("miss") == (False, None) and cache.get("hit") == (True, 1) and len(cache) == 1


def test_forged_appids_in_h5_urls_cannot_grow_the_account_cache(app, client, monkeypatch):
    monkeypatch.setattr(accounts, "CACHE_SIZE", 50)
    with app.app_context():
        directory = tiefen().accounts
        directory._cache = Bounded(accounts.CACHE_SIZE)
    for n in range(300):
        assert client.get(f"/h5/wxforged{n:05d}/member").status_code == 404
    assert len(directory._cache) == 50


def test_an_account_added_after_a_miss_is_found_within_the_miss_time(app, session, clock):
    from services.accounts.registry import save_account

    with app.app_context():
        directory = tiefen().accounts
        assert directory.get("wxLater") is None
        save_account(session, "wxLater", "后来", "tok123", None, "s")
        session.commit()
        assert directory.get("wxLater") is None  # the miss is remembered, briefly
        clock[0] += accounts.MISS_SECONDS + 0.1
        found = directory.get("wxLater")
        assert found is not None and found.appid == "wxLater"
