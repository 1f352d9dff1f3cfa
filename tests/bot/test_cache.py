"""Caches a request can fill from its URL stay bounded, and an unknown appid is forgotten soon."""

from __future__ import annotations

import time

from bot import accounts
from bot.cache import Bounded
from bot.context import tiefen


def test_entries_past_the_bound_leave_least_recently_used_first():
    cache: Bounded[str, int] = Bounded(3)
    for n, key in enumerate("abc"):
        cache.put(key, n, 60)
    assert cache.get("a") == (True, 0)  # a is now the most recent
    cache.put("d", 3, 60)
    assert len(cache) == 3 and cache.get("b") == (False, None) and cache.get("a") == (True, 0)


def test_an_entry_expires_after_its_own_seconds():
    cache: Bounded[str, int | None] = Bounded(10)
    cache.put("miss", None, 0.05)
    cache.put("hit", 1, 60)
    assert cache.get("miss") == (True, None)
    time.sleep(0.06)
    assert cache.get("miss") == (False, None) and cache.get("hit") == (True, 1) and len(cache) == 1


def test_forged_appids_in_h5_urls_cannot_grow_the_account_cache(app, client, monkeypatch):
    monkeypatch.setattr(accounts, "CACHE_SIZE", 50)
    with app.app_context():
        directory = tiefen().accounts
        directory._cache = Bounded(accounts.CACHE_SIZE)
    for n in range(300):
        assert client.get(f"/h5/wxforged{n:05d}/member").status_code == 404
    assert len(directory._cache) == 50


def test_an_account_added_after_a_miss_is_found_within_the_miss_time(app, session, monkeypatch):
    from services.accounts.registry import save_account

    monkeypatch.setattr(accounts, "MISS_SECONDS", 0.05)
    with app.app_context():
        directory = tiefen().accounts
        assert directory.get("wxLater") is None
        save_account(session, "wxLater", "后来", "tok123", None, "s")
        session.commit()
        assert directory.get("wxLater") is None  # the miss is remembered, briefly
        time.sleep(0.06)
        found = directory.get("wxLater")
        assert found is not None and found.appid == "wxLater"
