"""Each account's programme (tasks, tiers, settings), cached briefly per web process."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session, sessionmaker

from services.points import programme
from services.points.programme import ProgrammeConfig

CACHE_SECONDS = 30.0  # a task edited through the API reaches every web process within this


class ProgrammeCache:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._cache: dict[int, tuple[float, ProgrammeConfig]] = {}

    def get(self, account_id: int) -> ProgrammeConfig:
        hit = self._cache.get(account_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        with self.sessions.begin() as session:
            config = programme.load(session, account_id)
        self._cache[account_id] = (time.monotonic() + CACHE_SECONDS, config)
        return config

    def forget(self, account_id: int | None = None) -> None:
        if account_id is None:
            self._cache.clear()
        else:
            self._cache.pop(account_id, None)
