"""Which account a webhook URL serves, cached briefly per process."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from services.accounts.registry import AccountRef, find_account, sync_account

CACHE_SECONDS = 30.0  # an `account add` reaches every web process within this


class AccountDirectory:
    """Look accounts up by appid; `None` names the account configured in the environment."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self._cache: dict[str | None, tuple[float, AccountRef | None]] = {}

    def get(self, appid: str | None) -> AccountRef | None:
        hit = self._cache.get(appid)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        account = self._load(appid)
        self._cache[appid] = (time.monotonic() + CACHE_SECONDS, account)
        return account

    def forget(self) -> None:
        self._cache.clear()

    def _load(self, appid: str | None) -> AccountRef | None:
        with self.sessions.begin() as session:
            if appid is not None:
                return find_account(session, appid)
            return self._sync_env_account(session)

    def _sync_env_account(self, session: Session) -> AccountRef | None:
        """Keep the environment's account (WECHAT_APPID, …) stored, so its events have an owner."""
        s = self.settings
        if not (s.wechat_appid and s.wechat_token):
            return None
        return sync_account(
            session,
            s.wechat_appid,
            s.wechat_token,
            s.wechat_aes_key,
            s.wechat_secret,
            s.wechat_name,
            s.wechat_timezone,
        )
