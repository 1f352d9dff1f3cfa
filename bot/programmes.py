"""Each account's programme (tasks, tiers, settings), cached per web process, and a change seen at
once by every process.

A change bumps the account's version in Redis (INCR, after its transaction committed); before using
its copy, a process reads the version (one GET) and reloads when it moved. The version is read
before the programme is loaded, so a copy is never filed under a version newer than what it holds.
When Redis cannot be reached the copy serves for at most CACHE_SECONDS, as before.
"""

from __future__ import annotations

import logging

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker

from bot.cache import Bounded
from services.points import programme
from services.points.programme import ProgrammeConfig

log = logging.getLogger(__name__)

CACHE_SECONDS = 30.0  # without Redis, a change reaches every web process within this
CACHE_SIZE = 1024  # accounts' programmes a process keeps
VERSION_KEY = "tiefen:programme-version:{}"


class ProgrammeCache:
    def __init__(self, sessions: sessionmaker[Session], redis: Redis | None = None) -> None:
        self.sessions, self.redis = sessions, redis
        self._cache: Bounded[int, tuple[bytes | None, ProgrammeConfig]] = Bounded(CACHE_SIZE)

    def get(self, account_id: int) -> ProgrammeConfig:
        """The account's programme, as of its version in Redis now."""
        version, known = self._version(account_id)
        hit, kept = self._cache.get(account_id)
        if hit and kept is not None and (not known or kept[0] == version):
            return kept[1]
        with self.sessions.begin() as session:
            config = programme.load(session, account_id)
        self._cache.put(account_id, (version, config), CACHE_SECONDS)
        return config

    def forget(self, account_id: int | None = None) -> None:
        """Drop this process's copy and tell the others (call after the change committed)."""
        if account_id is None:
            self._cache.clear()
            return
        self._cache.pop(account_id)
        if self.redis is not None:
            try:
                self.redis.incr(VERSION_KEY.format(account_id))
            except RedisError:
                log.warning("programme version of account %s not bumped: Redis unreachable", account_id)

    def _version(self, account_id: int) -> tuple[bytes | None, bool]:
        """The account's version in Redis (None: never changed), and whether Redis answered."""
        if self.redis is None:
            return None, False
        try:
            found = self.redis.get(VERSION_KEY.format(account_id))
        except RedisError:
            return None, False
        if found is None:
            return None, True
        return (found if isinstance(found, bytes) else str(found).encode()), True
